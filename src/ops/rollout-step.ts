/**
 * One gateway of a rollout (see ops/rollout.ts): stop, snapshot, replace, gate; then commit, or
 * roll back in reverse order of what was done.
 */
import { LABELS } from "../vocabulary/labels.js";
import { formatMs } from "../runtime/clock.js";
import { COMPOSE_CONFIG_HASH_LABEL, COMPOSE_IMAGE_LABEL, PREVIOUS_SUFFIX } from "../runtime/containers.js";
import { gateStarted } from "../runtime/health.js";
import { redact } from "../runtime/redact.js";
import { copyTree, describeSource, snapshotLabels, snapshotVolumeName } from "../runtime/snapshot.js";
import type { MountSource, ContainerInfo } from "../runtime/docker/types.js";
import type { FederationContext } from "./context.js";
import type { ClawfedDeps } from "./deps.js";
import type { RolloutPlan, RolloutSelection } from "./rollout-plan.js";
import type { JournalHandle } from "./journal.js";
import { recordImages } from "./record.js";

/** Milliseconds a new gateway has to report `started` (the default `--health-timeout 120s`). */
export const HEALTH_TIMEOUT_MS = 120_000;
/**
 * Milliseconds a new container must stay up (no exit, no restart, /startupz still `started`)
 * after it first reports `started`, before it is accepted.
 */
export const STABLE_MS = 1_000;
/** Seconds a gateway gets to stop before SIGKILL, when its container does not say (compose's stop_grace_period). */
export const STOP_TIMEOUT_S = 60;

export type PullPolicy = "always" | "missing" | "never";

export interface RolloutOptions extends RolloutSelection {
  /** When to pull the target image: always, only when missing locally (default), never. */
  pull?: PullPolicy;
  /** Milliseconds each new gateway has to report `started`. */
  healthTimeoutMs?: number;
  /** Milliseconds it must then stay up. */
  stableMs?: number;
  /** Keep the state snapshot volumes of successful updates. */
  keepSnapshots?: boolean;
  onProgress?: (line: string) => void;
  /** Aborting rolls back the gateway being updated and stops. */
  signal?: AbortSignal;
  /**
   * Record each gateway's new image in the spec (ops/record.ts) right after it passed the health
   * gate and before its previous container is removed (default false for the library call
   * `applyRollout`; `createClawfed().rollout` and the CLI record).
   */
  record?: boolean;
  /**
   * The journal of an operation that contains this rollout (upgrade): the rollout appends its steps
   * to it instead of starting its own, and leaves finishing it to that operation.
   */
  journal?: JournalHandle;
}

export type GatewayOutcome = "updated" | "unchanged" | "rolled-back" | "rollback-failed" | "not-touched";

/** One gateway of a rollout: its outcome, images, ms taken and not serving, snapshot, reason, log tail. */
export interface GatewayRollout {
  id: string;
  outcome: GatewayOutcome;
  /** Image before and (intended) after. */
  from?: string;
  to?: string;
  /** Milliseconds for this gateway, start to end. */
  ms?: number;
  /** Milliseconds the gateway was not serving (stop → new one started; for a rollback, until the old one started again). */
  downtimeMs?: number;
  /** Snapshot volume (removed after a success unless kept). */
  snapshot?: string;
  snapshotKept?: boolean;
  /** What happened, for failures. */
  reason?: string;
  /** Last lines of the failed container's log, secrets redacted. */
  logTail?: string[];
}

export interface Target {
  id: string;
  role: "hub" | "spoke";
  service: string;
  info: ContainerInfo;
  image: string;
  state: MountSource;
  unchanged: boolean;
}

/** One run of {@link applyRollout}: what every step shares. */
export interface Run {
  ctx: FederationContext;
  deps: ClawfedDeps;
  plan: RolloutPlan;
  opts: RolloutOptions;
  say: (line: string) => void;
  imageIds: Map<string, string>;
  /** The operation journal (ops/journal.ts): each step is marked before it runs. */
  journal: JournalHandle;
  /** Gateways recorded in the spec so far, and the files the record steps rewrote. */
  recorded: Array<{ id: string; image: string }>;
  written: Set<string>;
}

/** Journal key of a gateway's step. */
export const stepKey = (id: string, action: RolloutAction) => `${id}:${action}`;
/** The journaled steps of one gateway, in order. */
export const ROLLOUT_ACTIONS = ["stop", "snapshot", "swap", "gate", "record", "cleanup"] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];



/** Lines of a failed container's log kept in the report. */
const LOG_TAIL_LINES = 20;

class Interrupted extends Error {}

/** What a gateway's update did so far (what a rollback must undo). */
interface Done {
  stopped: boolean;
  /** Snapshot volume created. */
  snapshot?: string;
  renamed: boolean;
  /** The new container. */
  newId?: string;
  /** Monotonic ms when the gateway stopped serving. */
  downFrom: number;
}

