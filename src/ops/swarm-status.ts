/**
 * Status of a federation run as a Swarm stack: per gateway its service (image, the image before
 * the last update, the state of the last update or rollback), its tasks (the running one, recent
 * failures with Swarm's error), and the three probes on the port published in host mode on this
 * node (`http://127.0.0.1:<port>`; health.ts judges the JSON bodies).
 */
import { LABELS } from "../vocabulary/labels.js";
import type { Clock } from "../runtime/clock.js";
import { formatMs } from "../runtime/clock.js";
import { outFlag, pickGateways, type FederationContext } from "./context.js";
import { GATE_POLL_MS, probe, probeGateway, type GatewayProbes, type HttpGet, type ProbeResult } from "../runtime/health.js";
import type { ServiceInfo, SwarmEngine, TaskInfo } from "../runtime/swarm/types.js";
import { STACK_NAMESPACE_LABEL } from "../targets/swarm/model.js";

interface Deps {
  swarm: SwarmEngine;
  get: HttpGet;
  clock: Clock;
}

/** Failed tasks of one gateway `up` tolerates while waiting (Swarm restarts them) before it calls it a crash loop. */
export const SWARM_UP_MAX_FAILURES = 2;
/** Recent failed tasks shown per gateway. */
const SHOWN_FAILURES = 3;

const own = (fed: string, gateway?: string) => ({
  [LABELS.federation]: fed,
  [LABELS.managed]: "true",
  [STACK_NAMESPACE_LABEL]: fed,
  ...(gateway ? { [LABELS.gateway]: gateway } : {}),
});
const isFailure = (t: TaskInfo) => t.state === "failed" || t.state === "rejected";
const url = (port: number) => `http://127.0.0.1:${port}`;

function taskLine(t: TaskInfo): string {
  return `${t.state}${t.error ? `: ${t.error}` : t.message && t.message !== t.state ? ` (${t.message})` : ""}`;
}

