/**
 * `clawfed upgrade <spec> --to <version>`: move a running federation to another OpenClaw release,
 * rehearsed first. Plan ({@link planUpgradeFor}: what runs now, which gateways, refused downgrade),
 * then apply ({@link applyUpgrade}) in these steps, each reported before it starts:
 *
 *  1. `image`: resolve the image of the version (ops/upgrade-image.ts): present locally, else
 *     pulled, else built offline with the image recipe (src/runtime/image/);
 *  2. `rehearse`: for every gateway that moves, the new image on a copy of its state, isolated
 *     (ops/upgrade-rehearse.ts): it must start and `openclaw doctor` must report no error. The first
 *     failure stops the upgrade here, and nothing of the running federation has changed;
 *  3. `rollout`: the existing health-gated rollout with state snapshot and rollback
 *     (ops/rollout.ts), spokes first, the hub last;
 *  4. `record`: the spec records the version (ops/upgrade-record.ts) and the output is regenerated.
 *
 * Steps 3 and 4 are journaled (ops/journal.ts; recovery in ops/upgrade-journal.ts): the journal
 * starts once every rehearsal passed (steps 1 and 2 change nothing that runs), the rollout appends
 * its per-gateway steps to it, then `record`. An interrupted upgrade is finished by `clawfed resume`
 * or rolled back as far as it can be by `clawfed abort`.
 */
import { CONTAINER_STATE_DIR, configDir } from "../vocabulary/names.js";
import { compile } from "../targets/registry.js";
import { InternalError, RuntimeError } from "../errors.js";
import { gatewayContainers } from "../runtime/containers.js";
import type { ContainerInfo } from "../runtime/docker/types.js";
import { outFlag, type FederationContext } from "./context.js";
import type { ClawfedDeps } from "./deps.js";
import { applyRollout, HEALTH_TIMEOUT_MS, type GatewayRollout } from "./rollout.js";
import { planRollout } from "./rollout-plan.js";
import { resolveUpgradeImage, type ImageSource } from "./upgrade-image.js";
import { candidateImages, imageVersion, planUpgrade, type CurrentGateway, type UpgradePlan, type UpgradeSelection } from "./upgrade-plan.js";
import { recordUpgrade, type UpgradeRecord } from "./upgrade-record.js";
import { rehearseOne, type Rehearsal } from "./upgrade-rehearse.js";
import { countLeftovers, removeRehearsalLeftovers } from "./rehearsal-leftovers.js";
import { startJournal } from "./journal.js";
import { journaledRecord, upgradeJournalArgs } from "./upgrade-journal.js";

export { compareVersions, planUpgrade, type UpgradePlan, type UpgradeSelection, type UpgradeStep } from "./upgrade-plan.js";
export type { Rehearsal } from "./upgrade-rehearse.js";

/** The apply steps, in order (what a journal records). */
export const UPGRADE_STEPS = ["image", "rehearse", "rollout", "record"] as const;
export type UpgradeStepName = (typeof UPGRADE_STEPS)[number];

export interface UpgradeOptions extends UpgradeSelection {
  /** Try a registry pull when the image is not present (default); `never`: build offline at once. */
  pull?: "missing" | "never";
  /** Milliseconds a (scratch or new) gateway has to report started. */
  healthTimeoutMs?: number;
  /** Milliseconds a new gateway must then stay up (rollout). */
  stableMs?: number;
  keepSnapshots?: boolean;
  onProgress?: (line: string) => void;
  /** Aborting stops before the next step; during the rollout it rolls the current gateway back. */
  signal?: AbortSignal;
}

/** One gateway of an upgrade: its rehearsal and its rollout outcome. */
export interface GatewayUpgrade {
  id: string;
  role: "hub" | "spoke";
  from: string;
  fromVersion?: string;
  to?: string;
  /** `current`: already on the version and image; `not-touched`: the upgrade stopped before it. */
  outcome: GatewayRollout["outcome"] | "current";
  rehearsal?: Rehearsal;
  rollout?: GatewayRollout;
}

export interface UpgradeResult {
  federation: string;
  ok: boolean;
  ms: number;
  to: string;
  /** The image of the version, and where it came from. */
  image?: string;
  imageSource?: ImageSource;
  gateways: GatewayUpgrade[];
  /** Steps completed, in order. */
  steps: UpgradeStepName[];
  /** The step that failed. */
  failedStep?: UpgradeStepName;
  record?: UpgradeRecord;
  message?: string;
  next?: string;
}

