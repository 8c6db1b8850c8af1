/**
 * One gateway's `openclaw.json`, in the current OpenClaw schema (2026.9.6; facts sheet §2, §11):
 * keyed `agents.entries`, `memory.search.extraPaths`, `gateway.mode: "local"`, token auth,
 * hooks with their own token, `channels.a2a.peers` per link. Every secret is a `${VAR}` reference
 * to the federation's `.env`; no value is ever written here.
 *
 * Where a gateway runs (container or native process) only changes the placement: bind mode, port,
 * peer URLs and the paths of knowledge and mailbox folders.
 */
import type { Federation, GatewayModel } from "../federation/normalize.js";
import { HOST_GATEWAY_NAME } from "../federation/schema.js";
import { a2aPeers } from "../vocabulary/env-plan.js";
import { a2aTokenEnv, gatewayTokenEnv, hooksTokenEnv, OPERATOR_PEER, operatorTokenEnv } from "../vocabulary/names.js";
import { delegatePluginConfig, usesDelegatePlugin, type PluginPlacement } from "./delegation.js";

export const DELEGATE_SKILL = "federation-delegate";

/** Where a gateway runs, as seen from its own config. */
export interface Placement {
  /** `lan` in a container (reachable through the published port), `loopback` natively. */
  bind: "lan" | "loopback";
  /** Port the gateway listens on. */
  port: number;
  /** Host port a browser uses for the Control UI (controlUi.allowedOrigins). */
  publishedPort: number;
  /** Base URL another gateway uses to reach `id`, without a trailing slash. */
  peerBaseUrl(id: string): string;
  /** Path of a knowledge mount as the gateway sees it. */
  knowledgePath(name: string): string;
  /** Workspace path to write into the config; undefined keeps OpenClaw's default `<state>/workspace`. */
  workspace?: string;
  /** Where the federation-delegate plugin is and the paths its config needs; undefined: no plugin. */
  plugin?: PluginPlacement;
  /** A provider's base URL as this gateway reaches it (native targets: the Docker host is 127.0.0.1). */
  providerBaseUrl?(url: string): string;
}

/** A2A requests per peer per minute (channels.a2a.rateLimitPerMinute; OpenClaw's default 30 is below one busy hub's delegations). */
export const A2A_RATE_LIMIT_PER_MINUTE = 600;

/** True when a provider URL names the Docker host (compose adds `extra_hosts: host-gateway` for it). */
export function usesHostGateway(url: string): boolean {
  try {
    return new URL(url).hostname === HOST_GATEWAY_NAME;
  } catch {
    return false;
  }
}

/** `models.providers` of one gateway: only the spec's providers its models use (facts Appendix C shape). */
function providersFor(fed: Federation, g: GatewayModel, at: Placement): Record<string, unknown> | undefined {
  if (g.providers.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const p of fed.providers.filter((x) => g.providers.includes(x.id))) {
    out[p.id] = {
      baseUrl: at.providerBaseUrl ? at.providerBaseUrl(p.baseUrl) : p.baseUrl,
      api: p.api,
      ...(p.apiKeyEnv ? { apiKey: `\${${p.apiKeyEnv}}` } : {}),
      models: p.models.map((m) => ({ id: m.id, name: m.name })),
    };
  }
  return { providers: out };
}

/** Gateways this one may reach over hooks (routes from it with the hooks transport). */
export function hooksTargets(g: GatewayModel): string[] {
  return g.outbound.filter((r) => r.transports.includes("hooks")).map((r) => r.to);
}

/** True when the gateway takes part in any mailbox route (reads only its own routes). */
export function usesMailbox(g: Pick<GatewayModel, "outbound" | "inbound">): boolean {
  return [...g.outbound, ...g.inbound].some((r) => r.transports.includes("mailbox"));
}

/** True when the gateway can reach at least one other gateway (and so gets the delegate skill). */
export function delegates(g: GatewayModel): boolean {
  return g.outbound.length > 0;
}

/**
 * Token variables this gateway only needs for `${VAR}` substitution in its config (gateway auth,
 * hooks, A2A, operator, custom provider keys): the delegate plugin removes them from the process
 * environment after startup, so the exec tool's shell does not inherit them (issue 11 item 5).
 */
export function scrubbedEnv(fed: Federation, g: GatewayModel): string[] {
  const names = [gatewayTokenEnv(g.id), operatorTokenEnv(g.id)];
  if (g.hooks) names.push(hooksTokenEnv(g.id));
  // The hooks tokens of the gateways it may call: no generated file uses them any more (the
  // delegate tool speaks A2A); they stay in its environment for operators' own scripts only.
  for (const to of hooksTargets(g)) names.push(hooksTokenEnv(to));
  for (const p of a2aPeers(g)) {
    names.push(a2aTokenEnv(p.peer, g.id));
    if (p.outbound) names.push(a2aTokenEnv(g.id, p.peer));
  }
  for (const p of fed.providers) if (g.providers.includes(p.id) && p.apiKeyEnv) names.push(p.apiKeyEnv);
  return [...new Set(names)].sort();
}

