/**
 * Applying a restore plan (see ops/restore.ts): stop what --force allows, swap the staged host
 * files in, let compose create what `down -v` removed, write each gateway's state from the
 * archive (read a third time, checked to be the same archive), then start spokes first and the
 * hub last and wait for each.
 */
import path from "node:path";
import { projectResource, serviceName, stateVolume } from "../vocabulary/names.js";
import { LABELS } from "../vocabulary/labels.js";
import { RuntimeError } from "../errors.js";
import type { GatewayModel } from "../federation/normalize.js";
import { readArchive } from "../runtime/backup/archive.js";
import { liveMember, statePrefix, within } from "../runtime/backup/manifest.js";
import { emptyState, restoreLive, StateWriter } from "../runtime/backup/state.js";
import { systemClock, type Clock } from "../runtime/clock.js";
import { compose } from "../runtime/compose.js";
import { createDockerEngine } from "../runtime/docker/engine.js";
import type { ContainerSummary, Engine, MountSource } from "../runtime/docker/types.js";
import { isDone, type JsonValue, type PlannedStep } from "../vocabulary/journal.js";
import { gateStarted, nodeHttpGet, type HttpGet } from "../runtime/health.js";
import { redact } from "../runtime/redact.js";
import { backupOrder, byteTicker, gatewayContainer, HEALTH_TIMEOUT_MS, stateSource, STOP_TIMEOUT_S } from "./backup-common.js";
import type { FederationContext } from "./context.js";
import { openFederation } from "./context.js";
import { startJournal, type JournalHandle } from "./journal.js";
import { planRestore, sameArchive, stageHostFiles, type GatewayRestore, type RestoreOptions, type RestorePlan, type RestoreResult, type StagedHostFiles } from "./restore-plan.js";

export { planRestore, stageHostFiles, type GatewayRestore, type RestoreOptions, type RestorePlan, type RestoreResult, type StagedHostFiles } from "./restore-plan.js";

/**
 * Restore a federation from an archive.
 * @throws ArchiveError when the archive is refused (nothing changed); SpecError for an invalid
 *   spec or unknown ids; RuntimeError when a gateway is running without `force`, or Docker fails.
 */
export async function restoreFederation(opts: RestoreOptions): Promise<RestoreResult> {
  const ctx = await openFederation(opts.spec, { outDir: opts.outDir });
  try {
    return await restoreInner(ctx, opts);
  } catch (err) {
    // Messages may quote a job's or OpenClaw's output: never let a token through.
    if (err instanceof Error) err.message = redact(err.message, ctx.secrets);
    throw err;
  }
}

/** One restore run: what every step shares. */
interface Job {
  ctx: FederationContext;
  opts: RestoreOptions;
  say: (line: string) => void;
  engine: Engine;
  get: HttpGet;
  clock: Clock;
  /** The restore's journal (set once it is started). */
  journal?: JournalHandle;
}

/** Where each chosen gateway's state goes, in the container compose created for it. */
type Targets = Map<string, { image: string; source: MountSource; containerId: string }>;

/** Restore `opts.from` into the federation `ctx`. */
async function restoreInner(ctx: FederationContext, opts: RestoreOptions): Promise<RestoreResult> {
  const t0 = performance.now();
  const job: Job = { ctx, opts, say: opts.onProgress ?? (() => undefined), engine: opts.engine ?? createDockerEngine(), get: opts.get ?? nodeHttpGet, clock: opts.clock ?? systemClock };
  const plan = await planRestore(ctx, opts);
  await job.engine.ping();
  const running = await runningConcerned(job, plan);
  if (opts.signal?.aborted) throw new RuntimeError("interrupted; nothing was changed");
  const order = backupOrder(plan.chosen);
  const j = await startJournal(ctx, { operation: "restore", args: restoreJournalArgs(opts), steps: restoreSteps(running, order.map((g) => g.id)) });
  job.journal = j;
  const stoppedByUs = new Set<string>();
  for (const c of running) {
    const id = c.labels[LABELS.gateway]!;
    job.say(`${id}: stopping (--force)`);
    await j.step(`${id}:stop`, () => job.engine.stop(c.id, STOP_TIMEOUT_S));
    stoppedByUs.add(id);
  }

  // Host files: staged while the archive is read again, swapped in after the re-check.
  job.say("restoring files");
  let staged: StagedHostFiles;
  try {
    staged = await j.step("stage", () => stageHostFiles(ctx, plan, opts));
  } catch (err) {
    // After a refused second read, put back what --force stopped: nothing changed, no journal left.
    for (const c of running) await job.engine.start(c.id).catch(() => undefined);
    await j.finish();
    throw err;
  }
  const committed = await j.step("swap-files", () => staged.commit());
  const warnings = [...plan.warnings, ...committed.ownersLost.map((t) => `${t}: owners could not be restored (not running as root)`)];

  const targets = await j.step("containers", () => createAndEmpty(job, order));
  await writeStates(job, plan, targets);
  const gateways = await j.step("start", () => startAll(job, order, targets, (g, ms) => ({ id: g.id, capture: plan.manifest.gateways.find((x) => x.id === g.id)!.capture, stopped: stoppedByUs.has(g.id), startedMs: ms })));
  await j.finish();
  return {
    ok: true,
    federation: ctx.fed.name,
    from: plan.from,
    gateways,
    shared: plan.shared,
    restoredPaths: committed.paths.map((p) => (p.startsWith(ctx.outDir + path.sep) ? path.relative(ctx.outDir, p) : p)).sort(),
    specChanged: plan.specChanged,
    warnings,
    ms: Math.round(performance.now() - t0),
  };
}

