/**
 * `rollout`, the applying half: a health-gated rolling update of the gateways a plan
 * (ops/rollout-plan.ts) names, one at a time: spokes first, the hub last and only when asked.
 * Modelled on `openclaw fleet upgrade` (recreate keeping port, mounts, network, limits, env;
 * restore the previous container on failure) and on the Kubernetes operator (back the state up
 * first, restore it on rollback, stop at the first failure); unlike fleet it works offline
 * (`--pull missing|never`).
 *
 * Per gateway:
 *  1. ask compose for the config hash of the gateway's service in the plan's compose text (in
 *     parallel with step 2), so the new container is the one compose would create;
 *  2. stop the container; copy its state (named volume or bind directory) into a snapshot volume;
 *  3. rename the old container aside (`<name>.clawfed-previous`), create its replacement with the
 *     new image and everything else kept, start it;
 *  4. gate: /startupz must say `started` and the container must then stay up (no exit, no restart)
 *     for `stableMs`; within `healthTimeoutMs`;
 *  5. pass: remove the old container and the snapshot; fail: remove the new container, restore the
 *     state from the snapshot, put the old container back and start it, wait for it to start, and
 *     stop the rollout.
 * Nothing here edits the spec or the generated files: recording the new images is the separate,
 * explicit step ops/record.ts. Only containers carrying clawfed's ownership labels and this
 * federation's compose project are ever touched.
 */
import { CONTAINER_STATE_DIR } from "../vocabulary/names.js";
import { LABELS } from "../vocabulary/labels.js";
import { RuntimeError } from "../errors.js";
import { gatewayContainers, isOwned, PREVIOUS_SUFFIX } from "../runtime/containers.js";
import type { ContainerInfo } from "../runtime/docker/types.js";
import { GATE_POLL_MS, probe, PROBE_TIMEOUT_MS, publishedUrl } from "../runtime/health.js";
import { imageBuildCommand } from "../runtime/image/recipe.js";
import { PollError, pollUntil } from "../runtime/poll.js";
import { outFlag, type FederationContext } from "./context.js";
import type { ClawfedDeps } from "./deps.js";
import { checkImageFlag, previousSubnets } from "./generate.js";
import { planRollout, selectTargets, RolloutPlan, RolloutSelection } from "./rollout-plan.js";
import { rollOne, GatewayRollout, RolloutOptions, Run, Target } from "./rollout-step.js";
import { startJournal, type JournalHandle } from "./journal.js";
import { rolloutJournalArgs, rolloutSteps } from "./rollout-journal.js";

export { HEALTH_TIMEOUT_MS, STABLE_MS, STOP_TIMEOUT_S, GatewayOutcome, GatewayRollout, PullPolicy, RolloutOptions } from "./rollout-step.js";

export { planRollout, selectTargets, RolloutPlan, RolloutSelection, type RolloutStep } from "./rollout-plan.js";

/**
 * Milliseconds /startupz is retried before a target counts as unhealthy at the start: a busy host
 * can miss one probe's timeout (PROBE_TIMEOUT_MS, 2 s); this leaves room for at least three probes.
 */
const PREFLIGHT_TIMEOUT_MS = 3 * (PROBE_TIMEOUT_MS + GATE_POLL_MS);

/** A rollout applied: per gateway outcome, `updated` (what the record step writes), `message`/`next` after a stop, `ms`. */
export interface RolloutResult {
  federation: string;
  ok: boolean;
  /** Milliseconds the whole rollout took. */
  ms: number;
  gateways: GatewayRollout[];
  /** Gateways now running a new image: what the record step (ops/record.ts) writes into the spec. */
  updated: Array<{ id: string; image: string }>;
  /** Summary of a failure and what to do next. */
  message?: string;
  next?: string;
  /** With `record`: the spec file, the gateways it now records (each right after its gate), the files regenerated. */
  record?: { specFile: string; gateways: Array<{ id: string; image: string }>; written: string[] };
}

/**
 * The plan for the current federation: the spec's images (`gateways.<id>.image`, else
 * `openclaw.image`), the images the containers run now, and the selection.
 * @throws UsageError for an unknown `only` id or a bad `image`; RuntimeError when the engine is unreachable.
 */
export async function planFor(ctx: FederationContext, deps: Pick<ClawfedDeps, "engine">, sel: RolloutSelection): Promise<RolloutPlan> {
  // Usage mistakes first, before the engine is asked anything.
  checkImageFlag(sel.image);
  selectTargets(ctx.fed.gateways, sel, ctx.fed.name);
  const spec = ctx.loaded.spec;
  const specImages = new Map(ctx.fed.gateways.map((g) => [g.id, spec.gateways[g.id]?.image ?? spec.openclaw.image]));
  const { current } = await gatewayContainers(ctx, deps.engine);
  const running = new Map([...current].map(([id, c]) => [id, c.image]));
  return planRollout(ctx.fed, sel, specImages, running, await previousSubnets(ctx.outDir, ctx.fed.name));
}

