/**
 * The compose target: `docker-compose.yml` (Compose Specification, accepted by compose v2 and by
 * docker-compose v1.29), one `openclaw.json` per gateway, workspaces, mailbox folders, README.
 *
 * Layout per gateway (facts §1.5, §5):
 * - container port 18789, published only on 127.0.0.1:<port>; `gateway.bind: lan` inside;
 * - state in a named volume at /home/node/.openclaw (a bind mount `state/<id>` for sandboxed
 *   gateways, since sibling sandbox containers cannot mount named volumes, facts §5.5);
 * - the workspace as a bind mount at /home/node/.openclaw/workspace;
 * - the config directory `gateways/<id>/` bind-mounted read-only at /etc/clawfed with
 *   `OPENCLAW_CONFIG_PATH` pointing into it and `OPENCLAW_CONFIG_READONLY=1`: OpenClaw replaces
 *   its config by atomic rename (so a single-file bind mount would break) and must never rewrite
 *   what the spec owns; regenerating replaces the file on the host and the gateway hot-reloads it;
 * - one internal network per link (only the two linked gateways share it, so nobody else can
 *   resolve or reach them) and one egress network per gateway (model providers, published port).
 *   Egress networks are not merged into one with inter-container traffic disabled: gateways on a
 *   shared network still resolve each other's names through Docker's DNS. Every network gets an
 *   explicit /29 from `network.pool` (vocabulary/subnets.ts), so a host is not limited to the ~30
 *   networks of Docker's default address pools.
 */
import { routesOf, type Federation, type GatewayModel } from "../../federation/normalize.js";
import { toJson, toYaml } from "../../render/serialize.js";
import { dir, file, type Artifact, type CompileResult } from "../../compile/artifact.js";
import { envFor, planEnv } from "../../vocabulary/env-plan.js";
import { containerCompileCacheDir } from "../../vocabulary/compile-cache.js";
import {
  CONTAINER_COMMS_DIR,
  CONTAINER_CONFIG_DIR,
  CONTAINER_PORT,
  CONTAINER_STATE_DIR,
  CONTAINER_WORKSPACE_DIR,
  COMMS_DIR,
  configDir,
  egressNetwork,
  generatedHeader,
  linkNetwork,
  routeDir,
  serviceName,
  stateDir,
  stateVolume,
  workspaceDir,
} from "../../vocabulary/names.js";
import { LABELS } from "../../vocabulary/labels.js";
import { allocateSubnets, cidr, parseCidr, type Cidr } from "../../vocabulary/subnets.js";
import { buildOpenclawConfig, usesHostGateway, type Placement } from "../../compile/openclaw-config.js";
import { CONTAINER_PLUGIN_DIR, PLUGIN_OUT_DIR, pluginArtifacts, usesDelegatePlugin } from "../../compile/delegation.js";
import { HOST_GATEWAY_NAME } from "../../federation/schema.js";
import { federationReadme, mailboxDirs, workspaceArtifacts, type WorkspaceView } from "../../compile/workspace.js";
import type { Healthcheck, Network, Service, Volume } from "./compose-spec.js";
import { composeRef, renderCompose, type ComposeModel, type ComposeRef, type WithRefs } from "./interpolation.js";

/**
 * A clean stop takes well under a second (facts A.5); a gateway whose Telegram channel cannot reach
 * Telegram ignores SIGTERM until killed, so a long grace period only slows every `down`. (Measured
 * with OpenClaw's own 330 s: such a shutdown hung 328 s, until OpenClaw's forced exit, and left its
 * owner lease behind all the same; what lets the next container start is `hostname` below.)
 */
const STOP_GRACE = "30s";
/** The Docker socket a sandboxed gateway needs for its sibling sandbox containers. */
export const DOCKER_SOCKET = "/var/run/docker.sock";

/**
 * Healthcheck: /healthz must answer the JSON `{"ok":true,"status":"live"}`; unknown paths return
 * 200 HTML, so the status code alone proves nothing (facts §4). No `$` (compose interpolates it).
 */
export const HEALTHCHECK_SCRIPT =
  `fetch('http://127.0.0.1:${CONTAINER_PORT}/healthz').then((r) => r.json())` +
  `.then((b) => process.exit(b.ok === true && b.status === 'live' ? 0 : 1), () => process.exit(1))`;

/** The healthcheck of every gateway service (timings: OpenClaw starts in well under 180 s). */
const HEALTHCHECK: Healthcheck = {
  test: ["CMD", "node", "-e", HEALTHCHECK_SCRIPT],
  interval: "10s",
  timeout: "5s",
  retries: 3,
  start_period: "180s",
};

export const containerView: WorkspaceView = {
  peerBaseUrl: (id) => `http://${serviceName(id)}:${CONTAINER_PORT}`,
  routePath: (from, to) => `${CONTAINER_COMMS_DIR}/${routeDir(from, to)}`,
  knowledgePath: () => "",
};