/**
 * The plan: what each selected gateway runs now (image and OpenClaw version), spokes then hub.
 * @throws UsageError for a bad version, an unknown `only` id or a refused downgrade (before any
 *   change); RuntimeError when the engine is unreachable
 */
export async function planUpgradeFor(ctx: FederationContext, deps: Pick<ClawfedDeps, "engine">, sel: UpgradeSelection): Promise<UpgradePlan> {
  planUpgrade(ctx.fed, { ...sel, allowDowngrade: true }, []); // usage mistakes first, before the engine is asked anything
  await deps.engine.ping();
  const { current } = await gatewayContainers(ctx, deps.engine);
  const now: CurrentGateway[] = [];
  for (const [id, c] of current) {
    const img = await deps.engine.image(c.image);
    now.push({ id, image: c.image, version: imageVersion(c.image, img?.labels) });
  }
  return planUpgrade(ctx.fed, sel, now);
}

/** Plan, then apply. */
export async function upgrade(ctx: FederationContext, deps: ClawfedDeps, opts: UpgradeOptions): Promise<UpgradeResult & { plan: UpgradePlan }> {
  const plan = await planUpgradeFor(ctx, deps, opts);
  return { ...(await applyUpgrade(ctx, deps, plan, opts)), plan };
}

/**
 * Apply a plan: image, rehearse, rollout, record (see the file comment).
 * @throws RuntimeError when the image cannot be had or a gateway has no running container
 *   (nothing changed)
 * @returns `ok: false` with `failedStep`, `message` and `next` after a failed rehearsal (nothing
 *   changed) or a rolled-back rollout
 */
export async function applyUpgrade(ctx: FederationContext, deps: ClawfedDeps, plan: UpgradePlan, opts: UpgradeOptions): Promise<UpgradeResult> {
  const t0 = deps.clock.now();
  const say = opts.onProgress ?? (() => undefined);
  const res: UpgradeResult = { federation: ctx.fed.name, ok: false, ms: 0, to: plan.to, gateways: [], steps: [] };
  const done = (): UpgradeResult => ({ ...res, ms: Math.round(deps.clock.now() - t0) });
  const live = await liveContainers(ctx, deps, plan);

  // 1. image
  say(`upgrade: step 1/4 image: OpenClaw ${plan.to}`);
  const img = await resolveUpgradeImage(deps, plan.to, candidateImages(plan.to, plan.steps.map((s) => s.fromImage)), { pull: opts.pull ?? "missing", say });
  Object.assign(res, { image: img.image, imageSource: img.source });
  res.steps.push("image");
  const moving = plan.steps.filter((s) => !(s.fromImage === img.image && s.fromVersion === plan.to));
  res.gateways = plan.steps.map((s) => ({ id: s.id, role: s.role, from: s.fromImage, fromVersion: s.fromVersion, to: img.image, outcome: moving.includes(s) ? "not-touched" : "current" }));
  const byId = new Map(res.gateways.map((g) => [g.id, g]));
  if (moving.length === 0) {
    say(`upgrade: every selected gateway already runs OpenClaw ${plan.to} on ${img.image}`);
    const j0 = await startJournal(ctx, { operation: "upgrade", args: upgradeJournalArgs(plan, img.image, [], opts), steps: [], wallNow: deps.wallNow });
    res.record = await journaledRecord(ctx, j0, () => recordUpgrade(ctx, plan, img.image, []));
    await j0.finish();
    res.steps.push("record");
    return { ...done(), ok: true };
  }

  // 2. rehearse (first removing what a killed rehearsal left: it ran before any journal)
  say(`upgrade: step 2/4 rehearse ${moving.map((s) => s.id).join(", ")} on ${img.image}`);
  const stale = await removeRehearsalLeftovers(deps.engine, ctx.fed.name);
  if (countLeftovers(stale.removed)) say(`upgrade: removed what a killed rehearsal left: ${countLeftovers(stale.removed)}`);
  for (const f of stale.failed) say(`upgrade: warning: could not remove a killed rehearsal's ${f}`);
  const configs = newConfigs(ctx, plan.to, img.image);
  for (const s of moving) {
    if (opts.signal?.aborted) return { ...done(), failedStep: "rehearse", message: "interrupted before the rollout; nothing changed", next: upgradeCommand(ctx, opts) };
    const r = await rehearseOne({ ctx, deps, id: s.id, info: live.get(s.id)!, image: img.image, config: configs.get(s.id)!, timeoutMs: opts.healthTimeoutMs ?? HEALTH_TIMEOUT_MS, say });
    byId.get(s.id)!.rehearsal = r;
    if (!r.ok) {
      return {
        ...done(),
        failedStep: "rehearse",
        message: `the rehearsal of ${s.id} on ${img.image} failed: ${r.reason}. Nothing in the running federation changed (the scratch container and the state copy are removed).`,
        next: `clawfed logs ${ctx.loaded.file} ${s.id}${outFlag(ctx)} shows the live gateway; fix the image or the state, then: ${upgradeCommand(ctx, opts)}`,
      };
    }
  }
  res.steps.push("rehearse");

  // 3. rollout: from here on journaled (ops/upgrade-journal.ts); the rollout appends its steps.
  say(`upgrade: step 3/4 rollout to ${img.image}: ${moving.map((s) => s.id).join(", ")} (health-gated, state snapshot, rollback)`);
  const j = await startJournal(ctx, { operation: "upgrade", args: upgradeJournalArgs(plan, img.image, moving.map((s) => s.id), opts), steps: [], wallNow: deps.wallNow });
  const running = new Map([...live].map(([id, c]) => [id, c.image]));
  const rollPlan = planRollout(ctx.fed, { image: img.image, only: moving.map((s) => s.id) }, new Map(), running);
  const rolled = await applyRollout(ctx, deps, rollPlan, { pull: "never", healthTimeoutMs: opts.healthTimeoutMs, stableMs: opts.stableMs, keepSnapshots: opts.keepSnapshots, onProgress: say, signal: opts.signal, journal: j }).catch(async (err: unknown) => {
    // A refused precondition (before any step): nothing changed, no journal left.
    if (j.current.steps.length === 0) await j.finish();
    throw err;
  });
  for (const g of rolled.gateways) Object.assign(byId.get(g.id)!, { outcome: g.outcome, rollout: g });
  if (rolled.ok) res.steps.push("rollout");

  // 4. record (also after a stopped rollout: the gateways that moved are recorded one by one)
  say(`upgrade: step 4/4 record OpenClaw ${plan.to} in ${ctx.loaded.file}`);
  res.record = await journaledRecord(ctx, j, () => recordUpgrade(ctx, plan, img.image, rolled.ok ? moving.map((s) => s.id) : rolled.updated.map((u) => u.id), rolled.ok));
  // A failed rollback leaves the journal: the next command points at `clawfed abort`.
  if (!rolled.gateways.some((g) => g.outcome === "rollback-failed")) await j.finish();
  if (!rolled.ok) return { ...done(), failedStep: "rollout", message: rolled.message, next: rolled.next };
  res.steps.push("record");
  return { ...done(), ok: true };
}

