/**
 * `clawfed add`: one new gateway in a running compose federation. First a plan (pure after the
 * reads: the edited spec text, validated by the normal loader, the port, the new tokens, the
 * steps), then the steps in order, each undone on failure:
 *
 *   1. write-spec   the spec gets `gateways.<id>` and one link per `--link` (yaml Document API)
 *   2. generate     the output folder is regenerated (existing tokens kept, new ones generated)
 *   3. start        `compose up -d --no-deps <service>` of the new gateway only, until /startupz says started
 *   4. recreate     each linked gateway, one at a time, health-gated, so it has the new peer
 *
 * Why linked gateways are recreated rather than hot-reloaded: OpenClaw 2026.9.6 does hot-apply a
 * new `channels.a2a.peers.<id>` and `hooks` changes (docs gateway/configuration/hot-reload.md;
 * tried: "config hot reload applied (channels.a2a.peers.b, hooks.token)", same process, no failed
 * /healthz probe), but in the compose layout the peer's token is a `${VAR}` of the container's
 * environment and the pair shares a link network of its own: both are fixed when the container is
 * created (a token written to <state>/.env after the start stays unresolved after the reload:
 * scripts/try-openclaw-reload.mjs --token-in-state-env), so the linked gateway needs a new
 * container (README: how long the hub is away).
 *
 * Rollback (any failure, Ctrl-C not included): the previous spec text is written back byte for
 * byte, the output regenerated from it (the new tokens forgotten), the new container removed, the
 * linked gateways already recreated recreated again from the previous files, then the networks and
 * volume the new gateway brought removed.
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { RuntimeError, UsageError } from "../errors.js";
import { addGatewayText, nextPort, type NewGateway } from "../federation/spec-edit.js";
import { loadSpecText } from "../federation/load.js";
import type { TransportName } from "../federation/schema.js";
import type { Federation } from "../federation/normalize.js";
import { mailboxDirs } from "../compile/workspace.js";
import { COMMS_DIR, serviceName, workspaceDir } from "../vocabulary/names.js";
import { checkRoot, removeTreeBelow } from "../emit/safe-fs.js";
import { openFederation, outFlag, type FederationContext } from "./context.js";
import type { ClawfedDeps } from "./deps.js";
import { composeResources, minus, removeContainers, tokenNames, upService, type MemberStart } from "./membership.js";
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

/** Where an apply got to: what rollback has to undo. */
interface Progress {
  specWritten: boolean;
  generated: boolean;
  startTried: boolean;
  recreated: string[];
}

/**
 * Apply a plan (see the file comment for the steps and the rollback).
 * @returns ok, or `ok: false` with `rolledBack` naming the failed step (the federation is as before)
 * @throws RuntimeError only when the rollback itself failed (the message lists what is left)
 */
