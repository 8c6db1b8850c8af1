/**
 * Health of a gateway: its three HTTP probes, read from the published port on the host, and a
 * gate that waits (on an injectable clock) until a container reports `started` and stays up.
 *
 * Probes (OpenClaw 2026.9.6, facts §4): unauthenticated GETs answering JSON:
 * - `/healthz`  live:    200 `{"ok":true,"status":"live"}`
 * - `/startupz` started: 200 `{"ok":true,"status":"started",…}`; 503 `status:"starting"|"draining"`
 * - `/readyz`   ready:   200 `{"ready":true,"failing":[]}`; 503 `{"ready":false,"failing":[…]}`
 * Unknown paths answer 200 text/html (the Control UI), so a 200 alone proves nothing: every probe
 * checks the JSON body.
 */
import http from "node:http";
import { CONTAINER_PORT } from "../vocabulary/names.js";
import type { Clock } from "./clock.js";
import { formatMs } from "./clock.js";
import { PollError, pollUntil } from "./poll.js";
import type { ContainerInfo, Engine } from "./docker/types.js";

/** Milliseconds one probe may take before it counts as failed. */
export const PROBE_TIMEOUT_MS = 2_000;
/** Milliseconds between two polls of a gate. */
export const GATE_POLL_MS = 250;
/** Longest probe body read, in bytes (probe bodies are well under 1 KiB). */
const MAX_BODY_BYTES = 64 * 1024;

export type ProbePath = "/healthz" | "/startupz" | "/readyz";

/** What one HTTP GET returned; `error` when there was no HTTP answer. */
export interface HttpAnswer {
  status?: number;
  contentType?: string;
  text?: string;
  error?: string;
}

/** Issues one GET (injectable: unit tests answer from a table). */
export type HttpGet = (url: string, timeoutMs: number) => Promise<HttpAnswer>;

export interface ProbeResult {
  path: ProbePath;
  /** The probe passed (status and JSON body). */
  ok: boolean;
  /** HTTP status, absent when nothing answered. */
  httpStatus?: number;
  /** Milliseconds the request took. */
  ms: number;
  /** `status` of /healthz and /startupz bodies (live, started, starting, draining). */
  status?: string;
  /** /readyz: what is failing. */
  failing?: string[];
  /** /startupz details, only given to local callers. */
  version?: string;
  uptimeMs?: number;
  /** Why it failed, in words. */
  error?: string;
}

export interface GatewayProbes {
  healthz: ProbeResult;
  startupz: ProbeResult;
  readyz: ProbeResult;
}

