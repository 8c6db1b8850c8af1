/**
 * Normalization: the parsed spec with every default and derived value filled in, in a stable order
 * (gateways, knowledge and routes sorted), so that compiling never depends on the order of keys
 * in the YAML. Tolerant of references the rules will reject (they are skipped here).
 */
import {
  OFFICIAL_IMAGE_REPO,
  type GatewayParsed,
  type SpecParsed,
  type TransportName,
} from "./schema.js";
import type { KubernetesParsed } from "./kubernetes-schema.js";
import { DEFAULT_NETWORK_POOL } from "../vocabulary/subnets.js";

export interface KnowledgeMount {
  name: string;
  /** Absolute host directory. */
  hostPath: string;
  /** Absolute path inside a gateway. */
  mountPath: string;
  description?: string;
}

/** One allowed direction of a link: `from` may reach `to` over `transports`. */
export interface Route {
  from: string;
  to: string;
  transports: TransportName[];
  /** True when the reverse direction is also allowed. */
  twoWay: boolean;
}

/** A custom model provider (spec `models.providers.<id>`), models sorted by id. */
export interface ProviderModel {
  id: string;
  baseUrl: string;
  api: string;
  /** Name of the .env variable with the key, when the provider needs one. */
  apiKeyEnv?: string;
  models: Array<{ id: string; name: string }>;
}

export interface TelegramModel {
  botTokenEnv: string;
  dmPolicy: "pairing" | "allowlist" | "open" | "disabled";
  /** Numeric Telegram user ids as strings, prefixes removed, sorted, unique. */
  allowFrom: string[];
  owners: string[];
}

export interface GatewayModel {
  id: string;
  role: "hub" | "spoke";
  /** Host publish port (compose) or base port (native targets). */
  port: number;
  description: string;
  agentId: string;
  agentName: string;
  model: { primary: string; fallbacks: string[] };
  /** Ids of the spec's custom providers this gateway's models use, sorted. */
  providers: string[];
  telegram?: TelegramModel;
  /** Webhook endpoints enabled: explicitly, or because a link sends hooks to this gateway. */
  hooks: boolean;
  sandbox: GatewayParsed["sandbox"];
  /** Sandbox mode is not off: agents run in sibling containers. */
  sandboxed: boolean;
  knowledge: KnowledgeMount[];
  /** Extra user secrets (env var names), sorted. */
  secrets: string[];
  resources: GatewayParsed["resources"];
  image: string;
  /** Routes leaving this gateway, sorted by target. */
  outbound: Route[];
  /** Routes reaching this gateway, sorted by source. */
  inbound: Route[];
  /** AWS tags of this gateway's resources (ecs target), keys sorted. */
  tags?: Record<string, string>;
  /** Settings only the ecs target reads. */
  ecs?: { sandbox?: "off"; taskRolePolicies?: string[] };
}

