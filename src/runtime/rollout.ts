/**
 * `rollout`: health-gated rolling update of a federation's gateways, one at a time: spokes first,
 * the hub last and only when asked. Modelled on `openclaw fleet upgrade` (recreate keeping port,
 * mounts, network, limits, env; restore the previous container on failure) and on the Kubernetes
 * operator (back the state up first, restore it on rollback, stop at the first failure); unlike
 * fleet it works offline (`--pull missing|never`).
 *
 * Per gateway:
 *  1. record the new image in the spec (`gateways.<id>.image`) and regenerate, so the compose file
 *     agrees and compose's config hash of the new container matches (a later `compose up -d`
 *     neither undoes nor recreates it);
 *  2. stop the container; copy its state (named volume or bind directory) into a snapshot volume;
 *  3. rename the old container aside (`<name>.clawfed-previous`), create its replacement with the
 *     new image and everything else kept, start it;
 *  4. gate: /startupz must say `started` and the container must then stay up (no exit, no restart)
 *     for `stableMs`; within `healthTimeoutMs`;
 *  5. pass: remove the old container and the snapshot; fail: remove the new container, restore the
 *     state from the snapshot, put the old container back and start it, wait for it to start,
 *     restore the spec and compose file, and stop the rollout.
 * Only containers carrying clawfed's ownership labels and this federation's compose project are
 * ever touched.
 */
import { CONTAINER_STATE_DIR } from "../vocabulary/names.js";
import { LABELS } from "../vocabulary/labels.js";
import { RuntimeError } from "../errors.js";
import { checkImageFlag, withImage } from "../generate.js";
import { formatMs } from "./clock.js";
import { redact, secretValues, type FederationContext } from "./context.js";
import type { ContainerInfo, MountSource } from "./engine.js";
import { GATE_POLL_MS, gateStarted, probe, publishedUrl } from "./health.js";
import { configHash, generationImage, recordImage, regenerate, writeSpecText } from "./regenerate.js";
import { copyTree, describeSource, snapshotLabels, snapshotVolumeName } from "./snapshot.js";
import { COMPOSE_CONFIG_HASH_LABEL, COMPOSE_IMAGE_LABEL, gatewayContainers, isOwned, outFlag, PREVIOUS_SUFFIX, type RuntimeDeps } from "./status.js";

/** Milliseconds a new gateway has to report `started` (the issue's default `--health-timeout 120s`). */
export const HEALTH_TIMEOUT_MS = 120_000;
/**
 * Milliseconds a new container must stay up (no exit, no restart, /startupz still `started`)
 * after it first reports `started`, before it is accepted.
 */
export const STABLE_MS = 1_000;
/** Seconds a gateway gets to stop before SIGKILL, when its container does not say (compose's stop_grace_period). */
export const STOP_TIMEOUT_S = 60;
/** /startupz attempts before a target counts as unhealthy at the start. */
const PREFLIGHT_PROBES = 3;
/** Lines of a failed container's log kept in the report. */
const LOG_TAIL_LINES = 20;

export type PullPolicy = "always" | "missing" | "never";

export interface RolloutOptions {
  /** Image for every selected gateway; default: the image the spec gives each gateway. */
  image?: string;
  /** Only these gateways (a hub named here is included). */
  only?: string[];
  /** Also update the hub, after every spoke. */
  includeHub?: boolean;
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
  /** compose's config hash of a gateway's service; default `compose config --hash` (injectable for tests). */
  configHash?: (id: string) => Promise<string | undefined>;
}

export type GatewayOutcome = "updated" | "unchanged" | "rolled-back" | "rollback-failed" | "not-touched";

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

export interface RolloutResult {
  federation: string;
  ok: boolean;
  gateways: GatewayRollout[];
  /** The spec file records new images (gateways.<id>.image). */
  specUpdated: boolean;
  /** Summary of a failure and what to do next. */
  message?: string;
  next?: string;
}

interface Target {
  id: string;
  role: "hub" | "spoke";
  info: ContainerInfo;
  image: string;
  state: MountSource;
  unchanged: boolean;
}