function jobLabels(run: Run, id: string): Record<string, string> {
  return { [LABELS.federation]: run.ctx.fed.name, [LABELS.managed]: "true", [LABELS.gateway]: id };
}

/** Update one gateway; never throws (a failure is rolled back and reported in the result). */
export async function rollOne(run: Run, t: Target): Promise<GatewayRollout> {
  const { engine, clock } = run.deps;
  const t0 = clock.now();
  const out: GatewayRollout = { id: t.id, outcome: "updated", from: t.info.image, to: t.image };
  const log = (line: string) => run.say(`${t.id}: ${line}`);
  log(`${t.info.image} → ${t.image}`);
  // compose's config hash of the service as the plan compiled it: in parallel with stopping and
  // snapshotting (it needs no container; ~1 s with compose v1).
  const prepared = run.deps.configHash(run.ctx.project, run.plan.composeText, t.service);
  prepared.catch(() => undefined); // awaited below; never an unhandled rejection
  const done: Done = { stopped: false, renamed: false, downFrom: 0 };
  let reason = "";
  const j = run.journal;
  const key = (a: RolloutAction) => stepKey(t.id, a);
  try {
    log("stopping");
    done.downFrom = clock.now();
    await j.begin(key("stop"));
    // Counted as stopped from here: a stop that fails half-way is undone by starting it again.
    done.stopped = true;
    const stopS = t.info.stopTimeoutS ?? STOP_TIMEOUT_S;
    await engine.stop(t.info.id, stopS);
    await j.end(key("stop"));
    // Exit 137 after a stop is the engine's SIGKILL: the gateway did not finish its shutdown in time.
    const stopped = await engine.inspect(t.info.id);
    // The new container can start on it only with the same hostname (compose target: the gateway id),
    // where OpenClaw proves the killed owner of its lease dead.
    if (stopped && stopped.exitCode === 137) log(`warning: the gateway did not finish its shutdown within ${stopS} s and was killed`);
    const snap = snapshotVolumeName(run.ctx.fed.name, t.id, run.deps.wallNow());
    await j.begin(key("snapshot"), { snapshot: snap });
    await engine.createVolume(snap, snapshotLabels(run.ctx.fed.name, t.id));
    done.snapshot = snap;
    out.snapshot = snap;
    const copied = await copyTree(engine, { image: t.info.imageId, from: t.state, to: { kind: "volume", name: snap }, labels: jobLabels(run, t.id) });
    log(`state of ${describeSource(t.state)} saved to volume ${snap} (${copied.files} files, ${(copied.bytes / 1e6).toFixed(1)} MB, ${formatMs(copied.ms)})`);
    const hash = await prepared.catch(() => undefined);
    const labels: Record<string, string> = {};
    if (hash) labels[COMPOSE_CONFIG_HASH_LABEL] = hash;
    else log("warning: compose could not compute the service's config hash; a later `compose up -d` may recreate this container");
    if (t.info.labels[COMPOSE_IMAGE_LABEL]) labels[COMPOSE_IMAGE_LABEL] = run.imageIds.get(t.image)!;
    await j.end(key("snapshot"));
    if (run.opts.signal?.aborted) throw new Interrupted();
    await j.begin(key("swap"));
    await engine.rename(t.info.id, `${t.info.name}${PREVIOUS_SUFFIX}`);
    done.renamed = true;
    done.newId = await engine.createLike(t.info.id, { name: t.info.name, image: t.image, labels });
    await engine.start(done.newId);
    await j.end(key("swap"), { newId: done.newId });
    await j.begin(key("gate"));
    const timeoutMs = run.opts.healthTimeoutMs ?? HEALTH_TIMEOUT_MS;
    log(`started on ${t.image}; waiting for /startupz (up to ${formatMs(timeoutMs)})`);
    const gate = await gateStarted({
      engine,
      get: run.deps.get,
      clock,
      containerId: done.newId,
      timeoutMs,
      stableMs: run.opts.stableMs ?? STABLE_MS,
      maxRestarts: 0,
      onChange: (l) => log(l),
      signal: run.opts.signal,
    });
    if (gate.ok) {
      await j.end(key("gate"));
      // The spec records the new image only now, after the gate; a failure here still rolls back.
      if (run.opts.record) await recordOne(run, t);
      return await commit(run, t, out, snap, t0, done.downFrom);
    }
    reason = gate.reason;
  } catch (err) {
    reason = err instanceof Interrupted ? "interrupted" : redact((err as Error).message, run.ctx.secrets);
  }
  return rollbackOne(run, t, out, done, reason, t0);
}

