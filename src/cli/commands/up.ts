import { Command, Option } from "commander";
import type { UpResult } from "../../ops/up.js";
import { formatMs } from "../../runtime/clock.js";
import { clawfed } from "../clawfed.js";
import { reporter } from "../format.js";
import { action, clean, EXIT, printJson, write } from "../output.js";
import { durationArg, interruptSignal } from "./runtime-args.js";

/** One line per gateway, then the summary (stdout) or what failed and what to run (stderr). */
export function renderUp(res: UpResult): string {
  const lines = res.gateways.map((g) => `${g.ok ? "ok  " : "FAIL"} ${g.id}: ${g.reason}${g.ok ? ` after ${formatMs(g.ms)}` : ""}`);
  if (res.ok) lines.push(`${res.federation}: all ${res.gateways.length} gateway(s) up in ${formatMs(res.ms)}`);
  return `${lines.join("\n")}\n`;
}

export function registerUp(program: Command): void {
  program
    .command("up")
    .description("Generate if needed, start the federation with compose, and wait until every gateway is healthy.")
    .argument("<spec>", "federation spec, e.g. federations/korax.yaml")
    .option("-o, --out <dir>", "output folder (default: out/<federation name>)")
    .option("--image <ref>", "image for every gateway the spec does not give its own (e.g. a locally built openclaw:2026.9.6-local)")
    .option("--timeout <duration>", "how long to wait for all gateways (e.g. 180s, 3m)", durationArg)
    .option("--ready", "also wait for /readyz (channels pass their checks), not only /startupz")
    .option("--force", "generate into a non-empty output folder clawfed did not create")
    .addOption(new Option("--target <target>", "compose (default) or swarm (a Docker Swarm stack: services and tasks through the Engine API)").choices(["compose", "swarm"]).default("compose"))
    .option("--json", "print the result as JSON on stdout (progress stays on stderr)")
    .addHelpText(
      "after",
      "\nA gateway counts as up when its container runs and /startupz answers {\"status\":\"started\"} on its published 127.0.0.1 port." +
        "\nExit codes: 0 all up, 1 invalid spec (nothing started), 2 bad usage, 3 a gateway did not come up or Docker/compose failed.",
    )
    .action(
      action(async (spec: string, opts: { out?: string; image?: string; timeout?: number; ready?: boolean; force?: boolean; json?: boolean; target?: string }) => {
        if (opts.target === "swarm") return (await import("./swarm.js")).swarmUpCommand(spec, opts);
        const report = await reporter({ plain: opts.json, clean });
        const intr = interruptSignal(() => report.line("interrupted: stopping the wait (the gateways keep running)"));
        try {
          const res = await (await clawfed()).up(spec, { out: opts.out, image: opts.image, timeoutMs: opts.timeout, requireReady: opts.ready, force: opts.force, onProgress: report.line, signal: intr.signal });
          report.done();
          if (opts.json) printJson(res);
          else {
            write(renderUp(res));
            if (!res.ok) process.stderr.write(clean(`error: ${res.gateways.filter((g) => !g.ok).map((g) => g.id).join(", ")} did not come up\nNext: ${res.next}\n`));
          }
          return res.ok ? EXIT.ok : EXIT.runtime;
        } finally {
          report.done();
          intr.dispose();
        }
      }),
    );
}