/**
 * Plan, then apply: see {@link planFor} and {@link applyRollout}.
 */
export async function rollout(ctx: FederationContext, deps: ClawfedDeps, opts: RolloutOptions = {}): Promise<RolloutResult> {
  await deps.engine.ping();
  return applyRollout(ctx, deps, await planFor(ctx, deps, opts), opts);
}

/**
 * Roll the plan's gateways to their new image, one at a time, health-gated, with automatic rollback.
 * @throws RuntimeError when a precondition fails (nothing was changed): the engine is unreachable,
 *   a target without an owned running healthy container, an image that cannot be had under the
 *   pull policy, a leftover of an interrupted rollout.
 * @returns the outcome per gateway; `ok: false` after a rollback (the rollout stopped there).
 */
export async function applyRollout(ctx: FederationContext, deps: ClawfedDeps, plan: RolloutPlan, opts: RolloutOptions = {}): Promise<RolloutResult> {
  const t0 = deps.clock.now();
  await deps.engine.ping();
  const run: Run = { ctx, deps, plan, opts, say: opts.onProgress ?? (() => undefined), imageIds: new Map(), journal: undefined as unknown as JournalHandle, recorded: [], written: new Set() };
  const targets = await preflight(run);
  await ensureImages(run, targets);
  for (const t of targets) t.unchanged = t.info.image === t.image && t.info.imageId === run.imageIds.get(t.image);
  // The journal exists before the first step and names every step still to do (ops/journal.ts).
  if (opts.journal) {
    await opts.journal.add(rolloutSteps(targets));
    run.journal = opts.journal;
  } else run.journal = await startJournal(ctx, { operation: "rollout", args: rolloutJournalArgs(opts), steps: rolloutSteps(targets), wallNow: deps.wallNow });

  const results: GatewayRollout[] = [];
  let failed: GatewayRollout | undefined;
  for (const t of targets) {
    const r: GatewayRollout = failed
      ? { id: t.id, outcome: "not-touched", from: t.info.image, to: t.image }
      : t.unchanged
        ? { id: t.id, outcome: "unchanged", from: t.info.image, to: t.image }
        : opts.signal?.aborted
          ? { id: t.id, outcome: "not-touched", from: t.info.image, to: t.image, reason: "interrupted before it started" }
          : await rollOne(run, t);
    if (r.outcome === "unchanged") run.say(`${t.id}: already on ${t.image}`);
    results.push(r);
    if (!failed && r.outcome !== "updated" && r.outcome !== "unchanged") failed = r;
  }
  const updated = results.filter((r) => r.outcome === "updated").map((r) => ({ id: r.id, image: r.to! }));
  const result: RolloutResult = { federation: ctx.fed.name, ok: !failed, ms: Math.round(deps.clock.now() - t0), gateways: results, updated };
  if (run.recorded.length) result.record = { specFile: ctx.loaded.file, gateways: run.recorded, written: [...run.written].sort() };
  if (failed) Object.assign(result, failureText(ctx, opts, failed, results));
  // Consistent again (every gateway on one image, recorded when updated) unless a rollback failed:
  // then the journal stays and the next command points at `clawfed abort`.
  if (failed?.outcome === "rollback-failed") result.next = `${result.next}; then roll the operation back: clawfed abort ${ctx.loaded.file}${outFlag(ctx)}`;
  else if (!opts.journal) await run.journal.finish();
  return result;
}

/** The message and next command of a stopped rollout. */
function failureText(ctx: FederationContext, opts: RolloutOptions, failed: GatewayRollout, results: GatewayRollout[]): { message: string; next: string } {
  const out = outFlag(ctx);
  const notTouched = results.filter((r) => r.outcome === "not-touched" && r !== failed).map((r) => r.id);
  const rest = notTouched.length ? ` Not touched: ${notTouched.join(", ")}.` : "";
  if (failed.outcome === "rolled-back") {
    return {
      message: `${failed.id} did not come up on ${failed.to}: ${failed.reason}. It was rolled back to ${failed.from} with its state from before the rollout, and is serving again. The rollout stopped.${rest}`,
      next: `fix the image (the failed container is gone; its last log lines are in this report), then: clawfed rollout ${ctx.loaded.file} --image <ref>${opts.only ? ` --only ${opts.only.join(",")}` : ""}${out}`,
    };
  }
  if (failed.outcome === "rollback-failed") {
    return {
      message: `${failed.id} did not come up on ${failed.to} (${failed.reason}), and the rollback did not bring it back either. The rollout stopped.${rest}`,
      next: `clawfed status ${ctx.loaded.file}${out}; clawfed logs ${ctx.loaded.file} ${failed.id}${out}${failed.snapshot ? `; the state from before the rollout is kept in volume ${failed.snapshot}` : ""}`,
    };
  }
  return { message: `the rollout stopped before ${failed.id}: ${failed.reason}.${rest}`, next: `clawfed status ${ctx.loaded.file}${out}` };
}

