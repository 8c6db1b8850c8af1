/**
 * createClawfed: every operation bound to one set of dependencies (see ops/index.ts for the
 * shapes). Modules are imported when an operation first runs, so `generate` never loads the
 * Docker client or PM2.
 */
import { openFederation, type FederationContext } from "./context.js";
import { defaultDeps, type ClawfedDeps } from "./deps.js";
import type { Clawfed, FederationRef, OutOptions } from "./types.js";
import path from "node:path";
import { assertNoJournal, journalWarning, type JournalCtx } from "./journal.js";

const specOf = (fed: FederationRef): string => (typeof fed === "string" ? fed : fed.loaded.file);
const outOf = (fed: FederationRef, opts: OutOptions | undefined): string | undefined => opts?.out ?? (typeof fed === "string" ? undefined : fed.outDir);
const ids = (list: ReadonlyArray<{ id: string }>) => list.map((g) => ({ id: g.id }));

/**
 * Every operation of clawfed, with the given dependencies (any left out are the real ones:
 * dockerode, node:http, the system clock, the compose CLI).
 */
export function createClawfed(over: Partial<ClawfedDeps> = {}): Clawfed {
  let resolved: Promise<ClawfedDeps> | undefined;
  const deps = () => (resolved ??= defaultDeps(over));
  const ctxOf = (fed: FederationRef, opts?: OutOptions): Promise<FederationContext> =>
    typeof fed !== "string" && opts?.out === undefined ? Promise.resolve(fed) : openFederation(specOf(fed), { outDir: outOf(fed, opts) });
  /**
   * Every operation that changes a federation first refuses to run over an unfinished one (see
   * ops/journal.ts). An invalid spec is left to the operation itself (it reports every problem).
   */
  const guard = async (fed: FederationRef, opts: OutOptions | undefined, command: string): Promise<void> => {
    const ctx = await ctxOf(fed, opts).catch(() => undefined);
    if (ctx) await assertNoJournal(ctx, command);
  };
  /** Read-only operations warn instead (the warning goes into their result). */
  const warning = async (fed: FederationRef, opts: OutOptions | undefined): Promise<{ message: string; next: string } | undefined> => {
    const ctx = await ctxOf(fed, opts).catch(() => undefined);
    return ctx ? journalWarning(ctx) : undefined;
  };

  return {
    async generate(fed, opts = {}) {
      const t0 = performance.now();
      const { generate } = await import("./generate.js");
      await guard(fed, opts, "generate");
      const res = await generate({ ...opts, spec: specOf(fed), outDir: outOf(fed, opts) });
      return { ...res, ok: true, ms: Math.round(performance.now() - t0) };
    },
    async up(fed, opts = {}) {
      const { up } = await import("./up.js");
      await guard(fed, opts, "up");
      return up(specOf(fed), await deps(), { ...opts, outDir: outOf(fed, opts) });
    },
    async down(fed, opts = {}) {
      const t0 = performance.now();
      const { down } = await import("./down.js");
      const ctx = await ctxOf(fed, opts);
      await assertNoJournal(ctx, "down");
      const res = await down(ctx, await deps(), opts);
      return { ...res, ok: true, ms: Math.round(performance.now() - t0), gateways: ids(ctx.fed.gateways) };
    },
    async status(fed, opts = {}) {
      const { getStatus } = await import("./status.js");
      const ctx = await ctxOf(fed, opts);
      const interrupted = await journalWarning(ctx);
      const st = await getStatus(ctx, await deps(), opts);
      return interrupted ? { ...st, interrupted } : st;
    },
    async logs(fed, opts) {
      const t0 = performance.now();
      const { streamLogs } = await import("./logs.js");
      const ctx = await ctxOf(fed, opts);
      const { pickGateways } = await import("./context.js");
      pickGateways(ctx.fed, [opts.gateway], "<gateway>");
      const interrupted = await journalWarning(ctx);
      if (interrupted) opts.onProgress?.(`warning: ${interrupted.message} (${interrupted.next})`);
      const res = await streamLogs(ctx, (await deps()).engine, opts.gateway, opts.sink, opts);
      return { ok: true, federation: ctx.fed.name, container: res.container, ms: Math.round(performance.now() - t0), gateways: [{ id: opts.gateway }] };
    },
    async plan(fed, opts = {}) {
      const { planUp } = await import("./plan.js");
      const ctx = await ctxOf(fed, opts);
      const res = await planUp(ctx, await deps(), opts);
      const interrupted = await journalWarning(ctx);
      return interrupted ? { ...res, warnings: [`${interrupted.message} (${interrupted.next})`, ...res.warnings] } : res;
    },
    async doctor(fed, opts = {}) {
      const [{ runDoctor }, { DOCTOR_CHECKS }] = await Promise.all([import("./doctor.js"), import("./doctor-checks.js")]);
      return runDoctor(await ctxOf(fed, opts), await deps(), DOCTOR_CHECKS, opts);
    },
    async planRollout(fed, opts = {}) {
      const { planFor } = await import("./rollout.js");
      const ctx = await ctxOf(fed, opts);
      const interrupted = await journalWarning(ctx);
      if (interrupted) opts.onProgress?.(`warning: ${interrupted.message} (${interrupted.next})`);
      return planFor(ctx, await deps(), opts);
    },
    async rollout(fed, opts = {}) {
      const { planFor, applyRollout } = await import("./rollout.js");
      const ctx = await ctxOf(fed, opts);
      await assertNoJournal(ctx, "rollout");
      const d = await deps();
      const plan = await planFor(ctx, d, opts);
      await d.engine.ping();
      // Each gateway's new image is recorded in the spec right after its health gate.
      return { ...(await applyRollout(ctx, d, plan, { record: true, ...opts })), plan };
    },
    async recordRollout(fed, updated, opts = {}) {
      const { recordImages } = await import("./record.js");
      const ctx = await ctxOf(fed, opts);
      await assertNoJournal(ctx, "record");
      return recordImages(ctx, updated);
    },
    async planUpgrade(fed, opts) {
      const { planUpgradeFor } = await import("./upgrade.js");
      return planUpgradeFor(await ctxOf(fed, opts), await deps(), opts);
    },
    async upgrade(fed, opts) {
      const { upgrade } = await import("./upgrade.js");
      await guard(fed, opts, "upgrade");
      return upgrade(await ctxOf(fed, opts), await deps(), opts);
    },
    async backup(fed, opts = {}) {
      const { backupFederation } = await import("./backup.js");
      await guard(fed, opts, "backup");
      const d = await deps();
      return backupFederation({ ...opts, spec: specOf(fed), outDir: outOf(fed, opts), engine: d.engine, get: d.get, clock: d.clock });
    },
    async verifyBackup(file, opts = {}) {
      const { verifyBackup } = await import("./verify.js");
      return verifyBackup(file, opts);
    },
    async restore(fed, opts) {
      const { restoreFederation } = await import("./restore.js");
      await guard(fed, opts, "restore");
      const d = await deps();
      return restoreFederation({ ...opts, spec: specOf(fed), outDir: outOf(fed, opts), engine: d.engine, get: d.get, clock: d.clock });
    },
    async planAdd(fed, id, opts) {
      const { planAdd } = await import("./add.js");
      return planAdd(specOf(fed), id, { ...opts, outDir: outOf(fed, opts) });
    },
    async add(fed, id, opts) {
      const { planAdd, applyAdd } = await import("./add.js");
      await guard(fed, opts, "add");
      const plan = await planAdd(specOf(fed), id, { ...opts, outDir: outOf(fed, opts) });
      return applyAdd(plan, await deps(), opts);
    },
    async planRemove(fed, id, opts = {}) {
      const { planRemove } = await import("./remove.js");
      return planRemove(specOf(fed), id, { ...opts, outDir: outOf(fed, opts) });
    },
    async remove(fed, id, opts = {}) {
      const { planRemove, applyRemove } = await import("./remove.js");
      await guard(fed, opts, "remove");
      const plan = await planRemove(specOf(fed), id, { ...opts, outDir: outOf(fed, opts) });
      return applyRemove(plan, await deps(), opts);
    },
    async rotate(fed, target, opts = {}) {
      const { rotate } = await import("./rotate.js");
      const ctx = await ctxOf(fed, opts);
      await assertNoJournal(ctx, "rotate");
      return rotate(ctx, await deps(), target, opts);
    },
    async resume(fed, opts = {}) {
      const { recover } = await import("./recover.js");
      return recover(await ctxOf(fed, opts), await deps(), "resume", opts);
    },
    async abort(fed, opts = {}) {
      const { recover } = await import("./recover.js");
      return recover(await ctxOf(fed, opts), await deps(), "abort", opts);
    },
    native: nativeOps(deps),
    async ask(fed, opts) {
      const { ask } = await import("./ask.js");
      return ask(await ctxOf(fed, opts), opts.gateway, opts.text, opts);
    },
    swarm: swarmOps(deps, ctxOf),
    ecs: {
      async runTask(fed, gateway, opts = {}) {
        const { ecsRunTask } = await import("./ecs.js");
        const res = await ecsRunTask(specOf(fed), gateway, opts);
        // Read-only (it only prints the RunTask input): an unfinished operation is a warning.
        const ctx = await openFederation(specOf(fed), { outDir: outOf(fed, opts) }).catch(() => undefined);
        const interrupted = ctx && (await journalWarning(ctx));
        return interrupted ? { ...res, interrupted } : res;
      },
    },
  };
}

