/**
 * Federation → EcsFederationDescription (pure). Keeps the seed-002 properties (one task definition
 * per gateway, secrets only through Secrets Manager and ECS `secrets`, an execution role per
 * gateway that reads only that gateway's secrets, one EFS access point per gateway, ingress closed
 * except for links, egress HTTPS) and adds the federation's links.
 */
import type { Federation, GatewayModel } from "../../federation/normalize.js";
import { InternalError, SpecError } from "../../errors.js";
import { envFor, planEnv } from "../../vocabulary/env-plan.js";
import {
  a2aTokenEnv,
  CONTAINER_COMMS_DIR,
  CONTAINER_PORT,
  CONTAINER_STATE_DIR,
  CONTAINER_WORKSPACE_DIR,
  gatewayTokenEnv,
  hooksTokenEnv,
  operatorTokenEnv,
  routeDir,
} from "../../vocabulary/names.js";
import { DELEGATE_PLUGIN, pluginArtifacts, usesDelegatePlugin } from "../../compile/delegation.js";
import { buildOpenclawConfig, type Placement } from "../../compile/openclaw-config.js";
import { workspaceArtifacts, type WorkspaceView } from "../../compile/workspace.js";
import type { EnvSlot } from "../../compile/artifact.js";
import { toJson } from "../../render/serialize.js";
import { HEALTHCHECK_SCRIPT } from "../compose/index.js";
import {
  ECS_DESCRIPTION_VERSION,
  type EcsAccessPoint,
  type EcsFederationDescription,
  type EcsGateway,
  type EcsMount,
  type EcsSecret,
} from "./description.js";
import { fargateSize } from "./fargate.js";
import { accessPointId, cloudMapNamespace, clusterName, knowledgeRoot, mailboxRoot, secretName, stackName, stateRoot, taskFamily } from "./names.js";

/** Size of a task definition's plain environment ECS accepts, with room for the rest (the limit is 64 KiB per task definition). */
export const MAX_ENVIRONMENT_BYTES = 48 * 1024;

/** Where the generated openclaw.json is written inside the task (the image's /etc is not writable by uid 1000). */
export const ECS_CONFIG_PATH = "/tmp/clawfed/openclaw.json";
/** Where the boot script writes the federation-delegate plugin (next to the config). */
export const ECS_PLUGIN_DIR = `/tmp/clawfed/plugins/${DELEGATE_PLUGIN}`;
/** Environment variable holding the generated files (path → content) the boot script writes. */
export const FILES_ENV = "CLAWFED_FILES";

/**
 * Runs before the gateway in every task: writes the files of {@link FILES_ENV} (openclaw.json, the
 * workspace's AGENTS.md, SOUL.md and skills; no secret: the config holds only `${VAR}` references),
 * then replaces itself with the gateway (`exec`), as the compose target's command does.
 */
export const BOOT_SCRIPT =
  "const fs=require('fs'),p=require('path');" +
  `const files=JSON.parse(process.env.${FILES_ENV});` +
  "for(const [f,c] of Object.entries(files)){fs.mkdirSync(p.dirname(f),{recursive:true});fs.writeFileSync(f,c);}";

/** The gateway command of the compose target, after the boot script. */
export const GATEWAY_COMMAND = `node dist/index.js gateway --port ${CONTAINER_PORT}`;

/** Owner of each token (the gateway that verifies it): its secret lives under that gateway's path. */
function tokenOwners(fed: Federation): Map<string, string> {
  const owners = new Map<string, string>();
  for (const g of fed.gateways) {
    owners.set(gatewayTokenEnv(g.id), g.id);
    owners.set(operatorTokenEnv(g.id), g.id);
    if (g.hooks) owners.set(hooksTokenEnv(g.id), g.id);
  }
  // Both tokens of an a2a pair belong to the gateway that verifies them (the env plan names the
  // reverse one too, sealed, when the link is one-way).
  for (const r of fed.routes) {
    if (!r.transports.includes("a2a")) continue;
    owners.set(a2aTokenEnv(r.from, r.to), r.to);
    owners.set(a2aTokenEnv(r.to, r.from), r.from);
  }
  return owners;
}

/**
 * Secrets of the federation. Tokens are one secret each, under their owner, readable by their
 * consumers; a user secret (API key, bot token) is one secret per gateway that lists it, so each
 * gateway reads only its own copy (and its costs can be told apart).
 */
