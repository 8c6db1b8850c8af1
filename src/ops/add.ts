/**
 * `clawfed add`: one new gateway in a running compose federation. First a plan (pure after the
 * reads: the edited spec text, validated by the normal loader, the port, the new tokens, the
 * steps), then the steps, journaled (ops/add-steps.ts: `clawfed resume` finishes an add that was
 * killed, `clawfed abort` undoes it):
 *
 *   1. write-spec   the spec gets `gateways.<id>` and one link per `--link` (yaml Document API)
 *   2. generate     the output folder is regenerated (existing tokens kept, new ones generated)
 *   3. start + recreate, together: one `compose up -d --no-deps <new> <linked>…` creates the new
 *                   gateway and recreates each linked gateway with its new peer; every health
 *                   gate (/startupz says started) runs at once, so the wall time is about one
 *                   gateway start and each linked gateway is away for about that long.
 *
 * Why the linked gateways are recreated rather than changed live: OpenClaw 2026.9.6 does hot-apply
 * a new `channels.a2a.peers.<id>` (docs gateway/configuration/hot-reload.md), also from a file
 * included with `$include`, with no failed /healthz probe (scripts/try-openclaw-reload.mjs), and in
 * a container joined to the new link network by `docker network connect` both directions then
 * authenticate, same process (scripts/try-openclaw-live-peer.mjs). But in the
 * compose layout the peer's token is a `${VAR}` of the container's environment (resolved only from
 * the environment of the start), and moving it into an included secrets file needs that 0600 file
 * readable by the image's user (uid 1000, cap_drop ALL), i.e. a chown to uid 1000 that a non-root
 * host user with another uid cannot do; and the link network is part of the linked gateway's compose service, so a live attach would
 * be undone (the container recreated anyway) by the next `up`, rollout, upgrade, rotate or restore
 * unless every one of them re-attached networks compose does not know about. README: how long the
 * hub is away.
 *
 * Rollback (any failure, Ctrl-C not included; also `clawfed abort`): the previous spec text is
 * written back byte for byte, the output regenerated from it (the new tokens forgotten), the new
 * container removed, the linked gateways whose recreation began recreated from the previous files,
 * then the networks and volume the new gateway brought removed (never one that existed before).
 * A new gateway that fails its gate costs the linked gateways a second restart (the price of
 * starting them together).
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { RuntimeError, UsageError } from "../errors.js";
import { addGatewayText, nextPort, type NewGateway } from "../federation/spec-edit.js";
import { loadSpecText } from "../federation/load.js";
import type { TransportName } from "../federation/schema.js";
import type { Federation } from "../federation/normalize.js";
import { mailboxDirs } from "../compile/workspace.js";
import { openFederation, outFlag, type FederationContext } from "./context.js";
import type { ClawfedDeps } from "./deps.js";
import { addedResourceNames, addJournalSteps, bringUp, undoAdd, type AddJournalArgs } from "./add-steps.js";
import { recoveryCommands, startJournal, type JsonValue } from "./journal.js";
import { composeResources, minus, tokenNames, type MemberStart } from "./membership.js";
import { generationImage, regenerate, writeSpecText } from "./regenerate.js";

export interface AddOptions {
  /** Output directory; default out/<name>. */
  outDir?: string;
  role?: "spoke" | "hub";
  /** Gateways linked to the new one (links from each of them to it). */
  links: string[];
  /** Host port, or "auto" (default): the next port spaced like the spec's others and free on this host. */
  port?: number | "auto";
  description?: string;
  /** `provider/model`; default the first linked gateway's model. */
  model?: string;
  /** Transports of the new links; default [a2a]. */
  transports?: TransportName[];
  /** Milliseconds each gateway has to report started. */
  healthTimeoutMs?: number;
  onProgress?: (line: string) => void;
}

/** One step of an add or remove, in order (the list a journal can record). */
export type MemberStep =
  | { kind: "write-spec" }
  | { kind: "generate" }
  | { kind: "start"; id: string }
  | { kind: "recreate"; id: string }
  | { kind: "stop"; id: string }
  | { kind: "backup"; id: string }
  | { kind: "remove-container"; id: string }
  | { kind: "remove-resources"; id: string }
  | { kind: "forget-tokens"; id: string };