/** `agents`: the gateway's one agent and the defaults clawfed sets for it. */
function agentsSection(fed: Federation, g: GatewayModel, at: Placement): Record<string, unknown> {
  const agentEntry: Record<string, unknown> = { name: g.agentName, model: { primary: g.model.primary, fallbacks: g.model.fallbacks } };
  if (usesMailbox(g)) {
    // The mailbox is read on heartbeats (AGENTS.md says how); HEARTBEAT.md is retired (facts §8).
    agentEntry.heartbeat = { every: fed.comms.heartbeat, target: g.telegram && g.telegram.owners.length > 0 ? "owner" : "none" };
  }
  const defaults: Record<string, unknown> = {
    // clawfed seeds the workspace itself; OpenClaw's first-run ritual would fight the generated files.
    skipBootstrap: true,
  };
  if (at.workspace) defaults.workspace = at.workspace;
  // The spec's models are the agent's allowlist, primary first: on 2026.9.6 a `models` map alone
  // becomes the allowlist and a primary outside it is never tried (issue 11); an explicit
  // modelPolicy.allow (docs gateway/config-agents/models.md) keeps the primary first and the
  // fallbacks for failures only.
  defaults.modelPolicy = { allow: [g.model.primary, ...g.model.fallbacks] };
  if ([g.model.primary, ...g.model.fallbacks].some((m) => m.startsWith("openai/"))) {
    // Without a runtime policy OpenClaw installs its Codex plugin for openai/* at startup (with
    // npm, absent from the image and offline hosts) and stops with maintenance_required; API-key
    // use runs fine on OpenClaw's own runtime (docs gateway/config-agents/models.md, "provider/*").
    defaults.models = { "openai/*": { agentRuntime: { id: "openclaw" } } };
  }
  if (g.sandboxed) {
    defaults.sandbox = {
      mode: g.sandbox.mode,
      scope: g.sandbox.scope,
      workspaceAccess: g.sandbox.workspaceAccess,
      docker: { network: g.sandbox.network },
    };
  }

  return { defaults, entries: { [g.agentId]: agentEntry } };
}

/** `channels`: Telegram when the spec configures it; A2A always (linked peers and the host operator). */
function channelsSection(g: GatewayModel, at: Placement): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  if (g.telegram) {
    const tg = g.telegram;
    channels.telegram = {
      enabled: true,
      botToken: `\${${tg.botTokenEnv}}`,
      dmPolicy: tg.dmPolicy,
      // OpenClaw warns when an open policy lacks "*" (facts §2.2), so open means everyone.
      allowFrom: tg.dmPolicy === "open" ? ["*"] : tg.allowFrom,
    };
  }
  // Every gateway answers A2A: its linked peers, and the host operator (`clawfed ask`).
  const entries: Record<string, unknown> = { [OPERATOR_PEER]: { token: `\${${operatorTokenEnv(g.id)}}` } };
  for (const p of a2aPeers(g)) {
    const peer: Record<string, unknown> = { token: `\${${a2aTokenEnv(p.peer, g.id)}}` };
    if (p.outbound) {
      peer.url = `${at.peerBaseUrl(p.peer)}/a2a/v1`;
      peer.outboundToken = `\${${a2aTokenEnv(g.id, p.peer)}}`;
    }
    entries[p.peer] = peer;
  }
  channels.a2a = { enabled: true, exposeAgents: [g.agentId], rateLimitPerMinute: A2A_RATE_LIMIT_PER_MINUTE, peers: entries };
  return channels;
}

/**
 * One gateway's `openclaw.json` (as data; the target serializes it). Secrets appear only as
 * `${NAME}` references to the gateway's environment, which OpenClaw substitutes (docs
 * gateway/config-secrets-env.md); `at` places it (container or host).
 */
export function buildOpenclawConfig(fed: Federation, g: GatewayModel, at: Placement): Record<string, unknown> {
  const config: Record<string, unknown> = {
    gateway: {
      mode: "local",
      port: at.port,
      bind: at.bind,
      auth: { mode: "token", token: `\${${gatewayTokenEnv(g.id)}}` },
      controlUi: { allowedOrigins: [`http://127.0.0.1:${at.publishedPort}`, `http://localhost:${at.publishedPort}`] },
    },
    agents: agentsSection(fed, g, at),
  };
  const models = providersFor(fed, g, at);
  if (models) config.models = models;
  if (g.knowledge.length > 0) {
    config.memory = { search: { extraPaths: g.knowledge.map((k) => at.knowledgePath(k.name)) } };
  }

  const channels = channelsSection(g, at);
  if (Object.keys(channels).length > 0) config.channels = channels;
  if (g.telegram && g.telegram.owners.length > 0) {
    config.commands = { ownerAllowFrom: g.telegram.owners.map((id) => `telegram:${id}`) };
  }
  if (g.hooks) {
    config.hooks = {
      enabled: true,
      token: `\${${hooksTokenEnv(g.id)}}`,
      path: "/hooks",
      allowedAgentIds: [g.agentId],
      allowRequestSessionKey: false,
    };
  }
  if (at.plugin && usesDelegatePlugin(g)) {
    config.plugins = delegatePluginConfig(fed, g, at.plugin, scrubbedEnv(fed, g));
  }
  return config;
}