/** Check every target before anything changes. @throws RuntimeError naming the first problem. */
async function preflight(run: Run): Promise<Target[]> {
  const { ctx, deps } = run;
  const out = outFlag(ctx);
  const { current, others } = await gatewayContainers(ctx, deps.engine);
  const targets: Target[] = [];
  for (const s of run.plan.steps) {
    const c = current.get(s.id);
    if (!c) throw new RuntimeError(`gateway ${s.id} has no container`, { next: `clawfed up ${ctx.loaded.file}${out}` });
    const info = await deps.engine.inspect(c.id);
    if (!info || !isOwned(ctx, info.labels) || info.labels[LABELS.gateway] !== s.id) {
      throw new RuntimeError(`refusing to touch container ${c.name}: it lacks clawfed's ownership labels for ${ctx.fed.name}/${s.id}`);
    }
    const leftover = others.find((o) => o.name === `${info.name}${PREVIOUS_SUFFIX}`);
    if (leftover) {
      throw new RuntimeError(`an earlier rollout of ${s.id} was interrupted: container ${leftover.name} (the previous ${s.id}) still exists`, {
        next: `check that ${s.id} is healthy (clawfed status ${ctx.loaded.file}${out}), then remove the leftover: docker rm ${leftover.name}`,
      });
    }
    if (!info.running) throw new RuntimeError(`gateway ${s.id} is not running (${info.status})`, { next: `clawfed up ${ctx.loaded.file}${out}` });
    await healthyBefore(run, s.id, info);
    const stateMount = info.mounts.find((m) => m.destination === CONTAINER_STATE_DIR);
    if (!stateMount) throw new RuntimeError(`gateway ${s.id} has no state mount at ${CONTAINER_STATE_DIR}; cannot snapshot its state`);
    targets.push({ id: s.id, role: s.role, service: s.service, info, image: s.image, state: stateMount.source, unchanged: false });
  }
  return targets;
}

/** /startupz must say started (a busy host can miss one probe's timeout; a real problem persists). */
async function healthyBefore(run: Run, id: string, info: ContainerInfo): Promise<void> {
  const url = publishedUrl(info);
  // A busy host can miss one probe's timeout; a real problem persists.
  const st = url
    ? await pollUntil(() => probe(run.deps.get, url, "/startupz"), (r) => r.ok, { clock: run.deps.clock, timeoutMs: PREFLIGHT_TIMEOUT_MS, intervalMs: GATE_POLL_MS, description: `${id} to answer /startupz` }).catch((err: unknown) =>
        err instanceof PollError ? (err.last as Awaited<ReturnType<typeof probe>>) : Promise.reject(err),
      )
    : undefined;
  if (!st?.ok) {
    throw new RuntimeError(`gateway ${id} is not healthy before the rollout (/startupz: ${st?.error ?? "port not published"}); a rollout needs a healthy starting point`, {
      next: `clawfed status ${run.ctx.loaded.file}${outFlag(run.ctx)}`,
    });
  }
}

/** Every target image present (pulled under the policy); fills `run.imageIds`. */
async function ensureImages(run: Run, targets: Target[]): Promise<void> {
  const { engine } = run.deps;
  for (const ref of [...new Set(targets.map((t) => t.image))]) {
    let img = run.opts.pull === "always" ? undefined : await engine.image(ref);
    if (!img && run.opts.pull === "never") {
      throw new RuntimeError(`image ${ref} is not present locally and --pull is never`, { next: `build or load it (for OpenClaw: ${imageBuildCommand(ref)}; otherwise docker build / docker load), or use --pull missing` });
    }
    if (!img) {
      run.say(`pulling ${ref}`);
      try {
        await engine.pull(ref, (l) => run.say(`  ${l}`));
      } catch (err) {
        throw new RuntimeError(`cannot pull ${ref}: ${(err as Error).message.split("\n")[0]}`, {
          next: `without a registry, build or load the image locally (for OpenClaw: ${imageBuildCommand(ref)}; otherwise docker build / docker load), then: clawfed rollout ${run.ctx.loaded.file} --image ${ref} --pull never${outFlag(run.ctx)}`,
          cause: err,
        });
      }
      img = await engine.image(ref);
      if (!img) throw new RuntimeError(`image ${ref} is still missing after the pull`);
    }
    run.imageIds.set(ref, img.id);
  }
}