/**
 * The journal's view of a native federation: its spec and its root (where its files are and a
 * journal would be: `--out`, else `~/.clawfed/<name>`). Undefined for a spec that does not load:
 * the operation itself reports every problem.
 */
async function nativeJournalCtx(fed: FederationRef, opts: OutOptions | undefined): Promise<JournalCtx | undefined> {
  const [{ loadSpecFile }, { defaultNativeRoot }] = await Promise.all([import("../federation/load.js"), import("./generate.js")]);
  const loaded = await loadSpecFile(specOf(fed), { target: "native" }).catch(() => undefined);
  return loaded && { loaded, fed: loaded.federation, outDir: path.resolve(opts?.out ?? defaultNativeRoot(loaded.federation.name)) };
}

/** Refuse a changing native command over an unfinished operation (see ops/journal.ts). */
async function guardNative(fed: FederationRef, opts: OutOptions | undefined, command: string): Promise<void> {
  const ctx = await nativeJournalCtx(fed, opts);
  if (ctx) await assertNoJournal(ctx, command);
}

/** The warning a read-only command gives about an unfinished operation, also as a progress line. */
async function warnOf(ctx: JournalCtx | undefined, opts: OutOptions | undefined): Promise<{ message: string; next: string } | undefined> {
  const interrupted = ctx && (await journalWarning(ctx));
  if (interrupted) opts?.onProgress?.(`warning: ${interrupted.message} (${interrupted.next})`);
  return interrupted;
}

