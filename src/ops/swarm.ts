/**
 * Use cases of the swarm target: `up`, `down` and `logs` of a federation run as a Docker Swarm
 * stack through the Engine API (status: ./swarm-status.ts). Every object clawfed creates carries
 * the ownership labels (ai.clawfed.federation, ai.clawfed.managed) and Docker's stack label
 * (com.docker.stack.namespace = federation name), and is named `<federation>_<key>` like
 * `docker stack deploy` names them, so `docker stack ps|services|rm <federation>` work too, and
 * clawfed acts only on objects carrying all three.
 *
 * Plan, then apply: `up` checks everything it can (Swarm manager, filled-in secrets, node labels,
 * rotated secrets) before it creates the first object.
 */
import { createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { serviceName } from "../vocabulary/names.js";
import { LABELS } from "../vocabulary/labels.js";
import { RuntimeError } from "../errors.js";
import { generate, withImage } from "./generate.js";
import type { Clock } from "../runtime/clock.js";
import { formatMs } from "../runtime/clock.js";
import { openFederation, outFlag, pickGateways, type FederationContext } from "./context.js";
import type { Engine, Labels } from "../runtime/docker/types.js";
import type { HttpGet } from "../runtime/health.js";
import { StreamRedactor } from "../runtime/redact.js";
import type { LogSink, LogsOptions } from "./logs.js";
import { networkCreates, serviceSpec } from "../targets/swarm/service-spec.js";
import type { SwarmEngine } from "../runtime/swarm/types.js";
import { compileSwarm, DIGEST_KEY_ENV, STACK_FILE } from "../targets/swarm/index.js";
import { nodeLabel, STACK_NAMESPACE_LABEL, stackResource, type SwarmStack } from "../targets/swarm/model.js";
import { waitStarted } from "./swarm-status.js";

export interface SwarmDeps {
  swarm: SwarmEngine;
  /** Containers and volumes (down --volumes removes state volumes on this node). */
  engine: Engine;
  get: HttpGet;
  clock: Clock;
}

/** Milliseconds every gateway has to reach `started` (three start at once on 2 busy cores). */
export const SWARM_UP_TIMEOUT_MS = 300_000;
/** Milliseconds `down` waits for tasks to go before it removes networks and secrets. */
export const SWARM_DOWN_TIMEOUT_MS = 120_000;
/** Label on each secret: HMAC-SHA256 of its value under the federation's digest key (see DIGEST_KEY_ENV). */
export const DIGEST_LABEL = "ai.clawfed.digest";

/** Labels every object of the stack of federation `fed` carries. */
export function ownership(fed: string): Labels {
  return { [LABELS.federation]: fed, [LABELS.managed]: "true", [STACK_NAMESPACE_LABEL]: fed };
}

/** Hex HMAC-SHA256 of a secret value (first 32 hex digits): reveals nothing without the key in .env. */
export function secretDigest(key: string, value: string): string {
  return createHmac("sha256", key).update(value, "utf8").digest("hex").slice(0, 32);
}

export interface SwarmUpOptions {
  outDir?: string;
  image?: string;
  timeoutMs?: number;
  force?: boolean;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

export interface SwarmGatewayUp {
  id: string;
  ok: boolean;
  ms: number;
  reason: string;
  service: string;
}

export interface SwarmUpResult {
  federation: string;
  outDir: string;
  ok: boolean;
  generated: string[];
  created: { networks: string[]; secrets: string[]; services: string[]; nodeLabels: string[] };
  updated: string[];
  ms: number;
  gateways: SwarmGatewayUp[];
  next?: string;
}


/** Default image of the last generation (stack.yml), so `up` without --image keeps it. */
async function previousImage(ctx: FederationContext): Promise<string | undefined> {
  if (ctx.loaded.spec.openclaw.image) return undefined;
  try {
    const doc = parseYaml(await readFile(path.join(ctx.outDir, STACK_FILE), "utf8")) as { services?: Record<string, { image?: string }> };
    const own = Object.entries(ctx.loaded.spec.gateways).filter(([, g]) => !g.image).map(([id]) => doc.services?.[serviceName(id)]?.image);
    const set = new Set(own.filter((x): x is string => typeof x === "string"));
    return set.size === 1 ? [...set][0] : undefined;
  } catch {
    return undefined;
  }
}

interface Plan {
  stack: SwarmStack;
  labelNode?: { id: string; hostname: string; labels: Labels };
  /** Secret key → existing id (kept). */
  keep: Record<string, string>;
  create: Array<{ key: string; name: string; value: string; labels: Labels }>;
}

/** Everything `up` checks before it touches the swarm. @throws RuntimeError listing every problem. */
async function plan(ctx: FederationContext, stack: SwarmStack, deps: SwarmDeps): Promise<Plan> {
  const info = await deps.swarm.info();
  const spec = ctx.loaded.file;
  if (info.state !== "active" || !info.manager) {
    throw new RuntimeError(`this Docker Engine is ${info.state === "active" ? "a Swarm worker, not a manager" : `not in a swarm (state: ${info.state})`}`, {
      next: `docker swarm init --advertise-addr <this node's address>, then: clawfed up ${spec} --target swarm${outFlag(ctx)}`,
    });
  }
  const problems: string[] = [];
  const missing = stack.secrets.filter((s) => !ctx.env[s.key]);
  if (missing.length) problems.push(`${ctx.outDir}/.env: fill in ${missing.map((s) => s.key).join(", ")} (Docker secrets cannot be empty)`);
  const key = ctx.env[DIGEST_KEY_ENV];
  if (!key) problems.push(`${ctx.outDir}/.env has no ${DIGEST_KEY_ENV} (regenerate: clawfed generate ${spec} --target swarm${outFlag(ctx)})`);

  const nodes = await deps.swarm.nodes();
  const unplaced = ctx.fed.gateways.filter((g) => !nodes.some((n) => n.labels[nodeLabel(ctx.fed.name, g.id)] === "true"));
  let labelNode: Plan["labelNode"];
  if (unplaced.length && nodes.length === 1) {
    labelNode = { id: nodes[0]!.id, hostname: nodes[0]!.hostname, labels: Object.fromEntries(unplaced.map((g) => [nodeLabel(ctx.fed.name, g.id), "true"])) };
  } else if (unplaced.length) {
    problems.push(
      `no node is labelled for ${unplaced.map((g) => g.id).join(", ")} (the node that holds a gateway's state): ` +
        unplaced.map((g) => `docker node update --label-add ${nodeLabel(ctx.fed.name, g.id)}=true <node>`).join("; "),
    );
  }

  const existing = await deps.swarm.secrets(ownership(ctx.fed.name));
  const keepIds: Record<string, string> = {};
  const create: Plan["create"] = [];
  for (const s of stack.secrets) {
    const value = ctx.env[s.key];
    if (!value || !key) continue;
    const digest = secretDigest(key, value);
    const have = existing.find((e) => e.name === s.name);
    if (!have) create.push({ key: s.key, name: s.name, value, labels: { ...s.labels, [DIGEST_LABEL]: digest } });
    // Created by hand (README) without a digest: its value cannot be checked, it is kept.
    else if (have.labels[DIGEST_LABEL] === digest || have.labels[DIGEST_LABEL] === undefined) keepIds[s.key] = have.id;
    else problems.push(`the Docker secret ${s.name} holds another value than ${s.key} in .env (rotated?): Docker secrets cannot change; run clawfed down ${spec} --target swarm${outFlag(ctx)}, then up (state volumes are kept)`);
  }
  if (problems.length) throw new RuntimeError(`cannot start ${ctx.fed.name} on Swarm:\n  ${problems.join("\n  ")}`, { next: `fix the above, then: clawfed up ${spec} --target swarm${outFlag(ctx)}` });
  return { stack, labelNode, keep: keepIds, create };
}

/**
 * Generate for the swarm target, create or update the stack's networks, secrets and services, and
 * wait until every gateway reports `started` on its published port.
 * @throws SpecError (invalid spec), UsageError (bad --image), RuntimeError (not a Swarm manager,
 *   empty secrets, unplaced gateways on a multi-node swarm, a rotated secret, an engine failure).
 */
export async function swarmUp(spec: string, deps: SwarmDeps, opts: SwarmUpOptions = {}): Promise<SwarmUpResult> {
  const t0 = deps.clock.now();
  const say = opts.onProgress ?? (() => undefined);
  const first = await openFederation(spec, { outDir: opts.outDir });
  const image = opts.image ?? (await previousImage(first));
  const gen = await generate({ spec, outDir: first.outDir, target: "swarm", image, force: opts.force });
  if (gen.written.length) say(`generated ${gen.written.length} file(s) in ${gen.outDir}`);
  for (const w of gen.warnings) say(`warning: ${w}`);
  const ctx = await openFederation(spec, { outDir: opts.outDir });
  const { stack } = compileSwarm(withImage(ctx.fed, image));
  const p = await plan(ctx, stack, deps);
  const own = ownership(ctx.fed.name);
  const created: SwarmUpResult["created"] = { networks: [], secrets: [], services: [], nodeLabels: [] };

  if (p.labelNode) {
    await deps.swarm.labelNode(p.labelNode.id, p.labelNode.labels);
    created.nodeLabels.push(...Object.keys(p.labelNode.labels));
    say(`labelled the only node (${p.labelNode.hostname}) ${Object.keys(p.labelNode.labels).map((l) => `${l}=true`).join(", ")}`);
  }
  const nets = await deps.swarm.networks(own);
  const networkIds: Record<string, string> = {};
  for (const [i, n] of networkCreates(stack).entries()) {
    const key = stack.networks[i]!.key;
    const have = nets.find((x) => x.name === n.name);
    if (have) networkIds[key] = have.id;
    else {
      networkIds[key] = await deps.swarm.createNetwork(n);
      created.networks.push(n.name);
    }
  }
  if (created.networks.length) say(`created ${created.networks.length} overlay network(s)`);
  const secretIds: Record<string, string> = { ...p.keep };
  for (const s of p.create) {
    secretIds[s.key] = await deps.swarm.createSecret(s.name, s.value, s.labels);
    created.secrets.push(s.name);
  }
  if (created.secrets.length) say(`created ${created.secrets.length} Docker secret(s)`);

  const services = await deps.swarm.services(own);
  const updated: string[] = [];
  for (const svc of stack.services) {
    const body = serviceSpec(stack, svc, { outDir: ctx.outDir, dockerGid: ctx.env.CLAWFED_DOCKER_GID, secretIds, networkIds });
    const have = services.find((s) => s.name === body.Name);
    if (have) {
      await deps.swarm.updateService(have.id, have.version, body);
      updated.push(body.Name!);
    } else {
      await deps.swarm.createService(body);
      created.services.push(body.Name!);
    }
  }
  say(`services: ${created.services.length} created, ${updated.length} updated; waiting for the gateways`);

  const tWait = deps.clock.now();
  const timeoutMs = opts.timeoutMs ?? SWARM_UP_TIMEOUT_MS;
  const gateways = await Promise.all(
    ctx.fed.gateways.map(async (g): Promise<SwarmGatewayUp> => {
      const name = stackResource(ctx.fed.name, serviceName(g.id));
      const res = await waitStarted(deps, { federation: ctx.fed.name, gateway: g.id, port: g.port, timeoutMs, signal: opts.signal, onChange: (l) => say(`${g.id}: ${l} (${formatMs(deps.clock.now() - tWait)})`) });
      return { id: g.id, ok: res.ok, ms: Math.round(res.ms), reason: res.reason, service: name };
    }),
  );
  const failed = gateways.filter((g) => !g.ok);
  const result: SwarmUpResult = { federation: ctx.fed.name, outDir: ctx.outDir, ok: !failed.length, generated: gen.written, created, updated, ms: Math.round(deps.clock.now() - t0), gateways };
  if (failed.length) result.next = `clawfed logs ${spec} ${failed[0]!.id} --target swarm${outFlag(ctx)}   (then: clawfed status ${spec} --target swarm${outFlag(ctx)})`;
  return result;
}

export interface SwarmDownResult {
  federation: string;
  services: string[];
  networks: string[];
  secrets: string[];
  volumes: string[];
}

async function retry<T>(deps: SwarmDeps, deadline: number, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      // Networks and secrets stay "in use" until the removed services' tasks are gone.
      if (deps.clock.now() > deadline || !/in use|has active endpoints/i.test((err as Error).message)) throw err;
      await deps.clock.sleep(1_000);
    }
  }
}