export interface Federation {
  name: string;
  /** Spec path as given by the user, for headers and messages. */
  specFile: string;
  description?: string;
  openclawVersion: string;
  /** Default gateway image. */
  image: string;
  topology: "hub-and-spoke" | "mesh";
  knowledge: KnowledgeMount[];
  comms: { hostPath?: string; heartbeat: string };
  /** Custom model providers, sorted by id. */
  providers: ProviderModel[];
  gateways: GatewayModel[];
  /** Every allowed direction, sorted by (from, to). */
  routes: Route[];
  /** Undirected gateway pairs that share a link network, sorted, each pair sorted. */
  pairs: Array<[string, string]>;
  /** The spec's `kubernetes:` block as parsed (defaults applied), when present. */
  kubernetes?: KubernetesParsed;
  /** IPv4 block the compose networks' subnets come from (`network.pool`, default DEFAULT_NETWORK_POOL). */
  networkPool: string;
  /** AWS tags of every resource (ecs target), keys sorted. */
  tags?: Record<string, string>;
  /** Settings only the ecs target reads. */
  ecs?: {
    logRetentionDays: number;
    vpcCidr: string;
    vpc?: { id: string; availabilityZones: string[]; privateSubnets: string[] };
    knowledgeFileSystem?: { id: string; securityGroup: string };
  };
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Telegram ids: drop `tg:`/`telegram:` prefixes; OpenClaw normalizes them the same way. */
function telegramId(v: string | number): string {
  return String(v).replace(/^(?:tg|telegram):/, "");
}

/** Directed routes of the spec's links, sorted by (from, to), and the undirected linked pairs. */
function buildRoutes(spec: SpecParsed): { routes: Route[]; pairs: Array<[string, string]> } {
  const ids = new Set(Object.keys(spec.gateways));
  // Directed routes; a later declaration of the same direction merges its transports (rules
  // report the duplicate, normalize just stays deterministic).
  const routeMap = new Map<string, Route>();
  for (const link of spec.links) {
    if (!ids.has(link.from) || !ids.has(link.to) || link.from === link.to) continue;
    const dirs: Array<[string, string]> = [[link.from, link.to]];
    if (!link.oneWay) dirs.push([link.to, link.from]);
    for (const [from, to] of dirs) {
      const key = `${from}\u0000${to}`;
      const prev = routeMap.get(key);
      const transports = [...new Set([...(prev?.transports ?? []), ...link.transports])].sort(byString);
      routeMap.set(key, { from, to, transports, twoWay: false });
    }
  }
  const routes = [...routeMap.values()].sort((a, b) => byString(a.from, b.from) || byString(a.to, b.to));
  for (const r of routes) r.twoWay = routeMap.has(`${r.to}\u0000${r.from}`);

  const pairSet = new Map<string, [string, string]>();
  for (const r of routes) {
    const pair = [r.from, r.to].sort(byString) as [string, string];
    pairSet.set(pair.join("\u0000"), pair);
  }
  const pairs = [...pairSet.values()].sort((a, b) => byString(a[0], b[0]) || byString(a[1], b[1]));
  return { routes, pairs };
}

type SpecGateway = SpecParsed["gateways"][string];

/** One gateway of the model, given its own routes (outbound sorted by `to`, inbound by `from`). */
function gatewayModel(
  id: string,
  g: SpecGateway,
  ctx: { image: string; knowledge: ReadonlyMap<string, KnowledgeMount>; providerIds: ReadonlySet<string>; outbound: Route[]; inbound: Route[] },
): GatewayModel {
  const { outbound, inbound } = ctx;
  const model = typeof g.model === "string" ? { primary: g.model, fallbacks: [] } : { primary: g.model.primary, fallbacks: [...g.model.fallbacks] };
  const tg = g.channels.telegram;
  const telegram: TelegramModel | undefined = tg
    ? {
        botTokenEnv: tg.botToken,
        dmPolicy: tg.dmPolicy,
        allowFrom: [...new Set(tg.allowFrom.map(telegramId))].sort(byString),
        owners: [...new Set(tg.owners.map(telegramId))].sort(byString),
      }
    : undefined;
  return {
    id,
    role: g.role,
    port: g.port,
    description: g.description.trim(),
    agentId: g.agent.id ?? id,
    agentName: g.agent.name ?? id,
    model,
    providers: [...new Set([model.primary, ...model.fallbacks].map((m) => m.slice(0, m.indexOf("/"))).filter((p) => ctx.providerIds.has(p)))].sort(byString),
    ...(telegram ? { telegram } : {}),
    hooks: g.hooks ?? inbound.some((r) => r.transports.includes("hooks")),
    sandbox: g.sandbox,
    sandboxed: g.sandbox.mode !== "off",
    knowledge: [...new Set(g.knowledge)]
      .sort(byString)
      .map((n) => ctx.knowledge.get(n))
      .filter((k): k is KnowledgeMount => k !== undefined),
    secrets: [...new Set(g.secrets)].sort(byString),
    resources: g.resources,
    image: g.image ?? ctx.image,
    outbound,
    inbound,
    tags: sortedRecord(g.tags ?? {}),
    ecs: { ...(g.ecs?.sandbox ? { sandbox: g.ecs.sandbox } : {}), taskRolePolicies: [...new Set(g.ecs?.taskRolePolicies ?? [])].sort(byString) },
  };
}

export function normalize(spec: SpecParsed, specFile: string): Federation {
  const image = spec.openclaw.image ?? `${OFFICIAL_IMAGE_REPO}:${spec.openclaw.version}`;
  const knowledge: KnowledgeMount[] = Object.entries(spec.knowledge)
    .map(([name, k]) => ({
      name,
      hostPath: k.path,
      mountPath: k.mount ?? `/shared/${name}`,
      ...(k.description ? { description: k.description } : {}),
    }))
    .sort((a, b) => byString(a.name, b.name));
  const { routes, pairs } = buildRoutes(spec);
  const providers: ProviderModel[] = Object.entries(spec.models?.providers ?? {})
    .sort(([a], [b]) => byString(a, b))
    .map(([id, p]) => ({
      id,
      baseUrl: p.baseUrl,
      api: p.api,
      ...(p.apiKey ? { apiKeyEnv: p.apiKey } : {}),
      models: [...new Map(p.models.map((m) => [m.id, { id: m.id, name: m.name?.trim() || m.id }])).values()].sort((a, b) => byString(a.id, b.id)),
    }));
  const providerIds = new Set(providers.map((p) => p.id));

  // Each gateway's routes, grouped in one pass (not one scan of all routes per gateway): routes are
  // sorted by (from, to), so outbound lists come out sorted by `to`, inbound ones by `from`.
  const outboundOf = new Map<string, Route[]>();
  const inboundOf = new Map<string, Route[]>();
  for (const r of routes) {
    (outboundOf.get(r.from) ?? outboundOf.set(r.from, []).get(r.from)!).push(r);
    (inboundOf.get(r.to) ?? inboundOf.set(r.to, []).get(r.to)!).push(r);
  }
  const byName = new Map(knowledge.map((k) => [k.name, k]));
  const gateways: GatewayModel[] = Object.entries(spec.gateways)
    .sort(([a], [b]) => byString(a, b))
    .map(([id, g]) =>
      gatewayModel(id, g, { image, knowledge: byName, providerIds, outbound: outboundOf.get(id) ?? [], inbound: (inboundOf.get(id) ?? []).sort((a, b) => byString(a.from, b.from)) }),
    );

  return {
    name: spec.name,
    specFile,
    ...(spec.description ? { description: spec.description.trim() } : {}),
    openclawVersion: spec.openclaw.version,
    image,
    topology: spec.topology,
    knowledge,
    comms: { ...(spec.comms?.path ? { hostPath: spec.comms.path } : {}), heartbeat: spec.comms?.heartbeat ?? "30m" },
    providers,
    gateways,
    routes,
    pairs,
    ...(spec.kubernetes ? { kubernetes: spec.kubernetes } : {}),
    networkPool: spec.network?.pool ?? DEFAULT_NETWORK_POOL,
    tags: sortedRecord(spec.tags ?? {}),
    ecs: {
      logRetentionDays: spec.ecs?.logRetentionDays ?? 30,
      vpcCidr: spec.ecs?.vpcCidr ?? "10.42.0.0/16",
      ...(spec.ecs?.vpc ? { vpc: { id: spec.ecs.vpc.id, availabilityZones: [...spec.ecs.vpc.availabilityZones], privateSubnets: [...spec.ecs.vpc.privateSubnets] } } : {}),
      ...(spec.ecs?.knowledgeFileSystem ? { knowledgeFileSystem: { ...spec.ecs.knowledgeFileSystem } } : {}),
    },
  };
}

/** A copy of `r` with its keys in sorted order (stable output whatever the YAML order). */
function sortedRecord(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => byString(a, b)));
}

/**
 * Every route of gateway `g` (either end), in the order of `fed.routes` (sorted by from, then to).
 * Linear in the gateway's own routes.
 */
export function routesOf(g: Pick<GatewayModel, "outbound" | "inbound">): Route[] {
  return [...g.outbound, ...g.inbound].sort((a, b) => byString(a.from, b.from) || byString(a.to, b.to));
}

const gatewayIndexes = new WeakMap<Federation, ReadonlyMap<string, GatewayModel>>();

/** The gateways of `fed` by id, built once per federation (a Federation is never mutated). */
export function gatewayIndex(fed: Federation): ReadonlyMap<string, GatewayModel> {
  let index = gatewayIndexes.get(fed);
  if (!index) gatewayIndexes.set(fed, (index = new Map(fed.gateways.map((g) => [g.id, g]))));
  return index;
}

/** Routes that use the mailbox transport and involve `id` (either end). */
export function mailboxRoutes(fed: Federation, id?: string): Route[] {
  return fed.routes.filter((r) => r.transports.includes("mailbox") && (id === undefined || r.from === id || r.to === id));
}