/** The options a restore journal keeps: what `clawfed resume` runs the restore again with. */
export function restoreJournalArgs(opts: RestoreOptions): Record<string, JsonValue> {
  const a: Record<string, JsonValue> = { from: path.resolve(opts.from), force: !!opts.force, withKnowledge: !!opts.withKnowledge };
  if (opts.only) a.only = opts.only;
  if (opts.healthTimeoutMs !== undefined) a.healthTimeoutMs = opts.healthTimeoutMs;
  return a;
}

/**
 * The steps of a restore: a stop per running gateway, stage, swap-files, containers (each state
 * emptied), a state per gateway of `states` (written from the archive), start. Before `swap-files`
 * begins nothing but stopping was done (abort starts the stopped gateways again); from `swap-files`
 * on there is no way back short of another archive: `clawfed resume` and `clawfed abort` both run
 * the whole restore again (with force) to its end.
 */
export function restoreSteps(running: ContainerSummary[], states: string[] = []): PlannedStep[] {
  const stops = running.map((c): PlannedStep => ({ key: `${c.labels[LABELS.gateway]}:stop`, gateway: c.labels[LABELS.gateway], action: "stop", rollback: "start it again", data: { containerId: c.id } }));
  const noWayBack = "none: the host files and states are replaced; resume runs the restore again";
  return [
    ...stops,
    { key: "stage", action: "stage", rollback: "nothing: staged files are discarded" },
    { key: "swap-files", action: "swap-files", rollback: noWayBack },
    { key: "containers", action: "containers", rollback: noWayBack },
    // One step per gateway's state (in archive order), or one for all when not named.
    ...(states.length ? states.map((id): PlannedStep => ({ key: `${id}:state`, gateway: id, action: "state", rollback: noWayBack })) : [{ key: "states", action: "states", rollback: noWayBack }]),
    { key: "start", action: "start", rollback: noWayBack },
  ];
}

/**
 * Running containers of the gateways concerned (all of them when the shared files are restored,
 * since every gateway reads .env and the compose file).
 * @throws RuntimeError when some run and `force` was not given (nothing changed)
 */
async function runningConcerned(job: Job, plan: RestorePlan): Promise<ContainerSummary[]> {
  const fed = job.ctx.fed;
  const containers = await job.engine.listContainers({ [LABELS.federation]: fed.name });
  const concerned = new Set(plan.shared ? fed.gateways.map((g) => g.id) : plan.chosen.map((g) => g.id));
  const running = containers.filter((c) => concerned.has(c.labels[LABELS.gateway] ?? "") && (c.status === "running" || c.status === "restarting" || c.status === "paused"));
  if (running.length && !job.opts.force) {
    const names = [...new Set(running.map((c) => c.labels[LABELS.gateway]))].join(", ");
    throw new RuntimeError(`refusing to restore over running gateway(s): ${names}; nothing was changed`, {
      next: `stop them first (clawfed down ${job.opts.spec}), or pass --force to stop them`,
    });
  }
  return running;
}

