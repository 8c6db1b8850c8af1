/**
 * The Swarm target's typed model: one stack per federation, built purely from the normalized
 * federation (no fs, env, clock or randomness). Two serializers read it: the stack file
 * (./stack.ts, for `docker stack deploy`) and the Engine API service specs
 * (./service-spec.ts, for `clawfed up --target swarm`), so both deploy the same thing.
 *
 * Choices (README "Docker Swarm"):
 * - one service per gateway, 1 replica, at most 1 per node, `stop-first` updates and rollbacks: a
 *   gateway is the single writer of its state (facts §1.2), two tasks must never overlap;
 * - placement pinned by a node label per gateway (`ai.clawfed.state.<fed>.<id>=true`) to the node
 *   that holds its state volume;
 * - every token and user secret is a Docker secret mounted at `/run/secrets/<VAR>` (0400, uid
 *   1000); a small `sh` entrypoint exports those files as environment variables of the gateway
 *   process at start and `exec`s it, so the `${VAR}` references of openclaw.json resolve as with
 *   compose, while no value is in the service spec, the task container's config or the stack file.
 *   (OpenClaw's file SecretRefs cover gateway.auth.token and channel tokens, but not hooks.token,
 *   the A2A peer tokens or skill env, docs reference/secretref-credential-surface.md.)
 * - one overlay network per link (internal, encrypted) and one egress overlay per gateway;
 *   `endpoint_mode: dnsrr` (service names resolve to task addresses; the VIP mode needs IPVS);
 * - the gateway port published in `mode: host` on the node running the task. Swarm has no host IP
 *   for published ports: the port listens on every interface of that node.
 */
import type { Federation, GatewayModel } from "../../federation/normalize.js";
import { CONTAINER_COMMS_DIR, CONTAINER_CONFIG_DIR, CONTAINER_PORT, CONTAINER_STATE_DIR, CONTAINER_WORKSPACE_DIR, COMMS_DIR, configDir, egressNetwork, linkNetwork, routeDir, serviceName, stateDir, stateVolume, workspaceDir } from "../../vocabulary/names.js";
import { LABELS } from "../../vocabulary/labels.js";
import { containerCompileCacheDir } from "../../vocabulary/compile-cache.js";
import type { EnvSlot } from "../../compile/artifact.js";
import { envFor } from "../../vocabulary/env-plan.js";
import { DOCKER_SOCKET, HEALTHCHECK_SCRIPT } from "../compose/index.js";
import { CONTAINER_PLUGIN_DIR, PLUGIN_OUT_DIR, usesDelegatePlugin } from "../../compile/delegation.js";

/** Label Docker's own `docker stack` commands use to find a stack's objects. */
export const STACK_NAMESPACE_LABEL = "com.docker.stack.namespace";
/** Where Swarm mounts secrets in a task container (Docker docs, "Manage sensitive data with Docker secrets"). */
export const SECRETS_DIR = "/run/secrets";
/** uid/gid of `node` in the OpenClaw image (facts §5.1): the owner of the mounted secret files. */
export const SECRET_UID = "1000";
/** Mode of a mounted secret file: readable by the gateway user only. */
export const SECRET_MODE = 0o400;

/**
 * The gateway's command: export every `/run/secrets/<VAR>` file (names like env vars only) as
 * `VAR`, then `exec` the gateway (same process, signals reach it). `$(cat …)` drops trailing
 * newlines, as a value never ends in one. Runs under the image's entrypoint (tini).
 */
export const ENTRYPOINT_SCRIPT =
  `for f in ${SECRETS_DIR}/*; do [ -f "$f" ] || continue; n="\${f##*/}"; ` +
  `case "$n" in [A-Z]*) ;; *) continue ;; esac; case "$n" in *[!A-Z0-9_]*) continue ;; esac; ` +
  `export "$n=$(cat "$f")"; done; exec node dist/index.js gateway --port ${CONTAINER_PORT}`;

