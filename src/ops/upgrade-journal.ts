/**
 * The upgrade's journal (see ops/journal.ts) and how an interrupted upgrade is finished
 * (`clawfed resume`) or rolled back (`clawfed abort`).
 *
 * The journal starts once every rehearsal passed (the image step and the rehearsals change nothing
 * that runs; a rehearsal removes a stale scratch container and network of a killed run itself).
 * Its steps: the rollout's per gateway (ops/rollout-journal.ts: stop, snapshot, swap, gate, record,
 * cleanup; the rollout's own `record` steps stay pending, the upgrade records once at the end),
 * then `record`: the spec records the version (ops/upgrade-record.ts) and the output is regenerated.
 *
 * Recovery judges from Docker and the disk, and is idempotent:
 *  - the gateway in progress is settled as a rollout's (ops/rollout-recover.ts): `resume` finishes it
 *    when its new container passed the gate and still reports started, else rolls it back;
 *    `abort` rolls it back. Gateways the upgrade had finished stay on the new image (as after a
 *    rollout's abort): abort undoes only the step in progress;
 *  - `resume` then rolls every gateway of the upgrade whose container does not run the new image
 *    yet (health-gated, snapshot, rollback; under a fresh journal of its own);
 *  - both end with the record: the spec names what each gateway runs (the version when every
 *    gateway of the upgrade moved, else `gateways.<id>.image` for those that did), so the spec and
 *    the containers agree whatever step the kill hit.
 */
import { gatewayContainers } from "../runtime/containers.js";
import { stepOf, type Journal, type JsonValue, type PlannedStep } from "../vocabulary/journal.js";
import { openFederation, type FederationContext } from "./context.js";
import type { ClawfedDeps } from "./deps.js";
import { RuntimeError } from "../errors.js";
import { journalHandle, recoveryCommands, startJournal, type JournalHandle } from "./journal.js";
import { planRollout } from "./rollout-plan.js";
import { applyRollout, type RolloutResult } from "./rollout.js";
import { settleRollout } from "./rollout-recover.js";
import type { RecoverGateway, RecoverOptions, RecoverResult } from "./recover-types.js";
import { recordUpgrade } from "./upgrade-record.js";
import type { UpgradePlan } from "./upgrade-plan.js";

/** The upgrade's last step. */
const RECORD_STEP: PlannedStep = { key: "record", action: "record", rollback: "none: the spec names what runs (recovery records it again from what Docker runs)" };

/** The options an upgrade journal keeps: what recovery needs to settle, roll out the rest and record. */
export function upgradeJournalArgs(plan: UpgradePlan, image: string, moving: string[], opts: { only?: string[]; allowDowngrade?: boolean; healthTimeoutMs?: number; stableMs?: number; keepSnapshots?: boolean }): Record<string, JsonValue> {
  const a: Record<string, JsonValue> = { to: plan.to, image, moving, recordMode: plan.record, keepSnapshots: !!opts.keepSnapshots };
  if (opts.only) a.only = opts.only;
  if (opts.allowDowngrade) a.allowDowngrade = true;
  if (opts.healthTimeoutMs !== undefined) a.healthTimeoutMs = opts.healthTimeoutMs;
  if (opts.stableMs !== undefined) a.stableMs = opts.stableMs;
  return a;
}

/**
 * Run the record step `fn` journaled (the step is appended when the journal lacks it).
 * @throws RuntimeError when the record fails: the journal stays (every command refuses until then),
 *   so the way out named is `clawfed resume`, which records again
 */
export async function journaledRecord<T>(ctx: FederationContext, j: JournalHandle, fn: () => Promise<T>): Promise<T> {
  const status = stepOf(j.current, RECORD_STEP.key)?.status;
  if (!status) await j.add([RECORD_STEP]);
  // Recovery records again after a record that was done (idempotent): the step stays done.
  if (status !== "done") await j.begin(RECORD_STEP.key);
  const r = await fn().catch((err: unknown) => {
    throw new RuntimeError((err as Error).message.split("\nNext:")[0]!, { cause: err, next: `fix the cause, then ${recoveryCommands(ctx).resume} (it records the upgrade again)` });
  });
  if (status !== "done") await j.end(RECORD_STEP.key);
  return r;
}

/** The image each gateway's current container runs. */
async function runningImages(ctx: FederationContext, deps: ClawfedDeps): Promise<Map<string, string>> {
  const { current } = await gatewayContainers(ctx, deps.engine);
  return new Map([...current].map(([id, c]) => [id, c.image]));
}

/** `clawfed resume` / `clawfed abort` of an interrupted upgrade (see the file comment). */
export async function recoverUpgrade(ctx: FederationContext, deps: ClawfedDeps, journal: Journal, action: "resume" | "abort", opts: RecoverOptions): Promise<RecoverResult> {
  const t0 = deps.clock.now();
  const a = journal.args;
  const image = String(a.image);
  const moving = Array.isArray(a.moving) ? a.moving.map(String) : [];
  let j = journalHandle(ctx.outDir, journal);
  const settled = await settleRollout(ctx, deps, j, journal, action, opts);
  const gateways: RecoverGateway[] = [...settled.gateways];
  let rolled: RolloutResult | undefined;
  let fed = await openFederation(ctx.loaded.file, { outDir: ctx.outDir });
  if (action === "resume") {
    const running = await runningImages(fed, deps);
    const rest = moving.filter((id) => running.get(id) !== image);
    if (rest.length) {
      opts.onProgress?.(`upgrade: rolling out the rest to ${image}: ${rest.join(", ")}`);
      // A fresh journal with the same options: the old one's step keys are taken.
      j = await startJournal(fed, { operation: "upgrade", args: a, steps: [], wallNow: deps.wallNow });
      const plan = planRollout(fed.fed, { image, only: rest }, new Map(), running);
      const hto = typeof a.healthTimeoutMs === "number" ? a.healthTimeoutMs : undefined;
      rolled = await applyRollout(fed, deps, plan, { pull: "never", healthTimeoutMs: hto, stableMs: typeof a.stableMs === "number" ? a.stableMs : undefined, keepSnapshots: a.keepSnapshots === true, onProgress: opts.onProgress, signal: opts.signal, journal: j });
      for (const g of rolled.gateways) gateways.push({ id: g.id, outcome: g.outcome === "updated" ? "finished" : g.outcome, detail: g.reason ?? `${g.from} → ${g.to}` });
      fed = await openFederation(ctx.loaded.file, { outDir: ctx.outDir });
    }
  }
  // The spec names what runs: the version when every gateway of the upgrade moved.
  const now = await runningImages(fed, deps);
  const moved = moving.filter((id) => now.get(id) === image);
  const plan: UpgradePlan = { federation: fed.fed.name, to: String(a.to), steps: [], downgrades: [], record: a.recordMode === "gateways" ? "gateways" : "federation" };
  const record = await journaledRecord(fed, j, () => recordUpgrade(fed, plan, image, moved, moved.length === moving.length));
  const failedRollback = rolled?.gateways.some((g) => g.outcome === "rollback-failed") ?? false;
  if (!failedRollback) await j.finish();
  const res: RecoverResult = { ok: rolled?.ok ?? true, federation: ctx.fed.name, operation: "upgrade", action, gateways, ms: 0 };
  if (rolled) res.rollout = rolled;
  if (rolled && !rolled.ok) Object.assign(res, { message: rolled.message, next: rolled.next });
  else if (record.changes.length) res.message = `${ctx.loaded.file} records: ${record.changes.join(", ")}`;
  res.ms = Math.round(deps.clock.now() - t0);
  return res;
}
