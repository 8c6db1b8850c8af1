/**
 * The remove's journal (see ops/journal.ts): its steps, running them, rolling them back, and how an
 * interrupted remove is finished (`clawfed resume`) or rolled back (`clawfed abort`).
 *
 * Steps, in order (ops/remove.ts says what each does), and what rolling each back means:
 *   <id>:stop              start it again on its untouched state
 *   <id>:backup            none (the verified archive is kept)
 *   <id>:remove-container  compose creates it again from the previous files (its state volume is untouched)
 *   write-spec             the previous spec text written back byte for byte (held in the step's data)
 *   generate               the output regenerated from the previous spec
 *   <peer>:recreate        recreated again from the previous files
 *   <id>:remove-resources  the point of no return: its networks, state volume (unless kept) and
 *                          folders go; recovery finishes the remove (the backup holds its state)
 *   <id>:forget-tokens     none: recovery finishes it
 *
 * Every step is idempotent, so a step found `started` is simply run again. Recovery judges from
 * the disk and Docker: the spec text on disk (before or after), the gateway's container (compose
 * creates or starts it), the networks and volumes the compose files declare.
 *  - resume: the steps not done yet, in order; a failure before the point of no return rolls the
 *    whole remove back (as a failed `remove` does);
 *  - abort: before the point of no return, everything is rolled back (the gateway runs again on its
 *    state, its peers know it again, the spec is the previous text); past it, abort finishes the
 *    remove as resume does (there is no way back short of restoring the backup).
 */
