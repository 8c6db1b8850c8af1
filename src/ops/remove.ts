/**
 * `clawfed remove`: one spoke out of a running compose federation, its state backed up first.
 * A plan (the edited spec validated by the normal loader, the linked gateways, the tokens and
 * mailbox folders that go), then the steps in order:
 *
 *   1. stop              the gateway's container (so its state is copied consistently, facts §6.2)
 *   2. backup            `clawfed backup --only <id>` of the stopped gateway (the usual archive format)
 *   3. remove-container  its container
 *   4. write-spec        the spec without `gateways.<id>`, its links and its kubernetes.unsandboxed entry
 *   5. generate          the output regenerated (the removed gateway's files go; its tokens stay until 8)
 *   6. recreate          each gateway it was linked to, one at a time, health-gated, without it
 *   7. remove-resources  its networks, its state volume (unless keepState), workspace and mailbox folders
 *   8. forget-tokens     regenerate once more, dropping its tokens from `.env`
 *
 * Rollback of steps 1-6 (a failed backup, a linked gateway that does not come back): the previous
 * spec is written back byte for byte, the output regenerated, the gateway started again on its
 * untouched state, the linked gateways recreated from the previous files. Nothing is destroyed
 * before step 7, which runs only when everything else succeeded.
 */
import { readFile } from "node:fs/promises";
import { RuntimeError, UsageError } from "../errors.js";
import { removeGatewayText, linkedGatewaysText } from "../federation/spec-edit.js";
import { loadSpecText } from "../federation/load.js";
import { mailboxDirs } from "../compile/workspace.js";
import { projectResource, stateVolume } from "../vocabulary/names.js";
import { gatewayContainers } from "../runtime/containers.js";
import { openFederation, outFlag, pickGateways, type FederationContext } from "./context.js";
import type { ClawfedDeps } from "./deps.js";
import { removeGatewayFolders, type MemberStep } from "./add.js";
import { backupFederation } from "./backup.js";
import { STOP_TIMEOUT_S } from "./backup-common.js";
import { composeResources, minus, removeContainers, tokenNames, upService, type MemberStart } from "./membership.js";
import { generationImage, regenerate, writeSpecText } from "./regenerate.js";

export interface RemoveOptions {
  outDir?: string;
  /** Keep the state volume (and workspace folder): `add` with the same id later finds them. */
  keepState?: boolean;
  /** Backup archive path; default `<dir of out>/backups/<name>-<UTC time>.tar.gz`. */
  backupFile?: string;
  healthTimeoutMs?: number;
  onProgress?: (line: string) => void;
}

export interface RemovePlan {
  federation: string;
  specFile: string;
  outDir: string;
  gateway: { id: string; linked: string[] };
  before: string;
  after: string;
  /** `.env` variables that go (names only). */
  goneTokens: string[];
  /** Mailbox route folders that go. */
  goneRoutes: string[];
  keepState: boolean;
  steps: MemberStep[];
}

export interface RemoveResult {
  ok: boolean;
  federation: string;
  plan: RemovePlan;
  /** The verified archive of the gateway's state and workspace. */
  backup?: { file: string; bytes: number };
  recreated: MemberStart[];
  /** Docker and host resources removed (names, never values). */
  removed: { containers: string[]; networks: string[]; volumes: string[]; folders: string[]; tokens: string[] };
  rolledBack?: { step: MemberStep; reason: string; problems: string[] };
  gateways: Array<{ id: string }>;
  next?: string;
  ms: number;
}

/**
 * Plan a remove.
 * @throws UsageError for an unknown id or the hub; SpecError when the edited spec would be invalid
 */