/**
 * A gateway's openclaw.json and workspace as a container sees them (peers by service name, the
 * plugin and mailboxes at their container paths): the same files for compose and swarm.
 */
export function containerGatewayFiles(fed: Federation, g: Federation["gateways"][number], header: string): Artifact[] {
  const placement: Placement = {
    bind: "lan",
    port: CONTAINER_PORT,
    publishedPort: g.port,
    peerBaseUrl: containerView.peerBaseUrl,
    knowledgePath: (name) => fed.knowledge.find((k) => k.name === name)!.mountPath,
    plugin: { pluginPath: CONTAINER_PLUGIN_DIR, selfUrl: `http://127.0.0.1:${CONTAINER_PORT}/a2a/v1`, routePath: containerView.routePath },
  };
  return [
    dir(configDir(g.id)),
    file(`${configDir(g.id)}/openclaw.json`, toJson(buildOpenclawConfig(fed, g, placement), header)),
    ...workspaceArtifacts(fed, g, { ...containerView, knowledgePath: placement.knowledgePath }, workspaceDir(g.id)),
  ];
}

/** A service as clawfed builds it: Compose Specification types, `${VAR}` references as ComposeRef. */
type ComposeService = WithRefs<Service>;

function labels(fed: Federation, extra: Record<string, string>): Record<string, string> {
  return { [LABELS.federation]: fed.name, [LABELS.managed]: "true", ...extra };
}

/** Host side of the mailbox folder of one route: absolute spec path, or ./comms in the output. */
function commsHost(fed: Federation, route: string): string {
  return fed.comms.hostPath ? `${fed.comms.hostPath}/${route}` : `./${COMMS_DIR}/${route}`;
}

/**
 * One gateway's service. Plain strings reach compose literally (escapeCompose doubles their `$`);
 * the `${VAR}` references clawfed means are ComposeRef values.
 */
function service(fed: Federation, g: GatewayModel, envNames: string[]): ComposeService {
  const volumes: string[] = [];
  volumes.push(g.sandboxed ? `./${stateDir(g.id)}:${CONTAINER_STATE_DIR}` : `${stateVolume(g.id)}:${CONTAINER_STATE_DIR}`);
  volumes.push(`./${workspaceDir(g.id)}:${CONTAINER_WORKSPACE_DIR}`);
  volumes.push(`./${configDir(g.id)}:${CONTAINER_CONFIG_DIR}:ro`);
  for (const k of g.knowledge) volumes.push(`${k.hostPath}:${k.mountPath}:ro`);
  for (const r of routesOf(g)) {
    if (!r.transports.includes("mailbox")) continue;
    const route = routeDir(r.from, r.to);
    volumes.push(`${commsHost(fed, route)}:${CONTAINER_COMMS_DIR}/${route}`);
  }
  if (usesDelegatePlugin(g)) volumes.push(`./${PLUGIN_OUT_DIR}:${CONTAINER_PLUGIN_DIR}:ro`);
  if (g.sandboxed) volumes.push(`${DOCKER_SOCKET}:${DOCKER_SOCKET}`);

  const environment: Record<string, string | ComposeRef> = {
    // Explicit, or OpenClaw puts media and plugin-skill folders next to the (read-only) config.
    OPENCLAW_STATE_DIR: CONTAINER_STATE_DIR,
    OPENCLAW_CONFIG_PATH: `${CONTAINER_CONFIG_DIR}/openclaw.json`,
    OPENCLAW_CONFIG_READONLY: "1",
    OPENCLAW_NO_AUTO_UPDATE: "1",
    // Node's module compile cache: the image's read-only one, or one in this gateway's own state.
    NODE_COMPILE_CACHE: containerCompileCacheDir(g.image),
  };
  for (const name of envNames) environment[name] = composeRef(name);

  const networks = [egressNetwork(g.id), ...g.outbound.concat(g.inbound).map((r) => linkNetwork(r.from, r.to))];
  const svc: ComposeService = {
    image: g.image,
    // The gateway's id, not the container's: OpenClaw records its owner lease in the state with
    // pid, start time and hostname(), and can prove a previous owner dead (and take the lease at
    // once) only on the same host name. With Docker's default (the container id) every replacement
    // container saw a killed predecessor's lease as held for up to 300 s and failed to start.
    hostname: g.id,
    command: ["node", "dist/index.js", "gateway", "--port", String(CONTAINER_PORT)],
    init: true,
    restart: "unless-stopped",
    stop_grace_period: STOP_GRACE,
    environment,
    ports: [`127.0.0.1:${g.port}:${CONTAINER_PORT}`],
    volumes,
    networks: [...new Set(networks)].sort(),
    healthcheck: HEALTHCHECK,
    cap_drop: ["ALL"],
    security_opt: ["no-new-privileges:true"],
    pids_limit: g.resources.pids,
    mem_limit: g.resources.memory.toLowerCase(),
    cpus: g.resources.cpus,
    labels: labels(fed, { [LABELS.gateway]: g.id, [LABELS.role]: g.role }),
  };
  if (fed.providers.some((p) => g.providers.includes(p.id) && usesHostGateway(p.baseUrl))) {
    // A model server on the Docker host (Ollama, LM Studio, …): compose maps the name to the
    // host's gateway address (Docker ≥ 20.10).
    svc.extra_hosts = [`${HOST_GATEWAY_NAME}:host-gateway`];
  }
  if (g.sandboxed) {
    // The socket's group, looked up on this host when .env is written.
    svc.group_add = [composeRef("CLAWFED_DOCKER_GID")];
  }
  return svc;
}