/**
 * Remove the stack's services, then its networks and secrets (and with `volumes`, its state
 * volumes on this node): only objects carrying the federation's ownership and stack labels.
 * Node labels are kept (they say where the state lives).
 */
export async function swarmDown(ctx: FederationContext, deps: SwarmDeps, opts: { volumes?: boolean; onProgress?: (l: string) => void } = {}): Promise<SwarmDownResult> {
  const say = opts.onProgress ?? (() => undefined);
  const own = ownership(ctx.fed.name);
  const res: SwarmDownResult = { federation: ctx.fed.name, services: [], networks: [], secrets: [], volumes: [] };
  const info = await deps.swarm.info();
  if (info.state !== "active" || !info.manager) return res;
  const services = await deps.swarm.services(own);
  for (const s of services) {
    await deps.swarm.removeService(s.id);
    res.services.push(s.name);
  }
  if (services.length) say(`removed ${services.length} service(s); waiting for their tasks to stop`);
  const deadline = deps.clock.now() + SWARM_DOWN_TIMEOUT_MS;
  for (const n of await deps.swarm.networks(own)) {
    await retry(deps, deadline, () => deps.swarm.removeNetwork(n.id));
    res.networks.push(n.name);
  }
  for (const s of await deps.swarm.secrets(own)) {
    await retry(deps, deadline, () => deps.swarm.removeSecret(s.id));
    res.secrets.push(s.name);
  }
  // Swarm removes networks asynchronously: wait until they are gone, so a following `up` can recreate them.
  while ((await deps.swarm.networks(own)).length && deps.clock.now() < deadline) await deps.clock.sleep(500);
  if (opts.volumes) {
    for (const v of await deps.engine.listVolumes(own)) {
      await retry(deps, deadline, () => deps.engine.removeVolume(v.name));
      res.volumes.push(v.name);
    }
  }
  return res;
}

