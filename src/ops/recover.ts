/**
 * `clawfed resume` and `clawfed abort`: finish, or roll back, the operation an unfinished journal
 * (ops/journal.ts) records. One handler per operation name in {@link HANDLERS}; a new multi-step
 * operation adds its own line here (see ops/journal.ts for the whole recipe).
 */
import { RuntimeError } from "../errors.js";
import { stepOf, type Journal } from "../vocabulary/journal.js";
import type { FederationContext } from "./context.js";
import type { ClawfedDeps } from "./deps.js";
import { findJournal, journalHandle, recoveryCommands, writerAlive } from "./journal.js";
import type { RecoverOptions, RecoverResult } from "./recover-types.js";

export type { RecoverGateway, RecoverOptions, RecoverResult } from "./recover-types.js";

/** What finishing and rolling back mean for one operation. Both must be idempotent. */
export type RecoverHandler = (ctx: FederationContext, deps: ClawfedDeps, journal: Journal, action: "resume" | "abort", opts: RecoverOptions) => Promise<RecoverResult>;

/** Recovery per operation name (the journal's `operation`). */
const HANDLERS: Record<string, () => Promise<RecoverHandler>> = {
  rollout: async () => (await import("./rollout-recover.js")).recoverRollout,
  restore: async () => recoverRestore,
  rotate: async () => (await import("./rotate.js")).recoverRotation,
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
  opts.onProgress?.(`${action === "resume" ? "finishing" : "rolling back"} the ${j.operation} started ${j.startedAt}`);
  return (await handler())(ctx, deps, j, action, opts);
}

/**
 * A restore: `resume` runs it again with the options it was started with (plus force: it may have
 * started gateways already); `abort` starts the gateways it stopped, as long as no file was
 * replaced yet, and refuses after that (there is no way back short of another archive).
 */
const recoverRestore: RecoverHandler = async (ctx, deps, j, action, opts) => {
  const t0 = deps.clock.now();
  const { resume } = recoveryCommands(ctx);
  if (action === "abort") {
    const swap = stepOf(j, "swap-files");
    if (swap && swap.status !== "pending") {
      throw new RuntimeError("the restore already replaced host files or states; it cannot be rolled back, only finished", { next: `${resume} (or restore another archive: clawfed restore ${ctx.loaded.file} --from <archive> --force)` });
    }
    const gateways = [];
    for (const s of j.steps.filter((x) => x.action === "stop" && x.status !== "pending")) {
      await deps.engine.start(String(s.data?.containerId));
      gateways.push({ id: s.gateway!, outcome: "rolled-back", detail: "started again" });
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
  return { ok: true, federation: ctx.fed.name, operation: "restore", action, gateways: r.gateways.map((g) => ({ id: g.id, outcome: "finished", detail: `restored from ${r.from}` })), ms: Math.round(deps.clock.now() - t0) };
};
