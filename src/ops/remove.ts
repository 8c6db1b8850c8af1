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
 *
 * Every step is journaled before it runs (ops/remove-journal.ts): a remove killed at any point is
 * finished by `clawfed resume` or rolled back by `clawfed abort` (past step 7's start: finished).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "../errors.js";
import { removeGatewayText, linkedGatewaysText } from "../federation/spec-edit.js";
import { loadSpecText } from "../federation/load.js";
import { mailboxDirs } from "../compile/workspace.js";
import { openFederation, pickGateways } from "./context.js";
import type { ClawfedDeps } from "./deps.js";
import type { MemberStep } from "./add.js";
import { composeResources, minus, tokenNames } from "./membership.js";
import type { RemoveOptions, RemovePlan, RemoveResult } from "./remove-types.js";
import { generationImage } from "./regenerate.js";
import { unusedArchivePath } from "./backup-common.js";
import { startJournal } from "./journal.js";
import { removeJournalArgs, removeSteps, runRemove, type RemoveRun } from "./remove-journal.js";

export type { RemoveOptions, RemovePlan, RemoveResult } from "./remove-types.js";

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
 * Apply a remove plan (see the file comment), journaled (ops/remove-journal.ts).
 * @returns ok, or `ok: false` with `rolledBack` (the federation is as before, the gateway running)
 * @throws RuntimeError when the rollback itself failed, or the final clean-up left something (the
 *   journal then stays: `clawfed resume` / `clawfed abort`)
 */
export async function applyRemove(plan: RemovePlan, deps: ClawfedDeps, opts: Omit<RemoveOptions, "outDir" | "keepState"> = {}): Promise<RemoveResult> {
  const t0 = deps.clock.now();
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
  // The archive's path is decided once, here, and journaled: a resumed backup step writes (or
  // keeps) that file, never a second archive under a new time-stamped name.
  const backup = opts.backupFile ? { file: path.resolve(opts.backupFile), chosen: true } : { file: await unusedArchivePath(old.outDir, old.fed.name, new Date(deps.wallNow())), chosen: false };
  // The journal exists before the first step and names every step (ops/journal.ts).
  const j = await startJournal(old, { operation: "remove", args: removeJournalArgs(plan, image, resBefore, { ...opts, backup }), steps: removeSteps(plan), wallNow: deps.wallNow });
  const say = opts.onProgress ?? (() => undefined);
  const run: RemoveRun = { plan, deps, ctx: old, image, resBefore, j, say, healthTimeoutMs: opts.healthTimeoutMs, backup, result };
  const r = await runRemove(run);
  r.ms = Math.round(deps.clock.now() - t0);
  return r;
}