/** The native operations (PM2 processes on this host), bound to the same dependencies. */
function nativeOps(deps: () => Promise<ClawfedDeps>): Clawfed["native"] {
  return {
    async up(fed, opts = {}) {
      const t0 = performance.now();
      const { nativeUp, nativeNext } = await import("./native.js");
      await guardNative(fed, opts, "native up");
      const d = await deps();
      const st = await nativeUp({ ...opts, spec: specOf(fed), root: opts.out, clock: d.clock, get: d.get });
      return { ...st, ok: st.healthy, ms: Math.round(performance.now() - t0), ...nativeNext(st, specOf(fed), opts.out) };
    },
    async status(fed, opts = {}) {
      const t0 = performance.now();
      const { nativeStatus, nativeNext } = await import("./native.js");
      const interrupted = await warnOf(await nativeJournalCtx(fed, opts), opts);
      const st = await nativeStatus({ spec: specOf(fed), root: opts.out, get: (await deps()).get });
      return { ...st, ok: st.healthy, ms: Math.round(performance.now() - t0), ...nativeNext(st, specOf(fed), opts.out), ...(interrupted ? { interrupted } : {}) };
    },
    async restart(fed, opts = {}) {
      const t0 = performance.now();
      const { nativeRestart, nativeNext } = await import("./native.js");
      await guardNative(fed, opts, "native restart");
      const d = await deps();
      const st = await nativeRestart({ ...opts, spec: specOf(fed), root: opts.out, clock: d.clock, get: d.get });
      return { ...st, ok: st.healthy, ms: Math.round(performance.now() - t0), ...nativeNext(st, specOf(fed), opts.out) };
    },
    async down(fed, opts = {}) {
      const t0 = performance.now();
      const { nativeDown } = await import("./native.js");
      await guardNative(fed, opts, "native down");
      const res = await nativeDown({ ...opts, spec: specOf(fed), root: opts.out });
      return { ...res, ok: true, ms: Math.round(performance.now() - t0), gateways: res.gateways };
    },
  };
}