/** What `add` will do; computing it changes nothing. */
export interface AddPlan {
  federation: string;
  specFile: string;
  outDir: string;
  gateway: { id: string; role: "spoke" | "hub"; port: number; links: string[] };
  /** Spec text before and after (never secrets: a spec only names variables). */
  before: string;
  after: string;
  /** `.env` variables the new gateway brings (names only). */
  newTokens: string[];
  /** Mailbox route folders the new links bring. */
  newRoutes: string[];
  steps: MemberStep[];
}

/** `add`: the plan, the new gateway's start, each linked gateway's recreation (with how long it was away). */
export interface AddResult {
  ok: boolean;
  federation: string;
  plan: AddPlan;
  started?: MemberStart;
  recreated: MemberStart[];
  /** Set when a step failed and everything was rolled back. */
  rolledBack?: { step: MemberStep; reason: string; problems: string[] };
  gateways: Array<{ id: string }>;
  next?: string;
  ms: number;
}

/** Whether 127.0.0.1:`port` can be bound now (compose publishes on 127.0.0.1). */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen({ port, host: "127.0.0.1", exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** The `.env` names of a model's provider keys among `secrets`: ANTHROPIC_* for anthropic/…, and so on. */
function providerSecrets(models: string[], secrets: readonly string[]): string[] {
  const prefixes = [...new Set(models.map((m) => `${m.split("/")[0]!.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_`))];
  return secrets.filter((s) => prefixes.some((p) => s.startsWith(p)));
}

async function pickPort(fed: Federation, asked: number | "auto" | undefined): Promise<number> {
  if (typeof asked === "number") return asked;
  const ports = fed.gateways.map((g) => g.port);
  for (const busy = new Set<number>(); ; ) {
    const p = nextPort(ports, (q) => busy.has(q));
    if (p === undefined) throw new UsageError("--port auto found no free port after the spec's ports", { hint: "give one: --port <n>" });
    if (await portFree(p)) return p;
    busy.add(p);
  }
}

/**
 * Plan an add: the edited spec (validated by the normal loader), the port, the new tokens, the steps.
 * @throws SpecError when the current or the edited spec is invalid (the message names the edited
 *   key, e.g. a port already used); UsageError for an id that exists or an unknown --link
 */
export async function planAdd(spec: string, id: string, opts: AddOptions): Promise<AddPlan> {
  const ctx = await openFederation(spec, { outDir: opts.outDir });
  const before = await readFile(ctx.loaded.file, "utf8");
  if (ctx.fed.gateways.some((g) => g.id === id)) throw new UsageError(`"${id}" is already a gateway of ${ctx.fed.name}`, { hint: `choose another id, or remove it first: clawfed remove ${spec} ${id}` });
  const unknown = opts.links.filter((l) => !ctx.fed.gateways.some((g) => g.id === l));
  if (opts.links.length === 0 || unknown.length) {
    throw new UsageError(opts.links.length ? `--link names ${unknown.map((u) => `"${u}"`).join(", ")}, not a gateway of ${ctx.fed.name}` : "--link names no gateway", { hint: `use one or more of: ${ctx.fed.gateways.map((g) => g.id).join(", ")}` });
  }
  const first = ctx.fed.gateways.find((g) => g.id === opts.links[0])!;
  const models = opts.model ? [opts.model] : [first.model.primary, ...first.model.fallbacks];
  const port = await pickPort(ctx.fed, opts.port);
  const g: NewGateway = {
    id,
    role: opts.role ?? "spoke",
    port,
    description: opts.description ?? `${id}: added with clawfed add (describe its domain here).`,
    model: opts.model,
    links: opts.links,
    transports: opts.transports,
    secrets: providerSecrets(models, first.secrets),
  };
  const after = addGatewayText(before, g, ctx.loaded.file);
  // Problems are located in the edited text, which is not on disk: say so in the file name.
  const next = await loadSpecText(after, `${ctx.loaded.file} (as add would write it)`);
  const newTokens = minus(tokenNames(next.federation), tokenNames(ctx.fed));
  const newRoutes = minus(mailboxDirs(next.federation), mailboxDirs(ctx.fed));
  const steps: MemberStep[] = [{ kind: "write-spec" }, { kind: "generate" }, { kind: "start", id }, ...opts.links.map((l) => ({ kind: "recreate" as const, id: l }))];
  return { federation: ctx.fed.name, specFile: ctx.loaded.file, outDir: ctx.outDir, gateway: { id, role: g.role, port, links: opts.links }, before, after, newTokens, newRoutes, steps };
}

/**
 * Apply a plan, journaled (see the file comment for the steps and the rollback).
 * @returns ok, or `ok: false` with `rolledBack` naming the failed step (the federation is as before)
 * @throws RuntimeError only when the rollback itself failed (the message lists what is left; the
 *   journal stays, so the next command points at `clawfed abort`)
 */
export async function applyAdd(plan: AddPlan, deps: ClawfedDeps, opts: Pick<AddOptions, "onProgress" | "healthTimeoutMs"> = {}): Promise<AddResult> {
  const t0 = deps.clock.now();
  const say = opts.onProgress ?? (() => undefined);
  const old = await openFederation(plan.specFile, { outDir: plan.outDir });
  await deps.engine.ping();
  const a = await journalArgs(plan, old, deps, opts.healthTimeoutMs);
  const j = await startJournal(old, { operation: "add", args: a as unknown as Record<string, JsonValue>, steps: addJournalSteps(a), wallNow: deps.wallNow });
  const result: AddResult = { ok: false, federation: plan.federation, plan, recreated: [], gateways: [{ id: plan.gateway.id }, ...plan.gateway.links.map((id) => ({ id }))], ms: 0 };
  let step: MemberStep = plan.steps[0]!;
  try {
    say(`writing ${plan.specFile}: gateways.${plan.gateway.id} (port ${plan.gateway.port}) linked to ${plan.gateway.links.join(", ")}`);
    await j.step("write-spec", () => writeSpecText(plan.specFile, plan.after));
    step = { kind: "generate" };
    const gen = await j.step("generate", () => regenerate(old, a.image ?? undefined));
    say(`generated ${gen.written.length} file(s) in ${plan.outDir}`);
    step = { kind: "start", id: plan.gateway.id };
    const up = await bringUp(a, deps, j, say);
    result.started = up.started;
    result.recreated = up.recreated;
    if (up.failed) {
      if (up.failed.id !== plan.gateway.id) step = { kind: "recreate", id: up.failed.id };
      throw new RuntimeError(`${up.failed.id} did not ${up.failed.id === plan.gateway.id ? "start" : "start again"}: ${up.failed.reason}`);
    }
    for (const r of up.recreated) say(`${r.id}: back after ${(r.ms / 1000).toFixed(1)} s`);
    result.ok = true;
    await j.finish();
  } catch (err) {
    const reason = (err as Error).message;
    say(`${step.kind}${"id" in step ? ` ${step.id}` : ""} failed: ${reason}; rolling back`);
    const problems = await undoAdd(a, deps, j.current, say);
    result.rolledBack = { step, reason, problems };
    if (problems.length) {
      const { abort } = recoveryCommands(old);
      throw new RuntimeError(`add of ${plan.gateway.id} failed (${reason}) and the rollback left problems:\n  ${problems.join("\n  ")}`, { next: `fix the cause, then finish the rollback: ${abort}` });
    }
    await j.finish();
    result.next = `clawfed logs ${plan.specFile} ${"id" in step ? step.id : plan.gateway.id}${outFlag(old)}   (nothing changed: fix the cause, then run add again)`;
  }
  result.ms = Math.round(deps.clock.now() - t0);
  return result;
}

/** The journal's args: the plan, the image, and the resources an undo must keep (read from Docker now). */
async function journalArgs(plan: AddPlan, old: FederationContext, deps: ClawfedDeps, healthTimeoutMs: number | undefined): Promise<AddJournalArgs> {
  const declared = await composeResources(old.outDir, old.project.name);
  const names = addedResourceNames(old.fed.name, { id: plan.gateway.id, links: plan.gateway.links });
  const [nets, vols] = await Promise.all([deps.engine.listNetworks(), deps.engine.listVolumes({})]);
  const there = (want: string[], have: Array<{ name: string }>) => want.filter((n) => have.some((h) => h.name === n));
  return {
    id: plan.gateway.id,
    links: plan.gateway.links,
    specFile: plan.specFile,
    outDir: plan.outDir,
    before: plan.before,
    after: plan.after,
    image: (await generationImage(old)) ?? null,
    newTokens: plan.newTokens,
    newRoutes: plan.newRoutes,
    keep: { networks: [...declared.networks, ...there(names.networks, nets)], volumes: [...declared.volumes, ...there(names.volumes, vols)] },
    healthTimeoutMs: healthTimeoutMs ?? null,
  };
}

export { removeGatewayFolders } from "./add-steps.js";