import { readdir, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { RuntimeError } from "../errors.js";
import { begun, isDone, stepOf, type Journal, type JsonValue, type PlannedStep } from "../vocabulary/journal.js";
import { projectResource, stateVolume } from "../vocabulary/names.js";
import { gatewayContainers } from "../runtime/containers.js";
import { openFederation, outFlag, type FederationContext } from "./context.js";
import type { ClawfedDeps } from "./deps.js";
import { journalHandle, recoveryCommands, type JournalHandle } from "./journal.js";
import { removeGatewayFolders, type MemberStep } from "./add.js";
import { backupFederation } from "./backup.js";
import { STOP_TIMEOUT_S } from "./backup-common.js";
import { upServices } from "./member-up.js";
import { composeResources, minus, removeContainers } from "./membership.js";
import { regenerate, writeSpecText } from "./regenerate.js";
import { verifyBackup } from "./verify.js";
import type { RecoverGateway, RecoverOptions, RecoverResult } from "./recover-types.js";
import type { RemovePlan, RemoveResult } from "./remove-types.js";

/** One remove being run (first time or recovery): what every step shares. */
export interface RemoveRun {
  plan: RemovePlan;
  deps: ClawfedDeps;
  /** The federation as it was opened at the start (its spec file, output folder, project). */
  ctx: FederationContext;
  /** The default image of the generation before the remove (regenerate keeps it). */
  image?: string;
  /** Networks and volumes the compose file declared before the remove (Docker names). */
  resBefore: { networks: string[]; volumes: string[] };
  j: JournalHandle;
  say: (line: string) => void;
  healthTimeoutMs?: number;
  /**
   * The archive the backup step writes, decided before the journal starts; `chosen` when the user
   * named it (then never replaced). Undefined only for a journal of an older clawfed.
   */
  backup?: { file: string; chosen: boolean };
  result: RemoveResult;
  /** The step running (or last run). */
  current?: MemberStep;
}

/** Journal key of a remove step: `<id>:<kind>`, or the kind for the steps of the whole federation. */
export const removeKey = (s: MemberStep): string => ("id" in s ? `${s.id}:${s.kind}` : s.kind);

const ROLLBACK: Record<MemberStep["kind"], string> = {
  stop: "start it again on its untouched state",
  backup: "none (the verified archive is kept)",
  "remove-container": "compose creates it again from the previous files (its state volume is untouched)",
  "write-spec": "write the previous spec text back byte for byte (this step's data holds it)",
  generate: "regenerate the output from the previous spec",
  recreate: "recreate it again from the previous files",
  "remove-resources": "none: the point of no return (its networks, state volume and folders go; the backup holds its state); recovery finishes the remove",
  "forget-tokens": "none: recovery finishes the remove",
  start: "-",
};

/** The planned journal steps of a remove (the spec texts go with `write-spec`: recovery needs them; a spec holds no secret). */
export function removeSteps(plan: RemovePlan): PlannedStep[] {
  return plan.steps.map((s): PlannedStep => ({
    key: removeKey(s),
    ...("id" in s ? { gateway: s.id } : {}),
    action: s.kind,
    rollback: ROLLBACK[s.kind],
    ...(s.kind === "write-spec" ? { data: { before: plan.before, after: plan.after } } : {}),
  }));
}

/** The options a remove journal keeps (what recovery rebuilds the plan from). */
export function removeJournalArgs(plan: RemovePlan, image: string | undefined, resBefore: { networks: string[]; volumes: string[] }, opts: { backup: { file: string; chosen: boolean }; healthTimeoutMs?: number }): Record<string, JsonValue> {
  const a: Record<string, JsonValue> = { gateway: plan.gateway.id, linked: plan.gateway.linked, keepState: plan.keepState, goneTokens: plan.goneTokens, goneRoutes: plan.goneRoutes, resBefore: { networks: resBefore.networks, volumes: resBefore.volumes } };
  if (image) a.image = image;
  a.backupFile = opts.backup.file;
  a.backupFileChosen = opts.backup.chosen;
  if (opts.healthTimeoutMs !== undefined) a.healthTimeoutMs = opts.healthTimeoutMs;
  return a;
}

/**
 * Run one step unless the journal says it is done: `started` on disk before, `done` after. `fn`
 * learns whether an earlier (killed) run had begun the step already.
 */
async function runStep(run: RemoveRun, s: MemberStep, fn: (begunBefore: boolean) => Promise<Record<string, JsonValue> | void>): Promise<void> {
  const k = removeKey(s);
  run.current = s;
  if (isDone(run.j.current, k)) return;
  const begunBefore = begun(run.j.current, k);
  await run.j.begin(k);
  const data = await fn(begunBefore);
  await run.j.end(k, data ?? undefined);
}

/** Steps 1-6, each skipped when done. @throws the first failure (the caller rolls back). */
export async function removeForward(run: RemoveRun): Promise<void> {
  const { plan, deps, say } = run;
  const id = plan.gateway.id;
  await runStep(run, { kind: "stop", id }, async () => {
    // Asked about `id` alone: the spec on disk may already be without it.
    const c = (await gatewayContainers({ fed: { name: run.ctx.fed.name, gateways: [{ id }] }, project: run.ctx.project }, deps.engine)).current.get(id);
    if (c && c.status !== "exited" && c.status !== "created" && c.status !== "dead") {
      say(`${id}: stopping (its state is copied while it is stopped)`);
      await deps.engine.stop(c.id, STOP_TIMEOUT_S);
    }
  });
  await runStep(run, { kind: "backup", id }, async (again) => {
    const b = await backupOnce(run, again);
    say(`backup of ${id}: ${b.file} (${b.bytes} bytes, verified)`);
    return b;
  });
  const b = stepOf(run.j.current, removeKey({ kind: "backup", id }))?.data;
  if (b && typeof b.file === "string") run.result.backup = { file: b.file, bytes: Number(b.bytes) };
  await runStep(run, { kind: "remove-container", id }, async () => {
    const gone = await removeContainers(run.ctx, deps, id);
    run.result.removed.containers.push(...gone);
  });
  await runStep(run, { kind: "write-spec" }, () => writeSpecText(plan.specFile, plan.after));
  await runStep(run, { kind: "generate" }, async () => void (await regenerate(run.ctx, run.image)));
  const ctx = await openFederation(plan.specFile, { outDir: plan.outDir });
  for (const peer of plan.gateway.linked) {
    await runStep(run, { kind: "recreate", id: peer }, async () => {
      say(`recreating ${peer} without ${id} (it does not serve until it has started again)`);
      const r = (await upServices(ctx, deps, [peer], say, run.healthTimeoutMs))[0]!;
      run.result.recreated.push(r);
      if (!r.ok) throw new RuntimeError(`${peer} did not start again: ${r.reason}`);
      say(`${peer}: back after ${(r.ms / 1000).toFixed(1)} s`);
    });
  }
}

/**
 * The backup step, into the archive the journal names. Run again after a kill (`again`), the
 * file there is kept when it verifies as a backup of this gateway; otherwise it is written again
 * (a name clawfed chose is replaced; one the user chose never is: then the error says so). The
 * killed run's unpublished temporary file is deleted either way.
 * @throws RuntimeError when the user's archive exists and is not a backup of this gateway
 */
async function backupOnce(run: RemoveRun, again: boolean): Promise<{ file: string; bytes: number }> {
  const { plan, deps } = run;
  const file = run.backup?.file;
  if (file && again) {
    await removeStaleTemps(file);
    const st = await stat(file).catch(() => undefined);
    if (st) {
      const v = await verifyBackup(file).catch(() => undefined);
      if (v && v.federation === plan.federation && v.gateways.some((g) => g.id === plan.gateway.id)) return { file: v.file, bytes: st.size };
      if (run.backup!.chosen) {
        throw new RuntimeError(`${file} exists but is not a verified backup of ${plan.gateway.id} (${plan.federation}); a backup never replaces a file you chose`, { next: `move ${file} away, then run this again` });
      }
      run.say(`${file} does not verify (the run that wrote it was killed): writing it again`);
      await rm(file, { force: true });
    }
  }
  const b = await backupFederation({ spec: plan.specFile, outDir: plan.outDir, only: [plan.gateway.id], file, engine: deps.engine, get: deps.get, clock: deps.clock, onProgress: run.say });
  return { file: b.file, bytes: b.bytes };
}

/** Delete the temporary files a killed backup left next to `file` (runtime/backup/archive-writer.ts names them). */
async function removeStaleTemps(file: string): Promise<void> {
  const prefix = `.${path.basename(file)}.clawfed-tmp-`;
  const names = await readdir(path.dirname(file)).catch(() => [] as string[]);
  for (const n of names.filter((x) => x.startsWith(prefix))) await rm(path.join(path.dirname(file), n), { force: true });
}

/** Steps 7 and 8: what only goes once everything else worked (idempotent: what is gone stays gone). */
export async function removeCleanUp(run: RemoveRun): Promise<void> {
  const { plan, deps, say, result } = run;
  const id = plan.gateway.id;
  await runStep(run, { kind: "remove-resources", id }, async () => {
    const resAfter = await composeResources(plan.outDir, run.ctx.project.name);
    for (const n of minus(run.resBefore.networks, resAfter.networks)) {
      await deps.engine.removeNetwork(n);
      result.removed.networks.push(n);
    }
    if (!plan.keepState) {
      for (const v of minus(run.resBefore.volumes, resAfter.volumes)) {
        await deps.engine.removeVolume(v);
        result.removed.volumes.push(v);
      }
    }
    result.removed.folders = await removeGatewayFolders(plan.outDir, plan.keepState ? undefined : id, plan.goneRoutes, run.ctx.fed.comms);
  });
  await runStep(run, { kind: "forget-tokens", id }, async () => void (await regenerate(run.ctx, run.image, { forget: plan.goneTokens })));
  result.removed.tokens = plan.goneTokens;
  say(`removed ${id}: ${[...result.removed.containers, ...result.removed.networks, ...result.removed.volumes].length} Docker object(s), ${result.removed.folders.length} folder(s), ${plan.goneTokens.length} token(s)`);
  if (plan.keepState) say(`kept the state volume ${projectResource(run.ctx.project.name, stateVolume(id))}`);
}

/**
 * Put the federation back as before the remove (steps 1-6 only; never past the point of no
 * return): the previous spec text, the output regenerated from it, the gateway started again on
 * its state (compose creates its container when it was removed), the peers recreated.
 * @returns what could not be undone (empty: the federation is as before)
 */
export async function removeRollBack(run: RemoveRun): Promise<string[]> {
  const { plan, deps, say, j } = run;
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      problems.push(`${what}: ${(err as Error).message.split("\n")[0]}`);
    }
  };
  const wasBegun = (s: MemberStep) => begun(j.current, removeKey(s));
  if (wasBegun({ kind: "write-spec" })) {
    const now = await readFile(plan.specFile, "utf8").catch(() => undefined);
    if (now !== plan.before) await attempt(`write back ${plan.specFile}`, () => writeSpecText(plan.specFile, plan.before));
    await attempt("regenerate from the previous spec", () => regenerate(run.ctx, run.image));
  }
  const ctx = await openFederation(plan.specFile, { outDir: plan.outDir }).catch(() => run.ctx);
  const up = (id: string) =>
    attempt(`start ${id}`, async () => {
      const r = (await upServices(ctx, deps, [id], say, run.healthTimeoutMs))[0]!;
      if (!r.ok) throw new Error(r.reason);
    });
  if (wasBegun({ kind: "stop", id: plan.gateway.id })) {
    say(`rollback: starting ${plan.gateway.id} again on its state`);
    await up(plan.gateway.id);
  }
  for (const peer of plan.gateway.linked.filter((p) => wasBegun({ kind: "recreate", id: p }))) {
    say(`rollback: recreating ${peer} from the previous files`);
    await up(peer);
  }
  return problems;
}