/** Containers and volumes (compose creates what `down -v` removed), then each state emptied. */
async function createAndEmpty(job: Job, order: GatewayModel[]): Promise<Targets> {
  const { ctx, engine, say } = job;
  const services = order.map((g) => serviceName(g.id));
  say(`creating containers and volumes: ${services.join(", ")}`);
  const up = await compose(ctx.project, ["up", "--no-start", "--no-deps", ...services], { timeoutMs: 300_000 });
  if (up.code !== 0) throw new RuntimeError(`compose up --no-start failed: ${redact(up.stderr.trim().split("\n").slice(-5).join(" | "), ctx.secrets)}`);
  const targets: Targets = new Map();
  for (const g of order) {
    const c = await gatewayContainer(engine, ctx.fed.name, g.id);
    if (!c) throw new RuntimeError(`compose created no container for ${g.id}`);
    if (c.running) throw new RuntimeError(`${g.id} started by itself during the restore; stop it and run the restore again`);
    const source = (await stateSource(engine, ctx, g)) ?? { kind: "volume" as const, name: projectResource(ctx.project.name, stateVolume(g.id)) };
    targets.set(g.id, { image: c.imageId, source, containerId: c.id });
    say(`${g.id}: emptying its state (${source.kind === "volume" ? `volume ${source.name}` : source.path})`);
    await emptyState(engine, { image: c.imageId, source, federation: ctx.fed.name });
  }
  return targets;
}

/** Third read of the archive: the states, one tar stream per gateway into the engine. */
async function writeStates(job: Job, plan: RestorePlan, targets: Targets): Promise<void> {
  const { engine, say } = job;
  const federation = job.ctx.fed.name;
  let current: { id: string; w: StateWriter } | undefined;
  // Each gateway's state is a journal step: begun before its first member is written, done after its last.
  const j = job.journal;
  const begin = async (id: string) => void (await j?.begin(`${id}:state`));
  const end = async (id: string) => void (await j?.end(`${id}:state`));
  await plan.unchanged();
  const tick = byteTicker(say, "writing states");
  const third = await readArchive(plan.from, {
    limits: job.opts.limits,
    onEntry: async (e, body) => {
      const [section, owner] = e.path.split("/");
      if (section === "live" && owner) {
        const id = owner.replace(/\.tar\.gz$/, "");
        const t = targets.get(id);
        if (!t || e.path !== liveMember(id)) return;
        say(`${id}: openclaw backup restore of its live archive`);
        await begin(id);
        await restoreLive(engine, { image: t.image, source: t.source, federation, gateway: id }, body!);
        await end(id);
        return;
      }
      if (section !== "state" || !owner || !targets.has(owner)) return;
      if (current && current.id !== owner) {
        await current.w.close();
        await end(current.id);
        current = undefined;
      }
      if (!current) {
        say(`${owner}: writing its state`);
        await begin(owner);
        const t = targets.get(owner)!;
        current = { id: owner, w: await StateWriter.open(engine, { image: t.image, source: t.source, federation }) };
      }
      tick(e.size);
      const prefix = statePrefix(owner);
      const rel = e.path === prefix ? "" : e.path.slice(prefix.length + 1);
      if (!within(e.path, prefix)) return;
      await current.w.add(e, rel, body);
    },
  }).catch(async (err) => {
    await current?.w.abort();
    current = undefined;
    throw err;
  });
  if (current) {
    await current.w.close();
    await end(current.id);
  }
  sameArchive(plan, third);
  // A gateway without any state member in the archive keeps its emptied state: its step is done too.
  for (const id of targets.keys()) {
    if (j && !isDone(j.current, `${id}:state`)) {
      await begin(id);
      await end(id);
    }
  }
}

/**
 * Start spokes first, the hub last, through compose (a container made by `up --no-start` is
 * attached to its other networks only when compose starts it); then wait for each.
 * @throws RuntimeError naming the gateways that did not start
 */
async function startAll(job: Job, order: GatewayModel[], targets: Targets, entry: (g: GatewayModel, ms: number) => GatewayRestore): Promise<GatewayRestore[]> {
  const { ctx, opts, say } = job;
  for (const g of order) {
    say(`${g.id}: starting`);
    const st = await compose(ctx.project, ["start", serviceName(g.id)], { timeoutMs: 120_000 });
    if (st.code !== 0) throw new RuntimeError(`compose start ${g.id} failed: ${redact(st.stderr.trim().split("\n").slice(-5).join(" | "), ctx.secrets)}`);
  }
  const gates = await Promise.all(
    order.map(async (g) => {
      const r = await gateStarted({ engine: job.engine, get: job.get, clock: job.clock, containerId: targets.get(g.id)!.containerId, timeoutMs: opts.healthTimeoutMs ?? HEALTH_TIMEOUT_MS, onChange: (l) => say(`${g.id}: ${l}`) });
      return { g, r };
    }),
  );
  const failed = gates.filter((x) => !x.r.ok);
  if (failed.length) {
    throw new RuntimeError(`restored, but ${failed.map((x) => `${x.g.id} (${x.r.reason})`).join(", ")} did not start`, { next: `clawfed logs ${opts.spec} ${failed[0]!.g.id}` });
  }
  return gates.map(({ g, r }) => (say(`${g.id}: started`), entry(g, Math.round(r.ms))));
}