/** The swarm operations (a Docker Swarm stack), bound to the same dependencies plus the Swarm engine. */
function swarmOps(deps: () => Promise<ClawfedDeps>, ctxOf: (fed: FederationRef, opts?: OutOptions) => Promise<FederationContext>): Clawfed["swarm"] {
  const swarmDeps = async () => {
    const d = await deps();
    const swarm = d.swarm ?? (await import("../runtime/swarm/docker.js")).createSwarmEngine();
    return { swarm, engine: d.engine, get: d.get, clock: d.clock };
  };
  return {
    async up(fed, opts = {}) {
      const { swarmUp } = await import("./swarm.js");
      const ctx = await ctxOf(fed, opts).catch(() => undefined);
      if (ctx) await assertNoJournal(ctx, "swarm up");
      return swarmUp(specOf(fed), await swarmDeps(), { ...opts, outDir: outOf(fed, opts) });
    },
    async down(fed, opts = {}) {
      const t0 = performance.now();
      const { swarmDown } = await import("./swarm.js");
      const ctx = await ctxOf(fed, opts);
      await assertNoJournal(ctx, "swarm down");
      const res = await swarmDown(ctx, await swarmDeps(), opts);
      return { ...res, ok: true, ms: Math.round(performance.now() - t0), gateways: ids(ctx.fed.gateways) };
    },
    async status(fed, opts = {}) {
      const { swarmStatus, swarmNext } = await import("./swarm-status.js");
      const ctx = await ctxOf(fed, opts);
      const interrupted = await warnOf(ctx, opts);
      const st = await swarmStatus(ctx, await swarmDeps(), opts);
      return { ...st, ok: st.healthy, ...swarmNext(ctx, st), ...(interrupted ? { interrupted } : {}) };
    },
    async logs(fed, opts) {
      const t0 = performance.now();
      const { swarmLogs } = await import("./swarm.js");
      const ctx = await ctxOf(fed, opts);
      // The warning goes where the log's own errors go (the CLI's stderr).
      const interrupted = await warnOf(ctx, undefined);
      if (interrupted) opts.sink.stderr(`warning: ${interrupted.message} (${interrupted.next})\n`);
      const res = await swarmLogs(ctx, await swarmDeps(), opts.gateway, opts.sink, opts);
      return { ok: true, federation: ctx.fed.name, service: res.service, ms: Math.round(performance.now() - t0), gateways: [{ id: opts.gateway }] };
    },
  };
}
