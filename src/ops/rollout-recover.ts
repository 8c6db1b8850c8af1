/**
 * Recovery of an interrupted rollout: `clawfed resume` / `clawfed abort` (the rules are in
 * ops/rollout-journal.ts's comment).
 */
import { RuntimeError } from "../errors.js";
import { LABELS } from "../vocabulary/labels.js";
import { begun, isDone, type Journal } from "../vocabulary/journal.js";
import { gateStarted } from "../runtime/health.js";
import { redact } from "../runtime/redact.js";
import { copyTree, snapshotLabels } from "../runtime/snapshot.js";
import { gatewayContainers } from "../runtime/containers.js";
import { openFederation, type FederationContext } from "./context.js";
import type { ClawfedDeps } from "./deps.js";
import { journalHandle, type JournalHandle } from "./journal.js";
import { recordImages } from "./record.js";
import { planRollout } from "./rollout-plan.js";
import { applyRollout } from "./rollout.js";
import { rolloutEntries, type GatewayEntry } from "./rollout-journal.js";
import { HEALTH_TIMEOUT_MS, stepKey, type RolloutOptions } from "./rollout-step.js";
import type { RecoverGateway, RecoverOptions, RecoverResult } from "./recover-types.js";

interface Ctx {
  ctx: FederationContext;
  deps: ClawfedDeps;
  j: JournalHandle;
  args: Journal["args"];
  say: (line: string) => void;
}

/**
 * The point of no return of a gateway: its record step began (the spec may already name the new
 * image), or its cleanup began (the previous container may be gone: an upgrade's rollout does not
 * record per gateway, so there the cleanup follows the gate).
 */
const recordBegun = (j: Journal, e: GatewayEntry) => begun(j, stepKey(e.id, "record")) || begun(j, stepKey(e.id, "cleanup"));

const healthTimeout = (c: Ctx) => (typeof c.args.healthTimeoutMs === "number" ? c.args.healthTimeoutMs : HEALTH_TIMEOUT_MS);

/** Whether a snapshot volume still exists. */
async function volumeExists(c: Ctx, e: GatewayEntry): Promise<boolean> {
  if (!e.snapshot) return false;
  const vols = await c.deps.engine.listVolumes(snapshotLabels(c.ctx.fed.name, e.id));
  return vols.some((v) => v.name === e.snapshot);
}

/**
 * Put a gateway back as it was before the rollout touched it: the new container removed, the state
 * from the snapshot (when the new container may have run), the previous container under its name,
 * started and reporting `started`, the snapshot removed. Idempotent.
 * @throws RuntimeError when the previous container is gone or does not start again (the snapshot is kept)
 */
async function rollBackGateway(c: Ctx, e: GatewayEntry, jj: Journal): Promise<void> {
  const { engine } = c.deps;
  c.say(`${e.id}: rolling back to ${e.oldImage}`);
  const atName = await engine.inspect(e.name);
  if (atName && atName.id !== e.oldId) await engine.remove(atName.id, { force: true });
  if (e.newId && e.newId !== e.oldId) await engine.remove(e.newId, { force: true });
  const old = await engine.inspect(e.oldId);
  if (!old) throw new RuntimeError(`${e.id}: its previous container ${e.oldId.slice(0, 12)} is gone; it cannot be rolled back`, { next: `clawfed up ${c.ctx.loaded.file} (the state snapshot ${e.snapshot ?? "(none)"} is kept)` });
  const swapBegun = begun(jj, stepKey(e.id, "swap"));
  if (swapBegun && isDone(jj, stepKey(e.id, "snapshot")) && (await volumeExists(c, e))) {
    if (old.running) await engine.stop(old.id, old.stopTimeoutS ?? 60);
    const labels = { [LABELS.federation]: c.ctx.fed.name, [LABELS.managed]: "true", [LABELS.gateway]: e.id };
    await copyTree(engine, { image: e.oldImageId, from: { kind: "volume", name: e.snapshot! }, to: e.state, labels });
    c.say(`${e.id}: state restored from ${e.snapshot}`);
  }
  if (old.name !== e.name) await engine.rename(old.id, e.name);
  await engine.start(old.id);
  const gate = await gateStarted({ engine, get: c.deps.get, clock: c.deps.clock, containerId: old.id, timeoutMs: healthTimeout(c), maxRestarts: 0 });
  if (!gate.ok) throw new RuntimeError(`${e.id}: the previous container did not start again: ${redact(gate.reason, c.ctx.secrets)}`, { next: `clawfed logs ${c.ctx.loaded.file} ${e.id}${e.snapshot ? ` (the state snapshot ${e.snapshot} is kept)` : ""}` });
  if (e.snapshot && c.args.keepSnapshots !== true) await engine.removeVolume(e.snapshot);
  c.say(`${e.id}: back on ${e.oldImage}, serving`);
}

/** Finish a gateway whose new image is recorded: remove the previous container and the snapshot. */
async function cleanUp(c: Ctx, e: GatewayEntry): Promise<void> {
  const k = stepKey(e.id, "cleanup");
  if (!begun(c.j.current, k)) await c.j.begin(k);
  const prev = await c.deps.engine.inspect(e.oldId);
  if (prev && prev.name !== e.name) await c.deps.engine.remove(e.oldId, { force: true });
  if (e.snapshot && c.args.keepSnapshots !== true) await c.deps.engine.removeVolume(e.snapshot);
  await c.j.end(k);
}