/** Options of the compose target (generate() fills them in; all optional). */
export interface ComposeCompileOptions {
  /**
   * Subnets by network key (e.g. `link-a--b`) from the compose file generated before, kept so
   * that adding a gateway never renumbers an existing network (allocateSubnets).
   */
  previousSubnets?: ReadonlyMap<string, string>;
  /** Blocks in use elsewhere on the host (`up` reads them from the engine and the routes), in CIDR form. */
  avoidSubnets?: readonly string[];
}

/** The subnet of every network of the compose layout, by network key (pure; see allocateSubnets). */
export function composeSubnets(fed: Federation, previous?: ReadonlyMap<string, string>, avoidSubnets: readonly string[] = []): Map<string, string> {
  const names = [...fed.gateways.map((g) => egressNetwork(g.id)), ...fed.pairs.map(([a, b]) => linkNetwork(a, b))];
  const avoid = avoidSubnets.map(parseCidr).filter((c): c is Cidr => !("problem" in c));
  return allocateSubnets(names, cidr(fed.networkPool), { seed: fed.name, ...(previous ? { previous } : {}), avoid });
}

export function compileCompose(fed: Federation, opts: ComposeCompileOptions = {}): CompileResult {
  const env = planEnv(fed, { projectName: true, dockerGid: true });
  const header = generatedHeader(fed.specFile);
  const artifacts: Artifact[] = [];
  const warnings: string[] = [];

  const services: Record<string, ComposeService> = {};
  const volumes: Record<string, Volume> = {};
  const networks: Record<string, Network> = {};
  const subnets = composeSubnets(fed, opts.previousSubnets, opts.avoidSubnets);
  const ipam = (key: string) => ({ config: [{ subnet: subnets.get(key)! }] });
  for (const g of fed.gateways) {
    services[serviceName(g.id)] = service(fed, g, envFor(env, g.id));
    networks[egressNetwork(g.id)] = { driver: "bridge", ipam: ipam(egressNetwork(g.id)), labels: labels(fed, { [LABELS.gateway]: g.id, [LABELS.kind]: "egress" }) };
    if (g.sandboxed) {
      artifacts.push(dir(stateDir(g.id), { gatewayOwned: true, mode: 0o700 }));
      warnings.push(
        `${g.id}: sandbox mode "${g.sandbox.mode}" mounts the Docker socket into the gateway, which gives it control of this host's Docker engine; ` +
          `the image openclaw-sandbox:bookworm-slim must exist before its agents run.`,
      );
    } else {
      volumes[stateVolume(g.id)] = { labels: labels(fed, { [LABELS.gateway]: g.id, [LABELS.kind]: "state" }) };
    }
  }
  for (const [a, b] of fed.pairs) {
    networks[linkNetwork(a, b)] = { driver: "bridge", internal: true, ipam: ipam(linkNetwork(a, b)), labels: labels(fed, { [LABELS.kind]: "link" }) };
  }
  const compose: ComposeModel = { services, networks };
  if (Object.keys(volumes).length > 0) compose.volumes = volumes;
  // One escaping walk over the whole file: no user string can reach compose's interpolation.
  artifacts.push(file("docker-compose.yml", toYaml(renderCompose(compose), header)));

  for (const g of fed.gateways) {
    artifacts.push(...containerGatewayFiles(fed, g, header));
  }
  for (const route of mailboxDirs(fed)) {
    artifacts.push(
      fed.comms.hostPath
        ? dir(`${fed.comms.hostPath}/${route}`, { gatewayOwned: true, absolute: true, mode: 0o770 })
        : dir(`${COMMS_DIR}/${route}`, { gatewayOwned: true, mode: 0o770 }),
    );
  }
  if (fed.gateways.some(usesDelegatePlugin)) artifacts.push(...pluginArtifacts());
  artifacts.push(file("README.md", federationReadme(fed)));
  return { target: "compose", artifacts, env, warnings };
}