/** GET over node:http (no keep-alive: probes are rare and must not pin sockets). */
export const nodeHttpGet: HttpGet = (url, timeoutMs) =>
  new Promise((resolve) => {
    let settled = false;
    const done = (a: HttpAnswer) => {
      if (!settled) {
        settled = true;
        resolve(a);
      }
    };
    const req = http.get(url, { agent: false, headers: { accept: "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY_BYTES) chunks.push(c);
      });
      res.on("end", () => done({ status: res.statusCode, contentType: String(res.headers["content-type"] ?? ""), text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", (err) => done({ error: err.message }));
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      done({ error: `no answer within ${formatMs(timeoutMs)}` });
    });
    req.on("error", (err: NodeJS.ErrnoException) => done({ error: err.code === "ECONNREFUSED" ? "connection refused" : err.code === "ECONNRESET" ? "connection reset" : err.message }));
  });

/** Judge one answer of `path` (pure). */
export function judgeProbe(path: ProbePath, a: HttpAnswer, ms: number): ProbeResult {
  const r: ProbeResult = { path, ok: false, ms: Math.round(ms) };
  if (a.error !== undefined || a.status === undefined) return { ...r, error: a.error ?? "no answer" };
  r.httpStatus = a.status;
  let body: Record<string, unknown> | undefined;
  try {
    const v: unknown = JSON.parse(a.text ?? "");
    if (v && typeof v === "object" && !Array.isArray(v)) body = v as Record<string, unknown>;
  } catch {
    /* not JSON */
  }
  if (!body) {
    const kind = (a.contentType ?? "").split(";")[0] || "no content type";
    return { ...r, error: `HTTP ${a.status} ${kind}, not the JSON probe answer (not an OpenClaw gateway ≥ 2026.8.1 on this port?)` };
  }
  if (typeof body.status === "string") r.status = body.status;
  if (typeof body.version === "string") r.version = body.version;
  if (typeof body.uptimeMs === "number") r.uptimeMs = body.uptimeMs;
  if (path === "/healthz") {
    r.ok = a.status === 200 && body.ok === true && body.status === "live";
  } else if (path === "/startupz") {
    r.ok = a.status === 200 && body.ok === true && body.status === "started";
    if (!r.ok && typeof body.pendingReason === "string") r.failing = [body.pendingReason];
  } else {
    r.ok = a.status === 200 && body.ready === true;
    r.failing = Array.isArray(body.failing) ? body.failing.map(String) : [];
  }
  if (!r.ok) r.error = `HTTP ${a.status}${r.status ? ` ${r.status}` : ""}${r.failing?.length ? ` (failing: ${r.failing.join(", ")})` : ""}`;
  return r;
}

/** GET one probe and judge it. */
export async function probe(get: HttpGet, baseUrl: string, path: ProbePath, timeoutMs = PROBE_TIMEOUT_MS, clock: Pick<Clock, "now"> = performance): Promise<ProbeResult> {
  const t0 = clock.now();
  const a = await get(`${baseUrl}${path}`, timeoutMs);
  return judgeProbe(path, a, clock.now() - t0);
}

/** All three probes, concurrently. */
export async function probeGateway(get: HttpGet, baseUrl: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<GatewayProbes> {
  const [healthz, startupz, readyz] = await Promise.all([
    probe(get, baseUrl, "/healthz", timeoutMs),
    probe(get, baseUrl, "/startupz", timeoutMs),
    probe(get, baseUrl, "/readyz", timeoutMs),
  ]);
  return { healthz, startupz, readyz };
}

/**
 * The host URL of a gateway container's published port (`http://127.0.0.1:<port>`), or undefined
 * when the gateway port is not published.
 */
export function publishedUrl(info: Pick<ContainerInfo, "ports">): string | undefined {
  const p = info.ports.find((x) => x.containerPort === CONTAINER_PORT && x.protocol === "tcp");
  if (!p) return undefined;
  const host = !p.hostIp || p.hostIp === "0.0.0.0" || p.hostIp === "::" ? "127.0.0.1" : p.hostIp;
  return `http://${host.includes(":") ? `[${host}]` : host}:${p.hostPort}`;
}

/** A few words on an exit code of an OpenClaw gateway (facts §5.3). */
export function exitHint(code: number): string {
  if (code === 78) return " (78: invalid config or unsafe state migration)";
  if (code === 137) return " (137: killed, e.g. out of memory)";
  if (code === 127 || code === 126) return ` (${code}: the command could not run)`;
  return "";
}

export interface GateOptions {
  engine: Engine;
  get: HttpGet;
  clock: Clock;
  containerId: string;
  /** Give up after this many milliseconds. */
  timeoutMs: number;
  /** After `started`, the container must stay running (no restart) this long (ms). */
  stableMs?: number;
  /** Also require /readyz. */
  requireReady?: boolean;
  /** Engine restarts tolerated before the gate fails (a crash loop); default 0. */
  maxRestarts?: number;
  pollMs?: number;
  /** Called on every change of the one-line description of where the gateway is. */
  onChange?: (line: string) => void;
  signal?: AbortSignal;
}

export interface GateResult {
  ok: boolean;
  /** Milliseconds from the gate's start until it passed or failed. */
  ms: number;
  /** Why it failed (or "started"). */
  reason: string;
  /** The container failed by itself (exit, crash loop), as opposed to a timeout. */
  crashed: boolean;
  last?: ContainerInfo;
  probe?: ProbeResult;
}

/** What the gate remembers between two polls. */
interface GateState {
  t0: number;
  baseRestarts?: number;
  stableSince?: number;
  lastLine: string;
  last?: ContainerInfo;
  lastProbe?: ProbeResult;
}

/**
 * Wait until a container's gateway reports `started` on /startupz (and /readyz when asked) and then
 * stays running without a restart for `stableMs`. Fails at once when the container exits or the
 * engine restarts it more than `maxRestarts` times; fails after `timeoutMs` otherwise. Polls every
 * `pollMs` (default {@link GATE_POLL_MS}) through {@link pollUntil}.
 */
export async function gateStarted(o: GateOptions): Promise<GateResult> {
  const st: GateState = { t0: o.clock.now(), lastLine: "" };
  try {
    const r = await pollUntil(() => gateStep(o, st), (x) => x !== undefined, {
      clock: o.clock,
      timeoutMs: o.timeoutMs,
      intervalMs: o.pollMs ?? GATE_POLL_MS,
      description: `container ${o.containerId} to start`,
      signal: o.signal,
    });
    return r!;
  } catch (err) {
    if (!(err instanceof PollError)) throw err;
    if (err.reason === "aborted") return gateFail(o, st, "interrupted", false);
    const p = st.lastProbe;
    const where = p ? (p.ok ? p.path : `${p.path}: ${p.error ?? p.status}`) : st.last?.status;
    return gateFail(o, st, `not ${o.requireReady ? "ready" : "started"} after ${formatMs(o.timeoutMs)} (last: ${where})`, false);
  }
}

function gateFail(o: GateOptions, st: GateState, reason: string, crashed: boolean): GateResult {
  return { ok: false, ms: o.clock.now() - st.t0, reason, crashed, last: st.last, probe: st.lastProbe };
}

/** One look at the container and its probes: a final result, or undefined to poll again. */
async function gateStep(o: GateOptions, st: GateState): Promise<GateResult | undefined> {
  const say = (line: string) => {
    if (line !== st.lastLine) o.onChange?.(line);
    st.lastLine = line;
  };
  const last = (st.last = await o.engine.inspect(o.containerId));
  if (!last) return gateFail(o, st, "the container disappeared", true);
  st.baseRestarts ??= last.restartCount;
  const restarts = last.restartCount - st.baseRestarts;
  if (restarts > (o.maxRestarts ?? 0)) {
    const code = last.running ? "" : `, last exit code ${last.exitCode}${exitHint(last.exitCode)}`;
    return gateFail(o, st, `the container exited and the engine restarted it ${restarts} time(s) (crash loop)${code}`, true);
  }
  if (last.status === "restarting" && (o.maxRestarts ?? 0) === 0) return gateFail(o, st, `exited with code ${last.exitCode}${exitHint(last.exitCode)} and is being restarted`, true);
  if (!last.running && last.status !== "restarting") {
    if (last.status !== "created") return gateFail(o, st, `${last.status} with code ${last.exitCode}${exitHint(last.exitCode)}${last.oomKilled ? ", killed for lack of memory" : ""}${last.error ? `: ${last.error}` : ""}`, true);
    say("created, not started");
    return undefined;
  }
  if (!last.running) return undefined;
  const url = publishedUrl(last);
  if (!url) return gateFail(o, st, `port ${CONTAINER_PORT} is not published on the host`, false);
  const [s, r] = await Promise.all([
    probe(o.get, url, "/startupz", PROBE_TIMEOUT_MS, o.clock),
    o.requireReady ? probe(o.get, url, "/readyz", PROBE_TIMEOUT_MS, o.clock) : Promise.resolve(undefined),
  ]);
  st.lastProbe = r && s.ok ? r : s;
  if (s.ok && (!r || r.ok)) {
    st.stableSince ??= o.clock.now();
    const reason = o.requireReady ? "ready" : "started";
    say(reason);
    if (o.clock.now() - st.stableSince >= (o.stableMs ?? 0)) return { ok: true, ms: o.clock.now() - st.t0, reason, crashed: false, last, probe: st.lastProbe };
    return undefined;
  }
  st.stableSince = undefined;
  say(s.ok ? `started, not ready: ${r?.error ?? "?"}` : s.status ? `${s.status}${s.failing?.length ? ` (${s.failing.join(", ")})` : ""}` : `waiting for the gateway (${s.error ?? "no answer"})`);
  return undefined;
}