function secretsOf(fed: Federation, slots: EnvSlot[]): EcsSecret[] {
  const owners = tokenOwners(fed);
  const out: EcsSecret[] = [];
  for (const s of slots) {
    if (s.kind === "token") {
      const owner = owners.get(s.name);
      if (owner === undefined) throw new InternalError(`ecs: no owner for the token ${s.name}`);
      out.push({ env: s.name, name: secretName(fed.name, owner, s.name), owner, generated: true, description: s.comment, readers: [...s.consumers] });
    } else if (s.kind === "user") {
      for (const c of s.consumers) {
        out.push({ env: s.name, name: secretName(fed.name, c, s.name), owner: c, generated: false, description: `${c}: ${s.comment} (set it with aws secretsmanager put-secret-value)`, readers: [c] });
      }
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function accessPointsOf(fed: Federation): EcsAccessPoint[] {
  const aps: EcsAccessPoint[] = fed.gateways.map((g) => ({
    id: accessPointId.state(g.id),
    kind: "state",
    rootDirectory: stateRoot(fed.name, g.id),
    permissions: "700",
    writers: [g.id],
    readers: [],
  }));
  for (const k of fed.knowledge) {
    const readers = fed.gateways.filter((g) => g.knowledge.some((x) => x.name === k.name)).map((g) => g.id);
    if (readers.length === 0) continue;
    aps.push({ id: accessPointId.knowledge(k.name), kind: "knowledge", rootDirectory: knowledgeRoot(fed.name, k.name), permissions: "755", writers: [], readers });
  }
  for (const r of fed.routes.filter((x) => x.transports.includes("mailbox"))) {
    const writers = [r.from, r.to].sort();
    aps.push({ id: accessPointId.mailbox(r.from, r.to), kind: "mailbox", rootDirectory: mailboxRoot(fed.name, r.from, r.to), permissions: "770", writers, readers: [] });
  }
  return aps.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** On Fargate a gateway whose spec says `ecs.sandbox: off` runs without OpenClaw's sandbox (rules refuse the rest). */
export function withoutSandbox(g: GatewayModel, specFile: string): GatewayModel {
  if (g.sandbox.mode === "off") return g;
  if (g.ecs?.sandbox !== "off") {
    throw new SpecError([{ file: specFile, line: 0, col: 0, path: `gateways.${g.id}.sandbox.mode`, message: `sandbox mode ${g.sandbox.mode} needs a Docker socket, which AWS Fargate does not have`, hint: `add "ecs: { sandbox: off }" to gateway ${g.id}, or use --target compose` }]);
  }
  return { ...g, sandbox: { ...g.sandbox, mode: "off" }, sandboxed: false };
}

/** The files a gateway's boot script writes: its openclaw.json and its workspace, by absolute path, sorted. */
function gatewayFiles(fed: Federation, g: GatewayModel, header: string): Record<string, string> {
  const ns = cloudMapNamespace(fed.name);
  const knowledgePath = (name: string) => fed.knowledge.find((k) => k.name === name)!.mountPath;
  const view: WorkspaceView = {
    peerBaseUrl: (id) => `http://${id}.${ns}:${CONTAINER_PORT}`,
    routePath: (from, to) => `${CONTAINER_COMMS_DIR}/${routeDir(from, to)}`,
    knowledgePath,
  };
  const plugin = usesDelegatePlugin(g);
  const placement: Placement = {
    bind: "lan",
    port: CONTAINER_PORT,
    publishedPort: CONTAINER_PORT,
    peerBaseUrl: view.peerBaseUrl,
    knowledgePath,
    // The boot script writes the delegate plugin next to the config, like every other file.
    ...(plugin ? { plugin: { pluginPath: ECS_PLUGIN_DIR, selfUrl: `http://127.0.0.1:${CONTAINER_PORT}/a2a/v1`, routePath: view.routePath } } : {}),
  };
  const files: Record<string, string> = { [ECS_CONFIG_PATH]: toJson(buildOpenclawConfig(fed, g, placement), header) };
  if (plugin) for (const a of pluginArtifacts(ECS_PLUGIN_DIR)) if (a.kind === "file") files[a.path] = a.content;
  for (const a of workspaceArtifacts(fed, g, view, CONTAINER_WORKSPACE_DIR)) if (a.kind === "file") files[a.path] = a.content;
  return Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function mountsOf(fed: Federation, g: GatewayModel): EcsMount[] {
  const mounts: EcsMount[] = [{ accessPoint: accessPointId.state(g.id), containerPath: CONTAINER_STATE_DIR, readOnly: false }];
  for (const k of g.knowledge) mounts.push({ accessPoint: accessPointId.knowledge(k.name), containerPath: k.mountPath, readOnly: true });
  for (const r of fed.routes) {
    if (!r.transports.includes("mailbox") || (r.from !== g.id && r.to !== g.id)) continue;
    mounts.push({ accessPoint: accessPointId.mailbox(r.from, r.to), containerPath: `${CONTAINER_COMMS_DIR}/${routeDir(r.from, r.to)}`, readOnly: false });
  }
  return mounts;
}

function gatewayOf(fed: Federation, g: GatewayModel, secrets: EcsSecret[], header: string): EcsGateway {
  const size = fargateSize(g.resources.cpus, g.resources.memory)!;
  const files = gatewayFiles(fed, g, header);
  const environment: Record<string, string> = {
    AGENT_ID: g.agentId,
    CLAWFED_BOOT: BOOT_SCRIPT,
    [FILES_ENV]: JSON.stringify(files),
    // Explicit, or OpenClaw puts media and plugin-skill folders next to the config (as compose does).
    OPENCLAW_CONFIG_PATH: ECS_CONFIG_PATH,
    OPENCLAW_CONFIG_READONLY: "1",
    OPENCLAW_NO_AUTO_UPDATE: "1",
    OPENCLAW_STATE_DIR: CONTAINER_STATE_DIR,
    WORKSPACE_ID: fed.name,
  };
  const bytes = Object.entries(environment).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (bytes > MAX_ENVIRONMENT_BYTES) {
    throw new SpecError([{ file: fed.specFile, line: 0, col: 0, path: `gateways.${g.id}`, message: `the generated files of ${g.id} take ${bytes} bytes, more than the ${MAX_ENVIRONMENT_BYTES} a Fargate task definition carries`, hint: "shorten the descriptions of the gateways linked to it, or split the federation" }]);
  }
  // Its own tokens, the link and hooks tokens it shares, and its own copy of each user secret.
  const mine = secrets.filter((s) => s.readers.includes(g.id));
  return {
    id: g.id,
    family: taskFamily(fed.name, g.id),
    serviceName: g.id,
    image: g.image,
    cpu: size.cpu,
    memoryMiB: size.memoryMiB,
    command: ["sh", "-c", `node -e "$CLAWFED_BOOT" && exec ${GATEWAY_COMMAND}`],
    environment,
    secrets: Object.fromEntries(mine.map((s) => [s.env, s.name]).sort(([a], [b]) => (a! < b! ? -1 : 1))),
    mounts: mountsOf(fed, g),
    ingressFrom: g.inbound.map((r) => r.from).sort(),
    egressTo: g.outbound.map((r) => r.to).sort(),
    healthCheck: { command: ["CMD", "node", "-e", HEALTHCHECK_SCRIPT], intervalSeconds: 30, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 180 },
    taskRolePolicies: g.ecs?.taskRolePolicies ?? [],
    tags: { ...fed.tags, ...g.tags, "clawfed:gateway": g.id },
  };
}

/**
 * The description of `fed` for the ecs target.
 * @throws SpecError for a gateway with a sandbox but no `ecs.sandbox: off`, or one whose generated
 *   files do not fit a task definition (the rules report the first case with its place first).
 */
export function describeEcs(fed: Federation, header: string): EcsFederationDescription {
  const plain: Federation = { ...fed, gateways: fed.gateways.map((g) => withoutSandbox(g, fed.specFile)) };
  const slots = planEnv(plain);
  const secrets = secretsOf(plain, slots);
  // Every env name a gateway receives must be one of its secrets (nothing else is in the plan).
  for (const g of plain.gateways) {
    const have = new Set(secrets.filter((s) => s.readers.includes(g.id)).map((s) => s.env));
    for (const n of envFor(slots, g.id)) if (!have.has(n)) throw new InternalError(`ecs: ${g.id} needs ${n} but no secret holds it`);
  }
  return {
    version: ECS_DESCRIPTION_VERSION,
    federation: fed.name,
    stackName: stackName(fed.name),
    description: `clawfed federation ${fed.name} on AWS ECS Fargate (${header})`,
    clusterName: clusterName(fed.name),
    namespace: cloudMapNamespace(fed.name),
    vpcCidr: fed.ecs?.vpcCidr ?? "10.42.0.0/16",
    ...(fed.ecs?.vpc ? { vpc: fed.ecs.vpc } : {}),
    ...(fed.ecs?.knowledgeFileSystem ? { knowledgeFileSystem: fed.ecs.knowledgeFileSystem } : {}),
    logRetentionDays: fed.ecs?.logRetentionDays ?? 30,
    containerPort: CONTAINER_PORT,
    tags: { ...fed.tags, "clawfed:federation": fed.name },
    secrets,
    accessPoints: accessPointsOf(plain),
    gateways: plain.gateways.map((g) => gatewayOf(plain, g, secrets, header)),
  };
}