/** Seconds. Swarm update/rollback/restart timings, named so README and tests agree. */
export const TIMINGS = {
  stopGraceS: 30,
  /** After each updated task, watch it this long for a failure before calling the update done. */
  monitorS: 60,
  restartDelayS: 10,
  restartMaxAttempts: 5,
  restartWindowS: 300,
  healthIntervalS: 10,
  healthTimeoutS: 5,
  healthRetries: 3,
  healthStartPeriodS: 180,
} as const;

export type SwarmMount =
  | { type: "volume"; /** key in the stack's volumes */ source: string; target: string; readOnly: boolean }
  | { type: "bind"; /** relative to the output folder (starts with ./) or absolute */ source: string; target: string; readOnly: boolean };

export interface SwarmSecretRef {
  /** Env variable name, also the file name under /run/secrets and the stack's secret key. */
  env: string;
}

export interface SwarmService {
  gateway: string;
  /** Key in the stack file; Docker names the service `<stack>_<key>` and gives it the key as a network alias. */
  key: string;
  image: string;
  /** Host name inside every task container: the gateway id (see the compose target: OpenClaw's owner lease). */
  hostname: string;
  command: string[];
  /** Non-secret environment only. */
  env: Record<string, string>;
  secrets: SwarmSecretRef[];
  /** Needs the Docker socket's group (sandboxed gateways); resolved from .env's CLAWFED_DOCKER_GID. */
  dockerGroup: boolean;
  mounts: SwarmMount[];
  /** Keys of the stack's networks, sorted. */
  networks: string[];
  /** Port published in host mode on the task's node. */
  publishedPort: number;
  /** Labels of the service (deploy.labels). */
  serviceLabels: Record<string, string>;
  /** Labels of its task containers. */
  containerLabels: Record<string, string>;
  /** Placement constraints. */
  constraints: string[];
  resources: { cpus: number; memoryBytes: number; pids: number };
}

export interface SwarmNetwork {
  key: string;
  internal: boolean;
  encrypted: boolean;
  labels: Record<string, string>;
}

export interface SwarmSecret {
  /** Env variable name (stack key). */
  key: string;
  /** Docker object name: `<stack>_<VAR>`. */
  name: string;
  /** Gateways that mount it. */
  consumers: string[];
  kind: EnvSlot["kind"];
  labels: Record<string, string>;
}

export interface SwarmStack {
  /** Stack name: the federation name. */
  name: string;
  services: SwarmService[];
  networks: SwarmNetwork[];
  secrets: SwarmSecret[];
  /** Named state volumes (key → labels). */
  volumes: Array<{ key: string; labels: Record<string, string> }>;
}

/** Docker name of a stack-scoped object: `<stack>_<key>` (what `docker stack deploy` does; ids hold no `_`). */
export function stackResource(stack: string, key: string): string {
  return `${stack}_${key}`;
}

/** Node label that pins gateway `id` of federation `fed` (ids hold no `.`, so the key is injective). */
export function nodeLabel(fed: string, id: string): string {
  return `ai.clawfed.state.${fed}.${id}`;
}

/** The placement constraint built on {@link nodeLabel}. */
export function placementConstraint(fed: string, id: string): string {
  return `node.labels.${nodeLabel(fed, id)}==true`;
}

/** `2g` / `1536m` / `512k` (validated by memoryProblem in federation/schema.ts) → bytes. */
export function memoryBytes(size: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg])$/i.exec(size);
  if (!m) throw new Error(`not a memory size: ${size}`);
  const unit = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as "k" | "m" | "g"];
  return Math.round(Number(m[1]) * unit);
}

function labels(fed: Federation, extra: Record<string, string>): Record<string, string> {
  return { [LABELS.federation]: fed.name, [LABELS.managed]: "true", [STACK_NAMESPACE_LABEL]: fed.name, ...extra };
}

function commsHost(fed: Federation, route: string): string {
  return fed.comms.hostPath ? `${fed.comms.hostPath}/${route}` : `./${COMMS_DIR}/${route}`;
}