/** A gateway whose new container passed the gate before the kill: still healthy? then record and clean up. */
async function finishPassed(c: Ctx, e: GatewayEntry): Promise<boolean> {
  const now = await c.deps.engine.inspect(e.name);
  if (!now || now.id === e.oldId || !now.running) return false;
  const gate = await gateStarted({ engine: c.deps.engine, get: c.deps.get, clock: c.deps.clock, containerId: now.id, timeoutMs: healthTimeout(c), stableMs: 1_000, maxRestarts: 0 });
  if (!gate.ok) return false;
  const k = stepKey(e.id, "record");
  if (!begun(c.j.current, k)) await c.j.begin(k);
  if (c.args.record === true) await recordImages(c.ctx, [{ id: e.id, image: e.image }]);
  await c.j.end(k);
  await cleanUp(c, e);
  return true;
}

/** What settling the rollout steps of a journal did: per gateway, and which gateways a resume still has to update. */
export interface SettledRollout {
  gateways: RecoverGateway[];
  again: Array<{ id: string; image: string }>;
}

/**
 * Settle every gateway of the rollout steps of `journal` (kept through `j`): finish the ones past
 * their gate (resume) or the point of no return, roll back the one in progress, and name the
 * untouched and rolled-back ones a `resume` still has to update. Does not finish the journal: the
 * caller does (a rollout; an upgrade, whose journal holds a rollout's steps, records first).
 */
export async function settleRollout(ctx: FederationContext, deps: ClawfedDeps, j: JournalHandle, journal: Journal, action: "resume" | "abort", opts: RecoverOptions): Promise<SettledRollout> {
  const c: Ctx = { ctx, deps, j, args: journal.args, say: opts.onProgress ?? (() => undefined) };
  const gateways: RecoverGateway[] = [];
  const again: Array<{ id: string; image: string }> = [];
  for (const e of rolloutEntries(journal)) {
    const note = (outcome: RecoverGateway["outcome"], detail: string) => gateways.push({ id: e.id, outcome, detail });
    if (e.phase === "done") note("kept", `already on ${e.image}`);
    else if (e.phase === "recorded") (await cleanUp(c, e), note("kept", `on ${e.image} (recorded); cleanup finished`));
    else if (e.phase === "untouched") action === "resume" ? again.push(e) : note("not-touched", `still on ${e.oldImage}`);
    else if (e.phase === "passed" && (action === "resume" || recordBegun(journal, e)) && (await finishPassed(c, e))) note("finished", `on ${e.image}${c.args.record === true ? ", recorded" : ""}`);
    else {
      await rollBackGateway(c, e, journal);
      // The record step may have written the spec before the kill: it must name what runs again.
      if (recordBegun(journal, e) && c.args.record === true) await recordImages(c.ctx, [{ id: e.id, image: e.oldImage }]);
      if (action === "resume") again.push(e);
      else note("rolled-back", `back on ${e.oldImage} with its state from before`);
    }
  }
  return { gateways, again };
}

/**
 * Finish (`resume`) or undo the step in progress (`abort`) of an interrupted rollout; `resume`
 * then rolls out the gateways not done yet, with the options it was started with.
 */
export async function recoverRollout(ctx: FederationContext, deps: ClawfedDeps, journal: Journal, action: "resume" | "abort", opts: RecoverOptions): Promise<RecoverResult> {
  const t0 = deps.clock.now();
  const j = journalHandle(ctx.outDir, journal);
  const args = journal.args;
  const { gateways, again } = await settleRollout(ctx, deps, j, journal, action, opts);
  await j.finish();
  const res: RecoverResult = { ok: true, federation: ctx.fed.name, operation: "rollout", action, gateways, ms: 0 };
  if (again.length) {
    // The rest, as a new rollout (with its own journal) of exactly these gateways and images.
    const fresh = await openFederation(ctx.loaded.file, { outDir: ctx.outDir });
    const { current } = await gatewayContainers(fresh, deps.engine);
    const plan = planRollout(fresh.fed, { only: again.map((a) => a.id) }, new Map(again.map((a) => [a.id, a.image])), new Map([...current].map(([id, x]) => [id, x.image])));
    const r = await applyRollout(fresh, deps, plan, {
      pull: (args.pull as RolloutOptions["pull"]) ?? "missing",
      healthTimeoutMs: typeof args.healthTimeoutMs === "number" ? args.healthTimeoutMs : undefined,
      stableMs: typeof args.stableMs === "number" ? args.stableMs : undefined,
      keepSnapshots: args.keepSnapshots === true,
      record: args.record === true,
      onProgress: opts.onProgress,
      signal: opts.signal,
    });
    for (const g of r.gateways) gateways.push({ id: g.id, outcome: g.outcome === "updated" ? "finished" : g.outcome, detail: g.reason ?? `${g.from} → ${g.to}` });
    res.ok = r.ok;
    res.rollout = r;
    if (!r.ok) Object.assign(res, { message: r.message, next: r.next });
  }
  res.ms = Math.round(deps.clock.now() - t0);
  return res;
}
