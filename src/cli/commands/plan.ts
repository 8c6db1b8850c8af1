import { Command, CommanderError } from "commander";
import type { PlanResult } from "../../ops/plan.js";
import { UsageError } from "../../errors.js";
import { clawfed } from "../clawfed.js";
import { table } from "../format.js";
import { action, printJson, reportError, write } from "../output.js";

/** `plan`'s exit codes (`terraform plan -detailed-exitcode`): 2 means changes and nothing else. */
export const PLAN_EXIT = { noChanges: 0, error: 1, changes: 2 } as const;

/** The plan as text: a summary line, the tables of files, containers, networks and volumes, then the diffs. */
export function renderPlan(p: PlanResult): string {
  const out = [`${p.federation}: ${p.changes === 0 ? "no changes" : `${p.changes} change(s)`}: what \`clawfed up\` would do to ${p.outDir} (planned in ${p.ms} ms; nothing was changed)`];
  if (p.files.length) {
    out.push("", "Files:", table([["ACTION", "PATH", "MODE"], ...p.files.map((f) => [f.action, f.path, f.modeBefore && f.mode && f.modeBefore !== f.mode ? `${f.modeBefore} → ${f.mode}` : (f.mode ?? f.modeBefore ?? "")])]));
  }
  const moving = p.containers.filter((c) => c.action !== "keep");
  out.push("", "Containers:", table([["ACTION", "GATEWAY", "CONTAINER", "WHY"], ...p.containers.map((c) => [c.action, c.gateway, c.container ?? "-", [...c.reasons, ...(c.settings ? [`settings changed: ${c.settings.join(", ")}`] : [])].join("; ") || "-"])]));
  const res = [...p.networks.map((r) => ["network", r]), ...p.volumes.map((r) => ["volume", r])] as Array<[string, PlanResult["networks"][number]]>;
  const shown = res.filter(([, r]) => r.action !== "keep");
  if (shown.length) out.push("", "Networks and volumes:", table([["ACTION", "KIND", "NAME"], ...shown.map(([k, r]) => [r.action === "unused" ? "unused (up leaves it; down removes it)" : r.action, k, r.name])]));
  if (p.newTokens.length) out.push("", `New tokens (values never shown): ${p.newTokens.join(", ")}`);
  for (const w of p.warnings) out.push(`warning: ${w}`);
  const diffs = p.files.filter((f) => f.diff);
  if (diffs.length) out.push("", ...diffs.map((f) => f.diff!.trimEnd()));
  if (p.next) out.push("", `Apply with: ${p.next}`);
  else if (!moving.length) out.push("", "Nothing to do.");
  return `${out.join("\n")}\n`;
}

export function registerPlan(program: Command): void {
  program
    .command("plan")
    .description("Show what `clawfed up` would change (files with a diff, containers to create/recreate/start/remove and why, networks, volumes), changing nothing.")
    .argument("<spec>", "federation spec")
    .option("-o, --out <dir>", "output folder (default: out/<federation name>)")
    .option("--image <ref>", "as `up --image`: image for every gateway the spec does not give its own")
    .option("--no-diff", "list the files without their diffs")
    .option("--json", "print the plan as JSON")
    .addHelpText(
      "after",
      "\nNothing is written or started: the spec is compiled in memory and compared with the output folder and the Docker Engine." +
        "\nEvery secret value in the diffs is shown as <redacted> (a changed one as `<redacted> (new value)`)." +
        "\nExit codes (as terraform plan -detailed-exitcode): 0 no changes, 2 changes, 1 invalid spec or bad usage, 3 Docker, compose or the output folder failed.",
    )
    // 2 means "changes" here, so bad usage is 1 (main maps a CommanderError through `clawfedExit`).
    .exitOverride((err) => {
      throw err.exitCode === 0 ? err : Object.assign(new CommanderError(err.exitCode, err.code, err.message), { clawfedExit: PLAN_EXIT.error });
    })
    .action(
      action(async (spec: string, opts: { out?: string; image?: string; diff?: boolean; json?: boolean }) => {
        try {
          const p = await (await clawfed()).plan(spec, { out: opts.out, image: opts.image, noDiff: opts.diff === false });
          if (opts.json) printJson(p);
          else write(renderPlan(p));
          return p.changes === 0 ? PLAN_EXIT.noChanges : PLAN_EXIT.changes;
        } catch (err) {
          if (!(err instanceof UsageError)) throw err;
          reportError(err, Boolean(opts.json));
          return PLAN_EXIT.error;
        }
      }),
    );
}