/**
 * Run a remove from wherever its journal stands: steps 1-6, then (past them) the clean-up. A
 * failure before the point of no return is rolled back; the journal is deleted when the
 * federation is consistent again and kept when a rollback left problems.
 * @throws RuntimeError when the rollback itself failed (the journal stays)
 */
export async function runRemove(run: RemoveRun): Promise<RemoveResult> {
  const t0 = run.deps.clock.now();
  const { plan, result, say } = run;
  try {
    await removeForward(run);
  } catch (err) {
    const reason = (err as Error).message;
    const step = run.current ?? plan.steps[0]!;
    say(`${step.kind}${"id" in step ? ` ${step.id}` : ""} failed: ${reason}; rolling back`);
    const problems = await removeRollBack(run);
    result.rolledBack = { step, reason, problems };
    if (problems.length) {
      const { resume, abort } = recoveryCommands(run.ctx);
      throw new RuntimeError(`remove of ${plan.gateway.id} failed (${reason}) and the rollback left problems:\n  ${problems.join("\n  ")}`, { next: `clawfed status ${plan.specFile}${outFlag(run.ctx)}; then ${abort} (or ${resume})` });
    }
    await run.j.finish();
    result.next = `clawfed status ${plan.specFile}${outFlag(run.ctx)}   (nothing changed: fix the cause, then run remove again)`;
    result.ms += Math.round(run.deps.clock.now() - t0);
    return result;
  }
  await removeCleanUp(run);
  await run.j.finish();
  result.ok = true;
  result.ms += Math.round(run.deps.clock.now() - t0);
  return result;
}