export async function applyAdd(plan: AddPlan, deps: ClawfedDeps, opts: Pick<AddOptions, "onProgress" | "healthTimeoutMs"> = {}): Promise<AddResult> {
  const t0 = deps.clock.now();
  const say = opts.onProgress ?? (() => undefined);
  const old = await openFederation(plan.specFile, { outDir: plan.outDir });
  const image = await generationImage(old);
  const resBefore = await composeResources(old.outDir, old.project.name);
  await deps.engine.ping();
  const p: Progress = { specWritten: false, generated: false, startTried: false, recreated: [] };
  const result: AddResult = { ok: false, federation: plan.federation, plan, recreated: [], gateways: [{ id: plan.gateway.id }, ...plan.gateway.links.map((id) => ({ id }))], ms: 0 };
  let step: MemberStep = plan.steps[0]!;
  try {
    say(`writing ${plan.specFile}: gateways.${plan.gateway.id} (port ${plan.gateway.port}) linked to ${plan.gateway.links.join(", ")}`);
    await writeSpecText(plan.specFile, plan.after);
    p.specWritten = true;
    step = { kind: "generate" };
    const gen = await regenerate(old, image);
    p.generated = true;
    say(`generated ${gen.written.length} file(s) in ${plan.outDir}`);
    const ctx = await openFederation(plan.specFile, { outDir: plan.outDir });
    step = { kind: "start", id: plan.gateway.id };
    say(`starting ${plan.gateway.id} (${serviceName(plan.gateway.id)} only)`);
    p.startTried = true;
    result.started = await upService(ctx, deps, plan.gateway.id, say, opts.healthTimeoutMs);
    if (!result.started.ok) throw new RuntimeError(`${plan.gateway.id} did not start: ${result.started.reason}`);
    for (const peer of plan.gateway.links) {
      step = { kind: "recreate", id: peer };
      say(`recreating ${peer} with its new peer ${plan.gateway.id} (it does not serve until it has started again)`);
      p.recreated.push(peer);
      const r = await upService(ctx, deps, peer, say, opts.healthTimeoutMs);
      result.recreated.push(r);
      if (!r.ok) throw new RuntimeError(`${peer} did not start again: ${r.reason}`);
      say(`${peer}: back after ${(r.ms / 1000).toFixed(1)} s`);
    }
    result.ok = true;
  } catch (err) {
    const reason = (err as Error).message;
    say(`${step.kind}${"id" in step ? ` ${step.id}` : ""} failed: ${reason}; rolling back`);
    const problems = await rollbackAdd(plan, deps, old, image, resBefore, p, say, opts.healthTimeoutMs);
    result.rolledBack = { step, reason, problems };
    if (problems.length) {
      throw new RuntimeError(`add of ${plan.gateway.id} failed (${reason}) and the rollback left problems:\n  ${problems.join("\n  ")}`, { next: `clawfed status ${plan.specFile}${outFlag(old)}` });
    }
    result.next = `clawfed logs ${plan.specFile} ${"id" in step ? step.id : plan.gateway.id}${outFlag(old)}   (nothing changed: fix the cause, then run add again)`;
  }
  result.ms = Math.round(deps.clock.now() - t0);
  return result;
}

/** Undo what `p` says was done, in the order that keeps every running gateway valid; returns what could not be undone. */
async function rollbackAdd(plan: AddPlan, deps: ClawfedDeps, old: FederationContext, image: string | undefined, resBefore: { networks: string[]; volumes: string[] }, p: Progress, say: (l: string) => void, timeoutMs?: number): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      problems.push(`${what}: ${(err as Error).message.split("\n")[0]}`);
    }
  };
  const resAfter = await composeResources(plan.outDir, old.project.name).catch(() => resBefore);
  if (p.specWritten) await attempt(`write back ${plan.specFile}`, () => writeSpecText(plan.specFile, plan.before));
  if (p.generated) await attempt("regenerate from the previous spec", () => regenerate(old, image, { forget: plan.newTokens }));
  const ctx = await openFederation(plan.specFile, { outDir: plan.outDir }).catch(() => old);
  if (p.startTried) await attempt(`remove the container of ${plan.gateway.id}`, () => removeContainers(ctx, deps, plan.gateway.id));
  for (const peer of p.recreated) {
    say(`rollback: recreating ${peer} from the previous files`);
    await attempt(`recreate ${peer}`, async () => {
      const r = await upService(ctx, deps, peer, say, timeoutMs);
      if (!r.ok) throw new Error(r.reason);
    });
  }
  for (const n of minus(resAfter.networks, resBefore.networks)) await attempt(`remove network ${n}`, () => deps.engine.removeNetwork(n));
  for (const v of minus(resAfter.volumes, resBefore.volumes)) await attempt(`remove volume ${v}`, () => deps.engine.removeVolume(v));
  await attempt("remove the new gateway's folders", () => removeGatewayFolders(plan.outDir, plan.gateway.id, plan.newRoutes, old.fed.comms));
  return problems;
}

/**
 * Remove a gateway's workspace folder (unless `id` is undefined) and the given mailbox route folders from the output (files
 * the gateway wrote there are not in the writer's manifest, so regenerating leaves them).
 */
export async function removeGatewayFolders(outDir: string, id: string | undefined, routes: string[], comms?: Federation["comms"]): Promise<string[]> {
  const root = await checkRoot(outDir);
  const removed: string[] = [];
  if (id !== undefined && (await removeTreeBelow(root, workspaceDir(id)))) removed.push(workspaceDir(id));
  for (const r of routes) {
    const base = comms?.hostPath ? await checkRoot(comms.hostPath, "mailbox folder") : root;
    const rel = comms?.hostPath ? r : `${COMMS_DIR}/${r}`;
    if (await removeTreeBelow(base, rel)) removed.push(comms?.hostPath ? `${comms.hostPath}/${r}` : rel);
  }
  return removed;
}
