/**
 * OpenClaw's own doctor, read-only, inside a running gateway container: `openclaw doctor --lint
 * --json` (OpenClaw docs gateway/doctor/running.md, "Read-only lint mode": no prompts, repairs,
 * migrations, restarts or state writes; exit 0 no finding at or above the threshold, 1 some
 * finding, 2 a failure before findings). The JSON envelope: `schemaVersion`, `ok`, `checksRun`,
 * `checksSkipped`, `findings[]` of `{checkId, severity: info|warning|error, message, fixHint?, …}`.
 */
import type { Engine } from "./docker/types.js";

/** The OpenClaw CLI in the image (the official layout: /app/openclaw.mjs on the image's node). */
export const OPENCLAW_IN_IMAGE = ["node", "/app/openclaw.mjs"];
/** The read-only lint run; `--severity-min info` so every finding is reported (the exit code is not used). */
export const DOCTOR_LINT_ARGS = ["doctor", "--lint", "--json", "--severity-min", "info"];
/**
 * The fallback when lint gives no report: bare `doctor --json`, which the docs call read-only and
 * non-interactive as well ("no prompts, repairs, or config/state rewrites"), with the same default
 * findings and an advisory exit code (cli/doctor/lint.md).
 */
export const DOCTOR_JSON_ARGS = ["doctor", "--json"];
/** Milliseconds one lint run may take (about 3 s alone; much longer on 2 busy cores). */
export const DOCTOR_TIMEOUT_MS = 120_000;

export interface LintFinding {
  checkId: string;
  severity: "info" | "warning" | "error";
  message: string;
  fixHint?: string;
  /** Machine-readable name of the rule broken, e.g. "gateway.bind_network_accessible". */
  requirement?: string;
}

export interface LintReport {
  checksRun: number;
  findings: LintFinding[];
}

/**
 * Parse the JSON document `doctor --lint --json` prints (the last line that parses as an object
 * with `findings`; anything before it is log noise).
 * @returns undefined when no such document is there
 */
export function parseLint(stdout: string): LintReport | undefined {
  // The whole text, then from each line that opens an object to the end (a report printed after
  // log lines, on one line or pretty-printed), then each line alone (log lines after it).
  const lines = stdout.split("\n");
  const candidates = [stdout.trim()];
  lines.forEach((l, i) => {
    if (l.trimStart().startsWith("{")) candidates.push(lines.slice(i).join("\n").trim(), l.trim());
  });
  for (const text of candidates) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      continue;
    }
    const d = doc as { findings?: unknown; checksRun?: unknown };
    if (!d || typeof d !== "object" || !Array.isArray(d.findings)) continue;
    const findings = d.findings
      .filter((f): f is Record<string, unknown> => Boolean(f) && typeof f === "object")
      .map((f): LintFinding => ({
        checkId: String(f.checkId ?? "?"),
        severity: f.severity === "error" || f.severity === "info" ? f.severity : "warning",
        message: String(f.message ?? ""),
        ...(typeof f.fixHint === "string" ? { fixHint: f.fixHint } : {}),
        ...(typeof f.requirement === "string" ? { requirement: f.requirement } : {}),
      }));
    return { checksRun: Number(d.checksRun) || 0, findings };
  }
  return undefined;
}

/** The outcome of one lint run: the report, or why there is none. */
export type LintRun = { ok: true; report: LintReport } | { ok: false; reason: string };

/**
 * Run the read-only lint in a running container (as its own user, with its own environment); when
 * it prints no report, the advisory `doctor --json` once.
 */
export async function runDoctorLint(engine: Pick<Engine, "exec">, containerId: string, timeoutMs = DOCTOR_TIMEOUT_MS): Promise<LintRun> {
  const reasons: string[] = [];
  for (const args of [DOCTOR_LINT_ARGS, DOCTOR_JSON_ARGS]) {
    const res = await engine.exec(containerId, [...OPENCLAW_IN_IMAGE, ...args], { timeoutMs });
    const report = parseLint(res.stdout);
    if (report) return { ok: true, report };
    const why = res.exitCode === 124 ? `did not finish within ${timeoutMs / 1000} s` : `exited ${res.exitCode} without a JSON report`;
    const tail = (res.stderr || res.stdout).trim().split("\n").slice(-3).join(" / ").slice(0, 400);
    reasons.push(`openclaw ${args.slice(0, 2).join(" ")} ${why}${tail ? `: ${tail}` : ""}`);
    // Timed out or killed (137: SIGKILL, e.g. the memory limit): never run a second process.
    if (res.exitCode === 124 || res.exitCode === 137) break;
  }
  return { ok: false, reason: reasons.join("; ") };
}