/** Gateways to update, in order: selected spokes (sorted), then the hub if asked. */
export function selectTargets(gateways: Array<{ id: string; role: "hub" | "spoke" }>, opts: Pick<RolloutOptions, "only" | "includeHub">, fedName: string): Array<{ id: string; role: "hub" | "spoke" }> {
  const ids = new Set(gateways.map((g) => g.id));
  const unknown = (opts.only ?? []).filter((o) => !ids.has(o));
  if (unknown.length) {
    throw new RuntimeError(`--only names ${unknown.map((u) => `"${u}"`).join(", ")}, which ${unknown.length === 1 ? "is not a gateway" : "are not gateways"} of ${fedName}`, {
      next: `use gateway ids from the spec: ${[...ids].join(", ")}`,
    });
  }
  const chosen = gateways.filter((g) => (opts.only ? opts.only.includes(g.id) : g.role === "spoke" || opts.includeHub));
  return [...chosen.filter((g) => g.role === "spoke"), ...chosen.filter((g) => g.role === "hub")];
}

/**
 * Roll the selected gateways to a new image, one at a time, health-gated, with automatic rollback.
 * @throws RuntimeError when a precondition fails (nothing was changed): the engine is unreachable,
 *   an unknown gateway, a target without an owned running healthy container, an image that cannot
 *   be had under the pull policy, a leftover of an interrupted rollout; UsageError for an
 *   `image` that is not a Docker image reference.
 * @returns the outcome per gateway; `ok: false` after a rollback (the rollout stopped there).
 */
