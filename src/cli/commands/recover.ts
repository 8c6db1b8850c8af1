import { Command } from "commander";
import type { RecoverResult } from "../../ops/index.js";
import { clawfed } from "../clawfed.js";
import { reporter } from "../format.js";
import { action, clean, EXIT, printJson, write } from "../output.js";
import { renderRollout } from "./rollout.js";

/** One line per gateway of the interrupted operation, then the rollout `resume` ran for the rest. */
export function renderRecover(res: RecoverResult): string {
  if (res.operation === "none") return `${res.federation}: no unfinished operation; nothing to ${res.action}\n`;
  const head = `${res.federation}: ${res.action === "resume" ? "finished" : "rolled back"} the interrupted ${res.operation}${res.ok ? "" : " (with a failure, see below)"}`;
  const lines = [head, ...res.gateways.filter((g) => !res.rollout?.gateways.some((r) => r.id === g.id)).map((g) => `${g.id}: ${g.outcome}: ${g.detail}`)];
  let text = `${lines.join("\n")}\n`;
  if (res.rollout) text += renderRollout({ ...res.rollout, plan: { federation: res.federation, steps: [], composeText: "" } });
  if (res.rollout?.record) text += `recorded in ${res.rollout.record.specFile}: ${res.rollout.record.gateways.map((g) => `gateways.${g.id}.image = ${g.image}`).join(", ")}\n`;
  // e.g. an abort past the point of no return that finished the operation instead; an upgrade's record.
  if (res.ok && res.message) text += `${res.message}\n`;
  return text;
}

const HELP =
  "\nA multi-step operation (rollout, restore, rotate, remove, upgrade) keeps a journal of its steps in <out>/.clawfed/journal.json, each step" +
  "\nmarked before it runs. When the operation is killed (SIGKILL, power cut, closed terminal), the journal stays and" +
  "\nevery command that changes the federation refuses to run (exit 3) until `clawfed resume` or `clawfed abort` ends it;" +
  "\nstatus, logs and rollout planning only warn." +
  "\n  resume: finish the operation. rollout: the gateway in progress is rolled back to a clean state (or, when its new" +
  "\n          container had already passed the health gate and still reports started, recorded), then every gateway" +
  "\n          not done yet is rolled out with the original options. restore: runs the restore again (with --force)." +
  "\n          remove: runs the steps not done yet. upgrade: settles the gateway in progress as a rollout does, rolls" +
  "\n          out the gateways not on the new image yet, then records in the spec what runs." +
  "\n  abort:  roll it back. rollout: the gateway in progress goes back to its previous container and state; gateways" +
  "\n          the rollout had already finished stay on their new image (the spec records it). restore: starts the" +
  "\n          gateways it stopped; once host files or states were being replaced it finishes the restore instead." +
  "\n          remove: the previous spec, files, container and peers come back; once its resources were being" +
  "\n          removed it is finished instead. upgrade: the gateway in progress goes back; gateways already moved" +
  "\n          stay, and the spec records what each runs." +
  "\nBoth are safe to run again if they are interrupted themselves." +
  "\nExit codes: 0 done (or nothing to do), 1 invalid spec, 3 recovery failed or the operation is still running in another" +
  "\nprocess (the journal stays), 2 bad usage.";

function register(program: Command, name: "resume" | "abort", description: string): void {
  program
    .command(name)
    .description(description)
    .argument("<spec>", "federation spec")
    .option("-o, --out <dir>", "output folder (default: out/<federation name>)")
    .option("--json", "print the result as JSON on stdout (progress stays on stderr)")
    .addHelpText("after", HELP)
    .action(
      action(async (spec: string, opts: { out?: string; json?: boolean }) => {
        const ops = await clawfed();
        const report = await reporter({ plain: opts.json, clean });
        let res: RecoverResult;
        try {
          res = await ops[name](spec, { out: opts.out, onProgress: report.line });
        } finally {
          report.done();
        }
        if (opts.json) printJson(res.rollout ? { ...res, rollout: { ...res.rollout } } : res);
        else {
          write(renderRecover(res));
          if (!res.ok) process.stderr.write(clean(`error: ${res.message}\nNext: ${res.next}\n`));
        }
        return res.ok ? EXIT.ok : EXIT.runtime;
      }),
    );
}

export function registerRecover(program: Command): void {
  register(program, "resume", "Finish the operation (rollout, restore, rotate, remove, upgrade) that was interrupted on this federation, from its journal.");
  register(program, "abort", "Roll back the operation (rollout, restore, remove, upgrade) that was interrupted on this federation, from its journal.");
}
