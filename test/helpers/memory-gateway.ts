// What runs inside a MemoryEngine container (test/helpers/memory-engine.ts): a gateway whose
// behaviour comes from its image, when it reports started, its HTTP by published port (/healthz,
// /startupz, /readyz), and the in-container commands an upgrade's rehearsal runs (the /startupz
// probe script of runtime/scratch.ts and `openclaw doctor --lint --json`). The engine half (containers,
// images, volumes, networks, jobs, archives) stays in memory-engine.ts.
//
// Behaviours: "ok": /startupz says started `startMs` after a start; "crash": exits at once, writing
// a migration marker into its state first, and the engine restarts it; "hang": never leaves
// "starting"; "exit78": exits 78 and stays stopped.
import type { Clock } from "../../src/runtime/clock.js";
import type { ContainerInfo, ExecResult, Labels } from "../../src/runtime/docker/types.js";
import type { HttpAnswer, HttpGet } from "../../src/runtime/health.js";

export type Behaviour = "ok" | "crash" | "hang" | "exit78";

/** One container of the in-memory engine. */
export interface MemContainer {
  info: ContainerInfo;
  startedAtMs?: number;
  logs: string[];
}

/** What the gateway model reads of the engine it runs in. */
export interface GatewayHost {
  readonly clock: Clock;
  /** Milliseconds an "ok" gateway needs to report started. */
  readonly startMs: number;
  readonly containers: ReadonlyMap<string, MemContainer>;
  readonly images: ReadonlyMap<string, { id: string; behaviour: Behaviour; labels: Labels }>;
  /** Findings the modelled `openclaw doctor --lint` reports. */
  readonly doctorFindings: ReadonlyArray<{ checkId: string; severity: string; message: string }>;
}

/** The behaviour of the image a container runs ("ok" for an image the engine does not know). */
export function behaviourOf(host: GatewayHost, c: MemContainer): Behaviour {
  return [...host.images.values()].find((i) => i.id === c.info.imageId)?.behaviour ?? "ok";
}

/** Whether the gateway in `c` reports started now. */
function started(host: GatewayHost, c: MemContainer): boolean {
  return behaviourOf(host, c) === "ok" && host.clock.now() - (c.startedAtMs ?? 0) >= host.startMs;
}

/**
 * The in-container commands of a rehearsal: the /startupz probe script and
 * `openclaw doctor --lint --json` (reporting `doctorFindings`).
 * @throws for any other command (a test sets the engine's execHandler for those)
 */
export function gatewayExec(host: GatewayHost, c: MemContainer, cmd: string[]): ExecResult {
  if (cmd.some((a) => a.includes("/startupz"))) {
    const version = [...host.images.values()].find((i) => i.id === c.info.imageId)?.labels["ai.clawfed.openclaw-version"];
    return { exitCode: 0, stdout: `${JSON.stringify(started(host, c) ? { ok: true, status: "started", version } : { ok: false, status: "starting" })}\n`, stderr: "" };
  }
  if (cmd.includes("doctor")) {
    const findings = host.doctorFindings;
    const body = { schemaVersion: 1, ok: findings.length === 0, checksRun: 3, checksSkipped: 0, findings };
    return { exitCode: findings.length ? 1 : 0, stdout: `${JSON.stringify(body, null, 2)}\n`, stderr: "" };
  }
  throw new Error("MemoryEngine models exec only for the rehearsal's probe and doctor (or set execHandler)");
}

/** The gateway HTTP of the running containers, by published port. */
export function gatewayHttp(host: GatewayHost): HttpGet {
  return async (url: string): Promise<HttpAnswer> => {
    const u = new URL(url);
    const c = [...host.containers.values()].find((x) => x.info.running && x.info.ports.some((p) => p.hostPort === Number(u.port)));
    if (!c) return { error: "connection refused" };
    const ok = started(host, c);
    const json = (status: number, body: unknown): HttpAnswer => ({ status, contentType: "application/json", text: JSON.stringify(body) });
    switch (u.pathname) {
      case "/healthz":
        return json(200, { ok: true, status: "live" });
      case "/startupz":
        return ok ? json(200, { ok: true, status: "started" }) : json(503, { ok: false, status: "starting" });
      case "/readyz":
        return ok ? json(200, { ready: true, failing: [] }) : json(503, { ready: false, failing: ["startup-sidecars"] });
      default:
        return { status: 200, contentType: "text/html", text: "<html></html>" };
    }
  };
}
