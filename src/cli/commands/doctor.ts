import { Command } from "commander";
import type { DoctorResult } from "../../ops/doctor.js";
import { clawfed } from "../clawfed.js";
import { reporter, table } from "../format.js";
import { action, clean, EXIT, printJson, write } from "../output.js";
import { listArg } from "./runtime-args.js";

/** Findings as a table (status, check, gateway, detail), then one `fix:` line per problem. */
export function renderDoctor(r: DoctorResult): string {
  const { ok, warn, fail } = r.summary;
  const out = [`${r.federation}: ${fail ? `${fail} failed` : "no failures"}, ${warn} warning(s), ${ok} ok (${r.checks.length} checks in ${r.ms} ms)`];
  out.push(table([["STATUS", "CHECK", "GATEWAY", "DETAIL"], ...r.findings.map((f) => [f.status, f.check, f.gateway ?? "-", f.detail])]));
  const fixes = r.findings.filter((f) => f.status !== "ok" && f.fix);
  if (fixes.length) {
    out.push("", "To fix:");
    const seen = new Set<string>();
    for (const f of fixes) {
      const line = `  ${f.status} ${f.check}${f.gateway ? ` (${f.gateway})` : ""}: ${f.fix}`;
      if (!seen.has(line)) out.push(line);
      seen.add(line);
    }
  }
  return `${out.join("\n")}\n`;
}

export function registerDoctor(program: Command): void {
  program
    .command("doctor")
    .description("Audit a federation without changing it: drift between spec, generated files and containers; foreign containers on its ports; .env; images; Docker and compose; disk; OpenClaw's own doctor in each gateway.")
    .argument("<spec>", "federation spec")
    .option("-o, --out <dir>", "output folder (default: out/<federation name>)")
    .option("--image <ref>", "as `up --image`: image for every gateway the spec does not give its own")
    .option("--skip <checks>", "leave out these checks (comma-separated), e.g. openclaw-doctor", listArg)
    .option("--json", "print the findings as JSON")
    .addHelpText(
      "after",
      "\nChecks, in order: journal, docker, compose, image, env-file, files, containers, ports, disk, scratch, openclaw-doctor." +
        "\nEach finding is {check, status: ok|warn|fail, gateway?, detail, fix}; no secret value is ever shown." +
        "\nopenclaw-doctor runs `openclaw doctor --lint --json` (read-only: no repairs, migrations or writes) in each running gateway." +
        "\nExit codes: 0 no finding failed (warnings allowed), 1 some finding failed or the spec is invalid, 2 bad usage.",
    )
    .action(
      action(async (spec: string, opts: { out?: string; image?: string; skip?: string[]; json?: boolean }) => {
        const report = await reporter({ plain: opts.json, clean });
        try {
          const r = await (await clawfed()).doctor(spec, { out: opts.out, image: opts.image, skip: opts.skip, onProgress: report.line });
          report.done();
          if (opts.json) printJson(r);
          else write(renderDoctor(r));
          return r.ok ? EXIT.ok : EXIT.spec;
        } finally {
          report.done();
        }
      }),
    );
}