export async function rollout(ctx: FederationContext, deps: RuntimeDeps, opts: RolloutOptions = {}): Promise<RolloutResult> {
  checkImageFlag(opts.image);
  const { engine, clock } = deps;
  const say = opts.onProgress ?? (() => undefined);
  const secrets = secretValues(ctx);
  const fedName = ctx.fed.name;
  const out = outFlag(ctx);
  await engine.ping();

  // ---- preflight: nothing is changed before every check passed --------------------------------
  const selected = selectTargets(ctx.fed.gateways, opts, fedName);
  if (selected.length === 0) throw new RuntimeError(`nothing to roll out: ${fedName} has no spokes`, { next: `clawfed rollout ${ctx.loaded.file} --include-hub${out}` });
  const genImage = await generationImage(ctx);
  const specImages = new Map(withImage(ctx.fed, genImage).gateways.map((g) => [g.id, g.image]));
  const { current, others } = await gatewayContainers(ctx, engine);
  const targets: Target[] = [];
  for (const s of selected) {
    const c = current.get(s.id);
    if (!c) throw new RuntimeError(`gateway ${s.id} has no container`, { next: `clawfed up ${ctx.loaded.file}${out}` });
    const info = await engine.inspect(c.id);
    if (!info || !isOwned(ctx, info.labels) || info.labels[LABELS.gateway] !== s.id) {
      throw new RuntimeError(`refusing to touch container ${c.name}: it lacks clawfed's ownership labels for ${fedName}/${s.id}`);
    }
    const leftover = others.find((o) => o.name === `${info.name}${PREVIOUS_SUFFIX}`);
    if (leftover) {
      throw new RuntimeError(`an earlier rollout of ${s.id} was interrupted: container ${leftover.name} (the previous ${s.id}) still exists`, {
        next: `check that ${s.id} is healthy (clawfed status ${ctx.loaded.file}${out}), then remove the leftover: docker rm ${leftover.name}`,
      });
    }
    if (!info.running) throw new RuntimeError(`gateway ${s.id} is not running (${info.status})`, { next: `clawfed up ${ctx.loaded.file}${out}` });
    const url = publishedUrl(info);
    let st = url ? await probe(deps.get, url, "/startupz") : undefined;
    // A busy host can miss one probe's timeout; a real problem persists.
    for (let i = 1; url && !st?.ok && i < PREFLIGHT_PROBES; i++) {
      await clock.sleep(GATE_POLL_MS);
      st = await probe(deps.get, url, "/startupz");
    }
    if (!st?.ok) {
      throw new RuntimeError(`gateway ${s.id} is not healthy before the rollout (/startupz: ${st?.error ?? "port not published"}); a rollout needs a healthy starting point`, {
        next: `clawfed status ${ctx.loaded.file}${out}`,
      });
    }
    const stateMount = info.mounts.find((m) => m.destination === CONTAINER_STATE_DIR);
    if (!stateMount) throw new RuntimeError(`gateway ${s.id} has no state mount at ${CONTAINER_STATE_DIR}; cannot snapshot its state`);
    const image = opts.image ?? specImages.get(s.id)!;
    targets.push({ id: s.id, role: s.role, info, image, state: stateMount.source, unchanged: false });
  }
  const imageIds = new Map<string, string>();
  for (const ref of [...new Set(targets.map((t) => t.image))]) {
    let img = opts.pull === "always" ? undefined : await engine.image(ref);
    if (!img && opts.pull === "never") {
      throw new RuntimeError(`image ${ref} is not present locally and --pull is never`, { next: `build or load it (docker build / docker load), or use --pull missing` });
    }
    if (!img) {
      say(`pulling ${ref}`);
      try {
        await engine.pull(ref, (l) => say(`  ${l}`));
      } catch (err) {
        throw new RuntimeError(`cannot pull ${ref}: ${(err as Error).message.split("\n")[0]}`, {
          next: `without a registry, build or load the image locally (docker build / docker load; for OpenClaw: scripts/ensure-openclaw.sh and src/runtime/image.ts), then: clawfed rollout ${ctx.loaded.file} --image ${ref} --pull never${out}`,
          cause: err,
        });
      }
      img = await engine.image(ref);
      if (!img) throw new RuntimeError(`image ${ref} is still missing after the pull`);
    }
    imageIds.set(ref, img.id);
  }
  for (const t of targets) t.unchanged = t.info.image === t.image && t.info.imageId === imageIds.get(t.image);

  // ---- one gateway at a time -----------------------------------------------------------------
  const results: GatewayRollout[] = [];
  let specUpdated = false;
  let failed: GatewayRollout | undefined;
  for (const t of targets) {
    if (failed) {
      results.push({ id: t.id, outcome: "not-touched", from: t.info.image, to: t.image });
      continue;
    }
    if (t.unchanged) {
      say(`${t.id}: already on ${t.image}`);
      results.push({ id: t.id, outcome: "unchanged", from: t.info.image, to: t.image });
      continue;
    }
    if (opts.signal?.aborted) {
      failed = { id: t.id, outcome: "not-touched", from: t.info.image, to: t.image, reason: "interrupted before it started" };
      results.push(failed);
      continue;
    }
    const r = await rollOne(t);
    results.push(r);
    if (r.outcome === "updated") specUpdated = true;
    else failed = r;
  }

  const result: RolloutResult = { federation: fedName, ok: !failed, gateways: results, specUpdated };
  if (failed) {
    const notTouched = results.filter((r) => r.outcome === "not-touched").map((r) => r.id);
    const rest = notTouched.length ? ` Not touched: ${notTouched.join(", ")}.` : "";
    if (failed.outcome === "rolled-back") {
      result.message = `${failed.id} did not come up on ${failed.to}: ${failed.reason}. It was rolled back to ${failed.from} with its state from before the rollout, and is serving again. The rollout stopped.${rest}`;
      result.next = `fix the image (the failed container is gone; its last log lines are in this report), then: clawfed rollout ${ctx.loaded.file} --image <ref>${opts.only ? ` --only ${opts.only.join(",")}` : ""}${out}`;
    } else if (failed.outcome === "rollback-failed") {
      result.message = `${failed.id} did not come up on ${failed.to} (${failed.reason}), and the rollback did not bring it back either. The rollout stopped.${rest}`;
      result.next = `clawfed status ${ctx.loaded.file}${out}; clawfed logs ${ctx.loaded.file} ${failed.id}${out}${failed.snapshot ? `; the state from before the rollout is kept in volume ${failed.snapshot}` : ""}`;
    } else {
      result.message = `the rollout stopped before ${failed.id}: ${failed.reason}.${rest}`;
      result.next = `clawfed status ${ctx.loaded.file}${out}`;
    }
  }
  return result;

  async function rollOne(t: Target): Promise<GatewayRollout> {
    const t0 = clock.now();
    const name = t.info.name;
    const out: GatewayRollout = { id: t.id, outcome: "updated", from: t.info.image, to: t.image };
    const log = (line: string) => say(`${t.id}: ${line}`);
    log(`${t.info.image} → ${t.image}`);

    // 1. Record the image in the spec, regenerate, ask compose for the service's config hash: in
    //    parallel with stopping and snapshotting (it needs no container; ~1 s with compose v1).
    let specBefore: string | undefined;
    const prepared = (async () => {
      specBefore = await recordImage(ctx.loaded.file, t.id, t.image);
      await regenerate(ctx, genImage);
      return (opts.configHash ?? ((id: string) => configHash(ctx, id)))(t.id);
    })();
    prepared.catch(() => undefined); // awaited below; never an unhandled rejection

    // 2–4, with what was done remembered for the rollback.
    const done: Done = { stopped: false, renamed: false };
    let downFrom = 0;
    let reason = "";
    try {
      log("stopping");
      downFrom = clock.now();
      await engine.stop(t.info.id, t.info.stopTimeoutS ?? STOP_TIMEOUT_S);
      done.stopped = true;
      const snap = snapshotVolumeName(fedName, t.id, deps.wallNow());
      await engine.createVolume(snap, snapshotLabels(fedName, t.id));
      done.snapshot = snap;
      out.snapshot = snap;
      const copied = await copyTree(engine, { image: t.info.imageId, from: t.state, to: { kind: "volume", name: snap }, labels: jobLabels(t.id) });
      log(`state of ${describeSource(t.state)} saved to volume ${snap} (${copied.files} files, ${(copied.bytes / 1e6).toFixed(1)} MB, ${formatMs(copied.ms)})`);
      const hash = await prepared.catch((err: Error) => {
        throw new Error(`could not record the new image in ${ctx.loaded.file}: ${err.message}`);
      });
      const labels: Record<string, string> = {};
      if (hash) labels[COMPOSE_CONFIG_HASH_LABEL] = hash;
      else log("warning: compose could not compute the service's config hash; a later `compose up -d` may recreate this container");
      if (t.info.labels[COMPOSE_IMAGE_LABEL]) labels[COMPOSE_IMAGE_LABEL] = imageIds.get(t.image)!;
      if (opts.signal?.aborted) throw new Interrupted();
      await engine.rename(t.info.id, `${name}${PREVIOUS_SUFFIX}`);
      done.renamed = true;
      done.newId = await engine.createLike(t.info.id, { name, image: t.image, labels });
      await engine.start(done.newId);
      log(`started on ${t.image}; waiting for /startupz (up to ${formatMs(opts.healthTimeoutMs ?? HEALTH_TIMEOUT_MS)})`);
      const gate = await gateStarted({
        engine,
        get: deps.get,
        clock,
        containerId: done.newId,
        timeoutMs: opts.healthTimeoutMs ?? HEALTH_TIMEOUT_MS,
        stableMs: opts.stableMs ?? STABLE_MS,
        maxRestarts: 0,
        onChange: (l) => log(l),
        signal: opts.signal,
      });
      if (gate.ok) return await commit(snap);
      reason = gate.reason;
    } catch (err) {
      reason = err instanceof Interrupted ? "interrupted" : redact((err as Error).message, secrets);
    }

    await prepared.catch(() => undefined);
    return rollbackOne(t, out, done, reason, specBefore, t0, downFrom);

    /** The new container passed: drop the previous one and the snapshot (a failure here is only a warning). */
    async function commit(snap: string): Promise<GatewayRollout> {
      out.downtimeMs = Math.round(clock.now() - downFrom - (opts.stableMs ?? STABLE_MS));
      const warnings: string[] = [];
      await engine.remove(t.info.id).catch((err: Error) => warnings.push(`the previous container ${name}${PREVIOUS_SUFFIX} could not be removed (${redact(err.message, secrets)}); remove it: docker rm ${name}${PREVIOUS_SUFFIX}`));
      if (opts.keepSnapshots) out.snapshotKept = true;
      else await engine.removeVolume(snap).catch((err: Error) => warnings.push(`the snapshot volume ${snap} could not be removed (${redact(err.message, secrets)}); remove it: docker volume rm ${snap}`));
      for (const w of warnings) log(`warning: ${w}`);
      if (warnings.length) out.reason = warnings.join("; ");
      out.ms = Math.round(clock.now() - t0);
      log(`updated in ${formatMs(out.ms)} (not serving for ${formatMs(out.downtimeMs)})`);
      return out;
    }
  }

  /** Undo what `rollOne` did for `t`, in reverse; report what could not be undone. */
  async function rollbackOne(t: Target, out: GatewayRollout, done: Done, reason: string, specBefore: string | undefined, t0: number, downFrom: number): Promise<GatewayRollout> {
    const name = t.info.name;
    const log = (line: string) => say(`${t.id}: ${line}`);
    log(`failed: ${reason}; rolling back`);
    const problems: string[] = [];
    const attempt = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        problems.push(`${what}: ${redact((err as Error).message, secrets)}`);
      }
    };
    if (done.newId) {
      const id = done.newId;
      out.logTail = await logTail(id).catch(() => undefined);
      await attempt("remove the new container", () => engine.remove(id, { force: true }));
    }
    if (done.snapshot && done.newId) {
      await attempt("restore the state snapshot", () => copyTree(engine, { image: t.info.imageId, from: { kind: "volume", name: done.snapshot! }, to: t.state, labels: jobLabels(t.id) }));
      if (!problems.length) log(`state restored from ${done.snapshot}`);
    }
    if (done.renamed) await attempt("give the previous container its name back", () => engine.rename(t.info.id, name));
    let back = false;
    if (done.stopped && !problems.length) {
      await attempt("start the previous container", () => engine.start(t.info.id));
      if (!problems.length) {
        const gate = await gateStarted({ engine, get: deps.get, clock, containerId: t.info.id, timeoutMs: opts.healthTimeoutMs ?? HEALTH_TIMEOUT_MS, maxRestarts: 0 });
        if (gate.ok) back = true;
        else problems.push(`the previous container did not start again: ${gate.reason}`);
      }
    } else if (!done.stopped) back = true;
    if (specBefore !== undefined) await attempt(`restore ${ctx.loaded.file}`, () => undoSpec(specBefore!));
    if (done.snapshot) {
      if (back && !opts.keepSnapshots) await attempt("remove the snapshot", () => engine.removeVolume(done.snapshot!));
      else out.snapshotKept = true;
    }
    out.ms = Math.round(clock.now() - t0);
    if (done.stopped) out.downtimeMs = Math.round(clock.now() - downFrom);
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

  async function undoSpec(text: string): Promise<void> {
    await writeSpecText(ctx.loaded.file, text);
    await regenerate(ctx, genImage);
  }

  function jobLabels(id: string): Record<string, string> {
    return { [LABELS.federation]: fedName, [LABELS.managed]: "true", [LABELS.gateway]: id };
  }

  async function logTail(id: string): Promise<string[]> {
    let text = "";
    for await (const c of engine.logs(id, { follow: false, tail: LOG_TAIL_LINES })) text += c.data.toString("utf8");
    return redact(text, secrets)
      .split("\n")
      .map((l) => l.trimEnd())
      .filter(Boolean)
      .slice(-LOG_TAIL_LINES);
  }
}

class Interrupted extends Error {}

/** What a gateway's update did so far (what a rollback must undo). */
interface Done {
  stopped: boolean;
  /** Snapshot volume created. */
  snapshot?: string;
  renamed: boolean;
  /** The new container. */
  newId?: string;
}