export interface WaitOptions {
  federation: string;
  gateway: string;
  port: number;
  timeoutMs: number;
  onChange?: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * Wait until the gateway's service has a running task and /startupz answers `started` on its
 * published port; fail after `timeoutMs`, or at once when more than SWARM_UP_MAX_FAILURES of its
 * tasks failed since the wait began.
 */
export async function waitStarted(deps: Deps, o: WaitOptions): Promise<{ ok: boolean; ms: number; reason: string }> {
  const t0 = deps.clock.now();
  let last = "";
  const say = (l: string) => {
    if (l !== last) o.onChange?.(l);
    last = l;
  };
  const seen = new Set<string>();
  let baseline: Set<string> | undefined;
  for (;;) {
    if (o.signal?.aborted) return { ok: false, ms: deps.clock.now() - t0, reason: "interrupted" };
    const svc = (await deps.swarm.services(own(o.federation, o.gateway)))[0];
    if (!svc) return { ok: false, ms: deps.clock.now() - t0, reason: "the service disappeared" };
    const tasks = await deps.swarm.tasks(svc.id);
    baseline ??= new Set(tasks.filter(isFailure).map((t) => t.id));
    for (const t of tasks) if (isFailure(t) && !baseline.has(t.id)) seen.add(t.id);
    const newest = tasks.find((t) => t.desiredState === "running") ?? tasks[0];
    if (seen.size > SWARM_UP_MAX_FAILURES) {
      const f = tasks.find((t) => seen.has(t.id))!;
      return { ok: false, ms: deps.clock.now() - t0, reason: `${seen.size} tasks failed (crash loop); last: ${taskLine(f)}` };
    }
    let p: ProbeResult | undefined;
    if (newest?.state === "running") {
      p = await probe(deps.get, url(o.port), "/startupz", undefined, deps.clock);
      if (p.ok) {
        say("started");
        return { ok: true, ms: deps.clock.now() - t0, reason: "started" };
      }
      say(p.status ? `running, ${p.status}` : `running, waiting for the gateway (${p.error ?? "no answer"})`);
    } else say(newest ? `task ${taskLine(newest)}` : "no task yet");
    if (deps.clock.now() - t0 >= o.timeoutMs) return { ok: false, ms: deps.clock.now() - t0, reason: `not started after ${formatMs(o.timeoutMs)} (last: ${last})` };
    await deps.clock.sleep(GATE_POLL_MS * 4, o.signal);
  }
}

export interface SwarmGatewayStatus {
  id: string;
  role: string;
  state: "healthy" | "starting" | "unhealthy" | "missing";
  healthy: boolean;
  service?: string;
  image?: string;
  /** Image of the spec before the last update, when Docker keeps it. */
  previousImage?: string;
  /** After a rollback: the image Swarm rolled back from (that of the failed tasks). */
  rolledBackFrom?: string;
  update?: { state: string; message?: string; at?: string };
  task?: { state: string; since: string; container?: string };
  /** Most recent failed tasks, newest first. */
  failures: Array<{ image: string; error: string; at: string; exitCode?: number }>;
  probes?: GatewayProbes;
  url: string;
  problems: string[];
}

export interface SwarmStatus {
  federation: string;
  healthy: boolean;
  ms: number;
  gateways: SwarmGatewayStatus[];
  /** Services of this stack that are not gateways of the spec. */
  others: string[];
}

function gatewayStatus(g: { id: string; role: string; port: number }, svc: ServiceInfo | undefined, tasks: TaskInfo[], probes: GatewayProbes | undefined): SwarmGatewayStatus {
  const base: SwarmGatewayStatus = { id: g.id, role: g.role, state: "missing", healthy: false, failures: [], url: url(g.port), problems: [] };
  if (!svc) return { ...base, problems: ["no Swarm service (clawfed up --target swarm)"] };
  const running = tasks.find((t) => t.desiredState === "running" && t.state === "running");
  const current = running ?? tasks.find((t) => t.desiredState === "running") ?? tasks[0];
  const out: SwarmGatewayStatus = {
    ...base,
    service: svc.name,
    image: svc.image,
    ...(svc.previousImage ? { previousImage: svc.previousImage } : {}),
    ...(svc.updateState ? { update: { state: svc.updateState, message: svc.updateMessage, at: svc.updateCompletedAt ?? svc.updateStartedAt } } : {}),
    ...(current ? { task: { state: current.state, since: current.timestamp, ...(current.containerId ? { container: current.containerId.slice(0, 12) } : {}) } } : {}),
    failures: tasks.filter(isFailure).slice(0, SHOWN_FAILURES).map((t) => ({ image: t.image, error: t.error ?? t.message, at: t.timestamp, ...(t.exitCode !== undefined ? { exitCode: t.exitCode } : {}) })),
    ...(probes ? { probes } : {}),
  };
  out.healthy = Boolean(running && probes?.healthz.ok && probes.startupz.ok);
  out.state = out.healthy ? "healthy" : running ? (probes?.healthz.ok ? "starting" : "unhealthy") : "starting";
  if (svc.updateState?.startsWith("rollback_")) {
    // After a rollback Docker drops the failed spec; its image lives on in the failed tasks.
    const from = tasks.find((t) => isFailure(t) && t.image !== svc.image)?.image ?? (svc.previousImage !== svc.image ? svc.previousImage : undefined);
    if (from) out.rolledBackFrom = from;
    out.problems.push(`the update to ${from ?? "a new spec"} failed; Swarm ${svc.updateState.replace("rollback_", "rollback ")} back to ${svc.image}${svc.updateMessage ? ` (${svc.updateMessage})` : ""}`);
  } else if (svc.updateState === "paused") out.problems.push(`the last update is paused: ${svc.updateMessage ?? "?"}`);
  if (!running) out.problems.push(current ? `no running task (latest: ${taskLine(current)})` : "no task");
  else if (probes && !probes.startupz.ok) out.problems.push(`/startupz: ${probes.startupz.error ?? probes.startupz.status}`);
  return out;
}

/** The status of every gateway (all at once). */
export async function swarmStatus(ctx: FederationContext, deps: Deps, opts: { probeTimeoutMs?: number; only?: string[] } = {}): Promise<SwarmStatus> {
  const picked = pickGateways(ctx.fed, opts.only, "--only");
  const t0 = deps.clock.now();
  const services = await deps.swarm.services(own(ctx.fed.name));
  const ids = new Set(ctx.fed.gateways.map((g) => g.id));
  const gateways = await Promise.all(
    picked.map(async (g) => {
      const svc = services.find((s) => s.labels[LABELS.gateway] === g.id);
      const tasks = svc ? await deps.swarm.tasks(svc.id) : [];
      const running = tasks.some((t) => t.state === "running");
      const probes = running ? await probeGateway(deps.get, url(g.port), opts.probeTimeoutMs) : undefined;
      return gatewayStatus(g, svc, tasks, probes);
    }),
  );
  const others = services.filter((s) => !ids.has(s.labels[LABELS.gateway] ?? "")).map((s) => s.name);
  return { federation: ctx.fed.name, healthy: gateways.every((g) => g.healthy), ms: Math.round(deps.clock.now() - t0), gateways, others };
}

/** `next` of a status that is not healthy: the logs of the first gateway that is not. */
export function swarmNext(ctx: FederationContext, st: SwarmStatus): { next?: string } {
  const bad = st.gateways.find((g) => !g.healthy);
  if (!bad) return {};
  return { next: bad.service ? `clawfed logs ${ctx.loaded.file} ${bad.id} --target swarm${outFlag(ctx)}` : `clawfed up ${ctx.loaded.file} --target swarm${outFlag(ctx)}` };
}