function mounts(fed: Federation, g: GatewayModel): SwarmMount[] {
  const out: SwarmMount[] = [];
  out.push(
    g.sandboxed
      ? { type: "bind", source: `./${stateDir(g.id)}`, target: CONTAINER_STATE_DIR, readOnly: false }
      : { type: "volume", source: stateVolume(g.id), target: CONTAINER_STATE_DIR, readOnly: false },
  );
  out.push({ type: "bind", source: `./${workspaceDir(g.id)}`, target: CONTAINER_WORKSPACE_DIR, readOnly: false });
  out.push({ type: "bind", source: `./${configDir(g.id)}`, target: CONTAINER_CONFIG_DIR, readOnly: true });
  for (const k of g.knowledge) out.push({ type: "bind", source: k.hostPath, target: k.mountPath, readOnly: true });
  for (const r of fed.routes) {
    if (!r.transports.includes("mailbox") || (r.from !== g.id && r.to !== g.id)) continue;
    const route = routeDir(r.from, r.to);
    out.push({ type: "bind", source: commsHost(fed, route), target: `${CONTAINER_COMMS_DIR}/${route}`, readOnly: false });
  }
  // The federation-delegate plugin, read-only at the path compose uses (same openclaw.json).
  if (usesDelegatePlugin(g)) out.push({ type: "bind", source: `./${PLUGIN_OUT_DIR}`, target: CONTAINER_PLUGIN_DIR, readOnly: true });
  if (g.sandboxed) out.push({ type: "bind", source: DOCKER_SOCKET, target: DOCKER_SOCKET, readOnly: false });
  return out;
}

function service(fed: Federation, g: GatewayModel, env: EnvSlot[]): SwarmService {
  const own = { [LABELS.gateway]: g.id, [LABELS.role]: g.role };
  return {
    gateway: g.id,
    key: serviceName(g.id),
    image: g.image,
    hostname: g.id,
    command: ["sh", "-c", ENTRYPOINT_SCRIPT],
    env: {
      OPENCLAW_STATE_DIR: CONTAINER_STATE_DIR,
      OPENCLAW_CONFIG_PATH: `${CONTAINER_CONFIG_DIR}/openclaw.json`,
      OPENCLAW_CONFIG_READONLY: "1",
      OPENCLAW_NO_AUTO_UPDATE: "1",
      NODE_COMPILE_CACHE: containerCompileCacheDir(g.image),
    },
    secrets: envFor(env.filter((s) => s.kind === "token" || s.kind === "user"), g.id).map((name) => ({ env: name })),
    dockerGroup: g.sandboxed,
    mounts: mounts(fed, g),
    networks: [...new Set([egressNetwork(g.id), ...g.outbound.concat(g.inbound).map((r) => linkNetwork(r.from, r.to))])].sort(),
    publishedPort: g.port,
    serviceLabels: labels(fed, own),
    containerLabels: labels(fed, own),
    constraints: [placementConstraint(fed.name, g.id)],
    resources: { cpus: g.resources.cpus, memoryBytes: memoryBytes(g.resources.memory), pids: g.resources.pids },
  };
}

/** The stack of a federation (pure). `env` is the federation's .env plan (planEnv). */
export function swarmStack(fed: Federation, env: EnvSlot[]): SwarmStack {
  const services = fed.gateways.map((g) => service(fed, g, env));
  const networks: SwarmNetwork[] = [
    ...fed.gateways.map((g) => ({ key: egressNetwork(g.id), internal: false, encrypted: false, labels: labels(fed, { [LABELS.gateway]: g.id, [LABELS.kind]: "egress" }) })),
    ...fed.pairs.map(([a, b]) => ({ key: linkNetwork(a, b), internal: true, encrypted: true, labels: labels(fed, { [LABELS.kind]: "link" }) })),
  ];
  const secrets: SwarmSecret[] = env
    .filter((s) => (s.kind === "token" || s.kind === "user") && s.consumers.length > 0)
    .map((s) => ({ key: s.name, name: stackResource(fed.name, s.name), consumers: s.consumers, kind: s.kind, labels: labels(fed, { [LABELS.kind]: "secret" }) }));
  const volumes = fed.gateways
    .filter((g) => !g.sandboxed)
    .map((g) => ({ key: stateVolume(g.id), labels: labels(fed, { [LABELS.gateway]: g.id, [LABELS.kind]: "state" }) }));
  return { name: fed.name, services, networks, secrets, volumes };
}
