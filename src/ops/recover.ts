/**
 * `clawfed resume` and `clawfed abort`: finish, or roll back, the operation an unfinished journal
 * (ops/journal.ts) records. One handler per operation name in {@link HANDLERS}; a new multi-step
 * operation adds its own line here (see ops/journal.ts for the whole recipe).
 */
import { RuntimeError } from "../errors.js";
import { stepOf, whereStopped, type Journal } from "../vocabulary/journal.js";
import { outFlag, type FederationContext } from "./context.js";
import { gateStarted } from "../runtime/health.js";
import { redact } from "../runtime/redact.js";
import { HEALTH_TIMEOUT_MS } from "./backup-common.js";
import type { ClawfedDeps } from "./deps.js";
import { findJournal, journalHandle, writerAlive } from "./journal.js";
import type { RecoverOptions, RecoverResult } from "./recover-types.js";

export type { RecoverGateway, RecoverOptions, RecoverResult } from "./recover-types.js";

/** What finishing and rolling back mean for one operation. Both must be idempotent. */
export type RecoverHandler = (ctx: FederationContext, deps: ClawfedDeps, journal: Journal, action: "resume" | "abort", opts: RecoverOptions) => Promise<RecoverResult>;

/** Recovery per operation name (the journal's `operation`). */
const HANDLERS: Record<string, () => Promise<RecoverHandler>> = {
  rollout: async () => (await import("./rollout-recover.js")).recoverRollout,
  restore: async () => recoverRestore,
  rotate: async () => (await import("./rotate.js")).recoverRotation,
  upgrade: async () => (await import("./upgrade-journal.js")).recoverUpgrade,
  remove: async () => (await import("./remove-journal.js")).recoverRemove,
  add: async () => (await import("./add-recover.js")).recoverAdd,
};

/**
 * Finish (`resume`) or roll back (`abort`) the unfinished operation of a federation.
 * @returns `operation: "none"` and ok when there is nothing to do
 * @throws RuntimeError when the journal cannot be read, its operation is still running in another
 *   process, no handler knows its operation, or recovery fails (the journal then stays)
 */
export async function recover(ctx: FederationContext, deps: ClawfedDeps, action: "resume" | "abort", opts: RecoverOptions = {}): Promise<RecoverResult> {
  const t0 = deps.clock.now();
  const found = await findJournal(ctx);
  if (!found) return { ok: true, federation: ctx.fed.name, operation: "none", action, gateways: [], ms: Math.round(deps.clock.now() - t0) };
  if (!found.journal) throw new RuntimeError(`${found.file} cannot be read as a journal (${found.unreadable})`, { next: `look at it: it records an operation clawfed did not finish; check the federation (clawfed status ${ctx.loaded.file}), then move the file away` });
  const j = found.journal;
  if (j.federation !== ctx.fed.name) throw new RuntimeError(`${found.file} belongs to federation ${j.federation}, not ${ctx.fed.name}`, { next: `run clawfed ${action} with the spec of ${j.federation}` });
  if (writerAlive(j)) throw new RuntimeError(`the ${j.operation} is still running (process ${j.pid})`, { next: "wait for it to end, or stop it (Ctrl-C), then run this again" });
  const handler = HANDLERS[j.operation];
  if (!handler) throw new RuntimeError(`this clawfed does not know how to ${action} a ${j.operation}`, { next: `use the clawfed version that started it, or check the federation and move ${found.file} away` });
  opts.onProgress?.(`${action === "resume" ? "finishing" : "rolling back"} the ${j.operation} started ${j.startedAt} (${whereStopped(j)})`);
  return (await handler())(ctx, deps, j, action, opts);
}

/**
 * A restore: `resume` runs it again with the options it was started with (plus force: it may have
 * started gateways already); `abort` starts the gateways it stopped, as long as no file was
 * replaced yet; after that there is no way back short of another archive, so abort finishes the
 * restore as resume does (saying so): either way the gateways end running on one consistent state.
 */
const recoverRestore: RecoverHandler = async (ctx, deps, j, action, opts) => {
  const t0 = deps.clock.now();
  const swap = stepOf(j, "swap-files");
  const pastNoReturn = !!swap && swap.status !== "pending";
  if (action === "abort" && pastNoReturn) opts.onProgress?.("the restore already replaced host files or states: there is no way back short of another archive, so it is finished instead");
  if (action === "abort" && !pastNoReturn) {
    const gateways = [];
    const stopped = j.steps.filter((x) => x.action === "stop" && x.status !== "pending");
    for (const s of stopped) await deps.engine.start(String(s.data?.containerId));
    // Rolled back means serving again: each must report started (the journal stays otherwise).
    const timeoutMs = typeof j.args.healthTimeoutMs === "number" ? j.args.healthTimeoutMs : HEALTH_TIMEOUT_MS;
    for (const s of stopped) {
      const gate = await gateStarted({ engine: deps.engine, get: deps.get, clock: deps.clock, containerId: String(s.data?.containerId), timeoutMs, onChange: (l) => opts.onProgress?.(`${s.gateway}: ${l}`) });
      if (!gate.ok) throw new RuntimeError(`${s.gateway} was started again but did not report started: ${redact(gate.reason, ctx.secrets)}`, { next: `clawfed logs ${ctx.loaded.file} ${s.gateway}${outFlag(ctx)}; then run this again` });
      gateways.push({ id: s.gateway!, outcome: "rolled-back", detail: "started again on its own state, serving" });
    }
    await journalHandle(ctx.outDir, j).finish();
    return { ok: true, federation: ctx.fed.name, operation: "restore", action, gateways, ms: Math.round(deps.clock.now() - t0) };
  }
  const { restoreFederation } = await import("./restore.js");
  const a = j.args;
  // The old journal stays until the new run writes its own (a refusal before that keeps it).
  const r = await restoreFederation({
    spec: ctx.loaded.file,
    outDir: ctx.outDir,
    from: String(a.from),
    only: Array.isArray(a.only) ? a.only.map(String) : undefined,
    force: true,
    withKnowledge: a.withKnowledge === true,
    healthTimeoutMs: typeof a.healthTimeoutMs === "number" ? a.healthTimeoutMs : undefined,
    engine: deps.engine,
    get: deps.get,
    clock: deps.clock,
    onProgress: opts.onProgress,
  });
  const res: RecoverResult = { ok: true, federation: ctx.fed.name, operation: "restore", action, gateways: r.gateways.map((g) => ({ id: g.id, outcome: "finished", detail: `restored from ${r.from}` })), ms: Math.round(deps.clock.now() - t0) };
  if (action === "abort") res.message = "past the point of no return (files or states were being replaced): the restore was finished instead of rolled back";
  return res;
};