export async function planRemove(spec: string, id: string, opts: Pick<RemoveOptions, "outDir" | "keepState"> = {}): Promise<RemovePlan> {
  const ctx = await openFederation(spec, { outDir: opts.outDir });
  const [g] = pickGateways(ctx.fed, [id], "<gateway>");
  if (g!.role === "hub") {
    throw new UsageError(`${id} is the hub of ${ctx.fed.name}; clawfed remove does not remove the hub (every spoke links to it)`, {
      hint: `remove the spokes first, make another gateway the hub in the spec, or stop the whole federation: clawfed down ${spec}`,
    });
  }
  const before = await readFile(ctx.loaded.file, "utf8");
  const after = removeGatewayText(before, id, ctx.loaded.file);
  const next = await loadSpecText(after, `${ctx.loaded.file} (as remove would write it)`);
  const linked = linkedGatewaysText(before, id).filter((l) => next.federation.gateways.some((x) => x.id === l));
  const steps: MemberStep[] = [
    { kind: "stop", id },
    { kind: "backup", id },
    { kind: "remove-container", id },
    { kind: "write-spec" },
    { kind: "generate" },
    ...linked.map((l) => ({ kind: "recreate" as const, id: l })),
    { kind: "remove-resources", id },
    { kind: "forget-tokens", id },
  ];
  return {
    federation: ctx.fed.name,
    specFile: ctx.loaded.file,
    outDir: ctx.outDir,
    gateway: { id, linked },
    before,
    after,
    goneTokens: minus(tokenNames(ctx.fed), tokenNames(next.federation)),
    goneRoutes: minus(mailboxDirs(ctx.fed), mailboxDirs(next.federation)),
    keepState: Boolean(opts.keepState),
    steps,
  };
}

/**
 * Apply a remove plan (see the file comment).
 * @returns ok, or `ok: false` with `rolledBack` (the federation is as before, the gateway running)
 * @throws RuntimeError when the rollback itself failed, or the final clean-up left something
 */
export async function applyRemove(plan: RemovePlan, deps: ClawfedDeps, opts: Omit<RemoveOptions, "outDir" | "keepState"> = {}): Promise<RemoveResult> {
  const t0 = deps.clock.now();
  const say = opts.onProgress ?? (() => undefined);
  const id = plan.gateway.id;
  const old = await openFederation(plan.specFile, { outDir: plan.outDir });
  const image = await generationImage(old);
  const resBefore = await composeResources(old.outDir, old.project.name);
  await deps.engine.ping();
  const result: RemoveResult = {
    ok: false,
    federation: plan.federation,
    plan,
    recreated: [],
    removed: { containers: [], networks: [], volumes: [], folders: [], tokens: [] },
    gateways: [{ id }, ...plan.gateway.linked.map((l) => ({ id: l }))],
    ms: 0,
  };
  const done = new Set<MemberStep["kind"]>();
  const recreated: string[] = [];
  let step: MemberStep = plan.steps[0]!;
  try {
    const c = (await gatewayContainers(old, deps.engine)).current.get(id);
    if (c && c.status !== "exited" && c.status !== "created" && c.status !== "dead") {
      say(`${id}: stopping (its state is copied while it is stopped)`);
      await deps.engine.stop(c.id, STOP_TIMEOUT_S);
    }
    done.add("stop");
    step = { kind: "backup", id };
    const b = await backupFederation({ spec: plan.specFile, outDir: plan.outDir, only: [id], file: opts.backupFile, engine: deps.engine, get: deps.get, clock: deps.clock, onProgress: say });
    result.backup = { file: b.file, bytes: b.bytes };
    say(`backup of ${id}: ${b.file} (${b.bytes} bytes, verified)`);
    step = { kind: "remove-container", id };
    result.removed.containers = await removeContainers(old, deps, id);
    done.add("remove-container");
    step = { kind: "write-spec" };
    await writeSpecText(plan.specFile, plan.after);
    done.add("write-spec");
    step = { kind: "generate" };
    await regenerate(old, image);
    done.add("generate");
    const ctx = await openFederation(plan.specFile, { outDir: plan.outDir });
    for (const peer of plan.gateway.linked) {
      step = { kind: "recreate", id: peer };
      say(`recreating ${peer} without ${id} (it does not serve until it has started again)`);
      recreated.push(peer);
      const r = await upService(ctx, deps, peer, say, opts.healthTimeoutMs);
      result.recreated.push(r);
      if (!r.ok) throw new RuntimeError(`${peer} did not start again: ${r.reason}`);
      say(`${peer}: back after ${(r.ms / 1000).toFixed(1)} s`);
    }
  } catch (err) {
    const reason = (err as Error).message;
    say(`${step.kind}${"id" in step ? ` ${step.id}` : ""} failed: ${reason}; rolling back`);
    const problems = await rollbackRemove(plan, deps, old, image, done, recreated, say, opts.healthTimeoutMs);
    result.rolledBack = { step, reason, problems };
    if (problems.length) throw new RuntimeError(`remove of ${id} failed (${reason}) and the rollback left problems:\n  ${problems.join("\n  ")}`, { next: `clawfed status ${plan.specFile}${outFlag(old)}` });
    result.next = `clawfed status ${plan.specFile}${outFlag(old)}   (nothing changed: fix the cause, then run remove again)`;
    result.ms = Math.round(deps.clock.now() - t0);
    return result;
  }
  await cleanUp(plan, deps, old, image, resBefore, result, say);
  result.ok = true;
  result.ms = Math.round(deps.clock.now() - t0);
  return result;
}