/** Stream a gateway's service logs (every task) with every secret of .env replaced by <redacted>. */
export async function swarmLogs(ctx: FederationContext, deps: Pick<SwarmDeps, "swarm">, id: string, sink: LogSink, opts: LogsOptions = {}): Promise<{ service: string }> {
  pickGateways(ctx.fed, [id], "<gateway>");
  const svc = (await deps.swarm.services({ ...ownership(ctx.fed.name), [LABELS.gateway]: id }))[0];
  if (!svc) throw new RuntimeError(`gateway ${id} of ${ctx.fed.name} has no Swarm service`, { next: `clawfed up ${ctx.loaded.file} --target swarm${outFlag(ctx)}` });
  const secrets = ctx.secrets;
  const red = { stdout: new StreamRedactor(secrets), stderr: new StreamRedactor(secrets) };
  const dec = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const sinceS = opts.sinceMs !== undefined ? Math.floor((Date.now() - opts.sinceMs) / 1000) : undefined;
  for await (const c of deps.swarm.serviceLogs(svc.id, { follow: Boolean(opts.follow), tail: opts.tail, sinceS, timestamps: opts.timestamps, signal: opts.signal })) {
    const text = red[c.stream].push(dec[c.stream].decode(c.data, { stream: true }));
    if (text) sink[c.stream](text);
  }
  for (const s of ["stdout", "stderr"] as const) {
    const rest = red[s].push(dec[s].decode()) + red[s].end();
    if (rest) sink[s](rest);
  }
  return { service: svc.name };
}