/** The journaled record step of a gateway that passed: the spec names its new image. */
async function recordOne(run: Run, t: Target): Promise<void> {
  await run.journal.begin(stepKey(t.id, "record"));
  const rec = await recordImages(run.ctx, [{ id: t.id, image: t.image }]);
  for (const w of rec.written) run.written.add(w);
  run.recorded.push({ id: t.id, image: t.image });
  run.say(`${t.id}: recorded in ${rec.specFile}: gateways.${t.id}.image = ${t.image}`);
  await run.journal.end(stepKey(t.id, "record"));
}

/** The new container passed: drop the previous one and the snapshot (a failure here is only a warning). */
async function commit(run: Run, t: Target, out: GatewayRollout, snap: string, t0: number, downFrom: number): Promise<GatewayRollout> {
  const { engine, clock } = run.deps;
  await run.journal.begin(stepKey(t.id, "cleanup"));
  const name = t.info.name;
  const secrets = run.ctx.secrets;
  out.downtimeMs = Math.round(clock.now() - downFrom - (run.opts.stableMs ?? STABLE_MS));
  const warnings: string[] = [];
  await engine.remove(t.info.id).catch((err: Error) => warnings.push(`the previous container ${name}${PREVIOUS_SUFFIX} could not be removed (${redact(err.message, secrets)}); remove it: docker rm ${name}${PREVIOUS_SUFFIX}`));
  if (run.opts.keepSnapshots) out.snapshotKept = true;
  else await engine.removeVolume(snap).catch((err: Error) => warnings.push(`the snapshot volume ${snap} could not be removed (${redact(err.message, secrets)}); remove it: docker volume rm ${snap}`));
  for (const w of warnings) run.say(`${t.id}: warning: ${w}`);
  if (warnings.length) out.reason = warnings.join("; ");
  await run.journal.end(stepKey(t.id, "cleanup"));
  out.ms = Math.round(clock.now() - t0);
  run.say(`${t.id}: updated in ${formatMs(out.ms)} (not serving for ${formatMs(out.downtimeMs)})`);
  return out;
}

/** Undo what `rollOne` did for `t`, in reverse; report what could not be undone. */
async function rollbackOne(run: Run, t: Target, out: GatewayRollout, done: Done, reason: string, t0: number): Promise<GatewayRollout> {
  const { engine, clock } = run.deps;
  const log = (line: string) => run.say(`${t.id}: ${line}`);
  log(`failed: ${reason}; rolling back`);
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      problems.push(`${what}: ${redact((err as Error).message, run.ctx.secrets)}`);
    }
  };
  if (done.newId) {
    const id = done.newId;
    out.logTail = await logTail(run, id).catch(() => undefined);
    await attempt("remove the new container", () => engine.remove(id, { force: true }));
  }
  if (done.snapshot && done.newId) {
    await attempt("restore the state snapshot", () => copyTree(engine, { image: t.info.imageId, from: { kind: "volume", name: done.snapshot! }, to: t.state, labels: jobLabels(run, t.id) }));
    if (!problems.length) log(`state restored from ${done.snapshot}`);
  }
  if (done.renamed) await attempt("give the previous container its name back", () => engine.rename(t.info.id, t.info.name));
  let back = !done.stopped;
  if (done.stopped && !problems.length) {
    await attempt("start the previous container", () => engine.start(t.info.id));
    if (!problems.length) {
      const gate = await gateStarted({ engine, get: run.deps.get, clock, containerId: t.info.id, timeoutMs: run.opts.healthTimeoutMs ?? HEALTH_TIMEOUT_MS, maxRestarts: 0 });
      if (gate.ok) back = true;
      else problems.push(`the previous container did not start again: ${gate.reason}`);
    }
  }
  if (done.snapshot) {
    if (back && !run.opts.keepSnapshots) await attempt("remove the snapshot", () => engine.removeVolume(done.snapshot!));
    else out.snapshotKept = true;
  }
  out.ms = Math.round(clock.now() - t0);
  if (done.stopped) out.downtimeMs = Math.round(clock.now() - done.downFrom);
  out.reason = reason;
  if (back && !problems.length) {
    out.outcome = "rolled-back";
    log(`rolled back to ${t.info.image}; serving again`);
  } else {
    out.outcome = "rollback-failed";
    out.reason = `${reason}; rollback: ${problems.join("; ")}`;
    log(`rollback failed: ${problems.join("; ")}`);
  }
  return out;
}

/** The last lines of a container's log, secrets redacted. */
async function logTail(run: Run, id: string): Promise<string[]> {
  let text = "";
  for await (const c of run.deps.engine.logs(id, { follow: false, tail: LOG_TAIL_LINES })) text += c.data.toString("utf8");
  return redact(text, run.ctx.secrets)
    .split("\n")
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-LOG_TAIL_LINES);
}