/** Steps 7 and 8: what only goes once everything else worked. */
async function cleanUp(plan: RemovePlan, deps: ClawfedDeps, old: FederationContext, image: string | undefined, resBefore: { networks: string[]; volumes: string[] }, result: RemoveResult, say: (l: string) => void): Promise<void> {
  const id = plan.gateway.id;
  const resAfter = await composeResources(plan.outDir, old.project.name);
  for (const n of minus(resBefore.networks, resAfter.networks)) {
    await deps.engine.removeNetwork(n);
    result.removed.networks.push(n);
  }
  if (!plan.keepState) {
    for (const v of minus(resBefore.volumes, resAfter.volumes)) {
      await deps.engine.removeVolume(v);
      result.removed.volumes.push(v);
    }
  }
  result.removed.folders = await removeGatewayFolders(plan.outDir, plan.keepState ? undefined : id, plan.goneRoutes, old.fed.comms);
  await regenerate(old, image, { forget: plan.goneTokens });
  result.removed.tokens = plan.goneTokens;
  say(`removed ${id}: ${[...result.removed.containers, ...result.removed.networks, ...result.removed.volumes].length} Docker object(s), ${result.removed.folders.length} folder(s), ${plan.goneTokens.length} token(s)`);
  if (plan.keepState) say(`kept the state volume ${projectResource(old.project.name, stateVolume(id))}`);
}

async function rollbackRemove(plan: RemovePlan, deps: ClawfedDeps, old: FederationContext, image: string | undefined, done: Set<MemberStep["kind"]>, recreated: string[], say: (l: string) => void, timeoutMs?: number): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      problems.push(`${what}: ${(err as Error).message.split("\n")[0]}`);
    }
  };
  if (done.has("write-spec")) await attempt(`write back ${plan.specFile}`, () => writeSpecText(plan.specFile, plan.before));
  if (done.has("generate")) await attempt("regenerate from the previous spec", () => regenerate(old, image));
  const ctx = await openFederation(plan.specFile, { outDir: plan.outDir }).catch(() => old);
  if (done.has("stop")) {
    say(`rollback: starting ${plan.gateway.id} again on its state`);
    await attempt(`start ${plan.gateway.id}`, async () => {
      const r = await upService(ctx, deps, plan.gateway.id, say, timeoutMs);
      if (!r.ok) throw new Error(r.reason);
    });
  }
  for (const peer of recreated) {
    say(`rollback: recreating ${peer} from the previous files`);
    await attempt(`recreate ${peer}`, async () => {
      const r = await upService(ctx, deps, peer, say, timeoutMs);
      if (!r.ok) throw new Error(r.reason);
    });
  }
  return problems;
}
