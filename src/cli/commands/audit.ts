import { Command } from "commander";
import os from "node:os";
import path from "node:path";
import type { AuditResult } from "../../audit/launchd.js";
import { UsageError } from "../../errors.js";
import { action, EXIT, printJson, write } from "../output.js";

/** One line per finding (failures first), then a summary line. */
export function renderAudit(res: AuditResult, verbose: boolean): string {
  const order = { fail: 0, warn: 1, pass: 2 } as const;
  const shown = res.findings.filter((f) => verbose || f.level !== "pass").sort((a, b) => order[a.level] - order[b.level]);
  const w1 = Math.max(0, ...shown.map((f) => f.subject.length));
  const w2 = Math.max(0, ...shown.map((f) => f.check.length));
  const lines = shown.map((f) => `${f.level.toUpperCase().padEnd(4)}  ${f.subject.padEnd(w1)}  ${f.check.padEnd(w2)}  ${f.message}`);
  lines.push(
    `audit of ${res.dir}: ${res.instances} OpenClaw instance(s) in ${res.plists} plist(s); ${res.counts.pass} pass, ${res.counts.warn} warn, ${res.counts.fail} fail${res.ok ? "" : " (FAILED)"}`,
  );
  if (!verbose && res.counts.pass > 0) lines.push("(--verbose lists the passing checks too)");
  return `${lines.join("\n")}\n`;
}

export function registerAudit(program: Command): void {
  program
    .command("audit")
    .description("Audit a cluster of OpenClaw launchd agents: unique labels, ports, state dirs and tokens; every plist keeps the contract.")
    .argument("[dir]", "folder of plists: ~/Library/LaunchAgents, or a generated root (its launchd/ folder is read too)", path.join(os.homedir(), "Library", "LaunchAgents"))
    .option("--strict", "fail on warnings too")
    .option("-v, --verbose", "also list the checks that pass")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      "\nContract (seed 003): RunAtLoad true, KeepAlive true, ProgramArguments [node, <openclaw entry>, gateway, --port, N]," +
        "\nEnvironmentVariables.OPENCLAW_STATE_DIR, StandardOutPath and StandardErrorPath inside that state dir, no secret in the plist." +
        "\nAcross instances: no label, port, state dir, config or gateway token used twice (tokens are compared by fingerprint, never printed)." +
        "\nExit codes: 0 no failure, 1 some check failed (with --strict: or warned), 2 bad usage or no such folder.",
    )
    .action(
      action(async (dir: string, opts: { strict?: boolean; verbose?: boolean; json?: boolean }) => {
        const { auditLaunchAgents } = await import("../../audit/launchd.js");
        let res: AuditResult;
        try {
          res = await auditLaunchAgents(dir, { strict: opts.strict });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
          throw new UsageError(`no such folder: ${dir}`);
        }
        if (opts.json) printJson(res);
        else write(renderAudit(res, Boolean(opts.verbose)));
        return res.ok ? EXIT.ok : EXIT.spec;
      }),
    );
}
