/**
 * Looking into an isolated scratch gateway (Engine.createScratch: no ports, network `none`) from
 * the outside: its /startupz answered inside the container (docker exec of the image's own `node`,
 * the gateway listens on 18789 there), and OpenClaw's read-only doctor run inside it.
 *
 * Doctor: `openclaw doctor --lint --severity-min error --json` is OpenClaw's read-only,
 * non-interactive deployment-preflight posture: no prompts, no repairs, no config or state
 * rewrites; exit 0 no finding at the threshold, 1 findings, 2 it failed before the checks
 * completed; JSON `{schemaVersion, ok, checksRun, findings: [{checkId, severity, message, path?,
 * fixHint?}]}` (OpenClaw docs cli/doctor/lint.md).
 */
import { CONTAINER_PORT } from "../vocabulary/names.js";
import { RuntimeError } from "../errors.js";
import type { Engine, Labels } from "./docker/types.js";

/** Milliseconds one in-container probe may take (node starts in ~0.3 s; a busy host is slower). */
export const INSIDE_PROBE_TIMEOUT_MS = 15_000;
/** Milliseconds `openclaw doctor --lint` may take inside the scratch gateway. */
export const DOCTOR_TIMEOUT_MS = 180_000;

/** Prints the /startupz JSON body, or `{"error":…}` when nothing answers. */
const PROBE_SCRIPT = `fetch("http://127.0.0.1:${CONTAINER_PORT}/startupz",{signal:AbortSignal.timeout(4000)}).then(r=>r.text()).then(t=>console.log(t),e=>console.log(JSON.stringify({error:String(e&&e.cause&&e.cause.code||e)})))`;

/** One /startupz answer from inside: `started` true when the gateway says so. */
export interface InsideProbe {
  started: boolean;
  /** `status` of the body (`starting`, `started`), or the error. */
  detail: string;
  version?: string;
}

/** /startupz of the gateway in a running container, asked from inside it. Never throws for a gateway that does not answer. */
export async function startupzInside(engine: Engine, id: string): Promise<InsideProbe> {
  const r = await engine.exec(id, ["node", "-e", PROBE_SCRIPT], { timeoutMs: INSIDE_PROBE_TIMEOUT_MS });
  const line = r.stdout.trim().split("\n").pop() ?? "";
  try {
    const b = JSON.parse(line) as { status?: string; version?: string; error?: string };
    return { started: b.status === "started", detail: b.status ?? b.error ?? line, ...(b.version ? { version: b.version } : {}) };
  } catch {
    return { started: false, detail: `exit ${r.exitCode}: ${(r.stderr || line).trim().split("\n").pop() ?? ""}` };
  }
}

/** One doctor finding (OpenClaw's names). */
export interface DoctorFinding {
  checkId: string;
  severity: string;
  message: string;
  path?: string;
  fixHint?: string;
}

/** What the doctor said: `ok` when it completed without an error finding. */
export interface DoctorReport {
  ok: boolean;
  exitCode: number;
  checksRun?: number;
  /** Findings of severity error (the threshold). */
  errors: DoctorFinding[];
  /** Why it is not ok when it produced no report (exit 2, unparsable output). */
  failure?: string;
}

/**
 * Parse `openclaw doctor --lint --severity-min error --json` output (pure).
 * The JSON object is the last `{`-led block of stdout (plugins may log lines before it).
 */
export function parseDoctor(exitCode: number, stdout: string, stderr: string): DoctorReport {
  let body: { ok?: boolean; checksRun?: number; findings?: DoctorFinding[] } | undefined;
  // Candidate starts: the first character, and every line that begins with "{".
  const starts = [0, ...[...stdout.matchAll(/\n\{/g)].map((m) => m.index! + 1)];
  for (const i of starts) {
    try {
      body = JSON.parse(stdout.slice(i)) as typeof body;
      break;
    } catch {
      /* not the report yet */
    }
  }
  if (!body || !Array.isArray(body.findings)) {
    const why = (stderr || stdout).trim().split("\n").slice(-3).join(" | ");
    return { ok: false, exitCode, errors: [], failure: `doctor produced no report (exit ${exitCode})${why ? `: ${why}` : ""}` };
  }
  const errors = body.findings.filter((f) => f.severity === "error" || f.severity === "critical");
  const ok = errors.length === 0 && exitCode !== 2;
  return { ok, exitCode, errors, ...(body.checksRun !== undefined ? { checksRun: body.checksRun } : {}), ...(exitCode === 2 ? { failure: "doctor failed before its checks completed (exit 2)" } : {}) };
}

/**
 * Run OpenClaw's read-only doctor in a running container (as the image's user, with the
 * container's env: the config's `${VAR}` references resolve as in the gateway).
 * @param entry the OpenClaw CLI entry in the image (`/app/openclaw.mjs` in the official and the local image)
 */
export async function doctorInside(engine: Engine, id: string, entry = "/app/openclaw.mjs"): Promise<DoctorReport> {
  const r = await engine.exec(id, ["node", entry, "doctor", "--lint", "--severity-min", "error", "--json"], { timeoutMs: DOCTOR_TIMEOUT_MS });
  return parseDoctor(r.exitCode, r.stdout, r.stderr);
}

/** OpenClaw's shared state database inside the state folder (relative path). */
export const STATE_SQLITE = "state/openclaw.sqlite";

/**
 * Deletes every row of `state_leases` in the database argv[1] when it exists; prints
 * `{"released":n}`. node:sqlite is the module OpenClaw itself uses (Node 24).
 */
const RELEASE_SCRIPT = `
const fs = require("fs");
const file = process.argv[1];
if (!fs.existsSync(file)) { console.log(JSON.stringify({ released: 0, missing: true })); process.exit(0); }
const { DatabaseSync } = require("node:sqlite");
const db = new DatabaseSync(file);
const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='state_leases'").get();
const n = has ? db.prepare("DELETE FROM state_leases").run().changes : 0;
db.close();
console.log(JSON.stringify({ released: n }));
`;

/**
 * Release, in a COPY of a running gateway's state, the leases the live process holds (OpenClaw
 * keeps them in the `state_leases` table of state/openclaw.sqlite: the gateway owner lease names
 * the live process's pid and host, and a copy taken while it runs still carries it, so a gateway
 * started on the copy refuses with "Another Gateway owner lease is still active for this state
 * directory"). A clean shutdown releases them the same way. Runs as uid 1000 (the gateway's user)
 * so the database's -wal/-shm files keep the gateway's owner.
 * @returns how many leases were released
 * @throws RuntimeError when the job fails
 */
export async function releaseCopiedLeases(engine: Engine, o: { image: string; volume: string; labels: Labels }): Promise<number> {
  const res = await engine.runJob({
    image: o.image,
    entrypoint: ["node"],
    cmd: ["--no-warnings", "-e", RELEASE_SCRIPT, `/clawfed-state/${STATE_SQLITE}`],
    user: "1000:1000",
    mounts: [{ source: { kind: "volume", name: o.volume }, target: "/clawfed-state" }],
    labels: o.labels,
    timeoutMs: 60_000,
  });
  const last = res.output.trim().split("\n").pop() ?? "";
  try {
    const parsed = JSON.parse(last) as { released?: number };
    if (res.exitCode === 0 && typeof parsed.released === "number") return parsed.released;
  } catch {
    /* reported below */
  }
  throw new RuntimeError(`releasing the live gateway's leases in the state copy ${o.volume} failed (exit ${res.exitCode}): ${res.output.trim().split("\n").slice(-3).join(" | ")}`);
}