/** The running container of every gateway that may move. @throws RuntimeError naming the first without one. */
async function liveContainers(ctx: FederationContext, deps: ClawfedDeps, plan: UpgradePlan): Promise<Map<string, ContainerInfo>> {
  const { current } = await gatewayContainers(ctx, deps.engine);
  const out = new Map<string, ContainerInfo>();
  for (const s of plan.steps) {
    const c = current.get(s.id);
    const info = c && (await deps.engine.inspect(c.id));
    if (!info?.running) throw new RuntimeError(`gateway ${s.id} is not running; an upgrade rehearses on its state and needs a healthy starting point`, { next: `clawfed up ${ctx.loaded.file}${outFlag(ctx)}` });
    if (!info.mounts.some((m) => m.destination === CONTAINER_STATE_DIR)) throw new RuntimeError(`gateway ${s.id} has no state mount at ${CONTAINER_STATE_DIR}`);
    out.set(s.id, info);
  }
  return out;
}

/** Every gateway's `openclaw.json` as the target version compiles it (pure compile). */
function newConfigs(ctx: FederationContext, version: string, image: string): Map<string, string> {
  const fed = { ...ctx.fed, openclawVersion: version, image, gateways: ctx.fed.gateways.map((g) => ({ ...g, image })) };
  const files = compile(fed, "compose").artifacts;
  const out = new Map<string, string>();
  for (const g of fed.gateways) {
    const f = files.find((a) => a.kind === "file" && a.path === `${configDir(g.id)}/openclaw.json`);
    if (!f || f.kind !== "file") throw new InternalError(`the compose target produced no ${configDir(g.id)}/openclaw.json`);
    out.set(g.id, f.content);
  }
  return out;
}

function upgradeCommand(ctx: FederationContext, opts: UpgradeOptions): string {
  return `clawfed upgrade ${ctx.loaded.file} --to ${opts.to}${opts.only ? ` --only ${opts.only.join(",")}` : ""}${opts.allowDowngrade ? " --allow-downgrade" : ""}${outFlag(ctx)}`;
}