/** The remove plan a journal records, against the federation as it is on disk now. */
function planOf(ctx: FederationContext, journal: Journal): RemovePlan {
  const a = journal.args;
  const strings = (v: JsonValue | undefined) => (Array.isArray(v) ? v.map(String) : []);
  const id = String(a.gateway);
  const linked = strings(a.linked);
  const texts = stepOf(journal, "write-spec")?.data ?? {};
  return {
    federation: journal.federation,
    specFile: ctx.loaded.file,
    outDir: ctx.outDir,
    gateway: { id, linked },
    before: String(texts.before),
    after: String(texts.after),
    goneTokens: strings(a.goneTokens),
    goneRoutes: strings(a.goneRoutes),
    keepState: a.keepState === true,
    steps: journal.steps.map((s): MemberStep => (s.gateway ? ({ kind: s.action, id: s.gateway } as MemberStep) : ({ kind: s.action } as MemberStep))),
  };
}

/** `clawfed resume` / `clawfed abort` of an interrupted remove (see the file comment). */
export async function recoverRemove(ctx: FederationContext, deps: ClawfedDeps, journal: Journal, action: "resume" | "abort", opts: RecoverOptions): Promise<RecoverResult> {
  const t0 = deps.clock.now();
  const plan = planOf(ctx, journal);
  const a = journal.args;
  const id = plan.gateway.id;
  const resBefore = a.resBefore as { networks?: JsonValue; volumes?: JsonValue } | undefined;
  const list = (v: JsonValue | undefined) => (Array.isArray(v) ? v.map(String) : []);
  const result: RemoveResult = { ok: false, federation: plan.federation, plan, recreated: [], removed: { containers: [], networks: [], volumes: [], folders: [], tokens: [] }, gateways: [{ id }, ...plan.gateway.linked.map((l) => ({ id: l }))], ms: 0 };
  const run: RemoveRun = {
    plan,
    deps,
    ctx,
    image: typeof a.image === "string" ? a.image : undefined,
    resBefore: { networks: list(resBefore?.networks), volumes: list(resBefore?.volumes) },
    j: journalHandle(ctx.outDir, journal),
    say: opts.onProgress ?? (() => undefined),
    healthTimeoutMs: typeof a.healthTimeoutMs === "number" ? a.healthTimeoutMs : undefined,
    backup: typeof a.backupFile === "string" ? { file: a.backupFile, chosen: a.backupFileChosen !== false } : undefined,
    result,
  };
  const base = { federation: ctx.fed.name, operation: "remove", action } as const;
  const pastNoReturn = begun(journal, removeKey({ kind: "remove-resources", id }));
  if (action === "abort" && !pastNoReturn) {
    const problems = await removeRollBack(run);
    if (problems.length) throw new RuntimeError(`the rollback of the remove of ${id} left problems:\n  ${problems.join("\n  ")}`, { next: `clawfed status ${plan.specFile}${outFlag(ctx)}; then run this again` });
    await run.j.finish();
    const peers = plan.gateway.linked.filter((p) => begun(journal, removeKey({ kind: "recreate", id: p })));
    const gateways: RecoverGateway[] = [{ id, outcome: "rolled-back", detail: "running again on its state; the spec names it again" }, ...peers.map((p) => ({ id: p, outcome: "rolled-back", detail: `recreated with ${id} as its peer again` }))];
    return { ...base, ok: true, gateways, ms: Math.round(deps.clock.now() - t0) };
  }
  if (action === "abort") run.say(`the remove of ${id} is past its point of no return (its resources are being removed): finishing it`);
  const r = await runRemove(run);
  const detail = r.ok ? `removed${r.backup ? `; its backup: ${r.backup.file}` : ""}` : `rolled back: ${r.rolledBack?.reason ?? "?"}`;
  return { ...base, ok: r.ok, gateways: [{ id, outcome: r.ok ? "finished" : "rolled-back", detail }], ...(r.ok ? {} : { message: `the remove of ${id} failed at ${r.rolledBack?.step.kind} and was rolled back: ${r.rolledBack?.reason}`, next: r.next }), ms: Math.round(deps.clock.now() - t0) };
}
