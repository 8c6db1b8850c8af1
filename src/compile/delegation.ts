/**
 * Delegation between gateways: clawfed's `federation-delegate` OpenClaw plugin (shipped in
 * plugins/federation-delegate/, loaded offline from a mounted folder through `plugins.load.paths`:
 * docs gateway/config-extensions.md "Plugins") and the operator peer `clawfed ask` uses.
 *
 * The plugin gives a linked gateway the `federation_delegate {to, task}` tool: a blocking A2A
 * `SendMessage` with a fresh contextId per task, the depth rule enforced in code, the mailbox as
 * fallback; it also answers the gateway's inbound mailbox on the comms heartbeat. See its source.
 *
 * Reading the packaged plugin files is the only I/O, once per process (as render/templates.ts does
 * for templates), so compiling stays deterministic.
 */
import { readFileSync } from "node:fs";
import type { Federation, GatewayModel } from "../federation/normalize.js";
import { file, dir, type Artifact } from "./artifact.js";

/** Plugin id (openclaw.plugin.json) and folder name. */
export const DELEGATE_PLUGIN = "federation-delegate";
/** Files of the plugin, copied next to the generated configs. */
export const DELEGATE_PLUGIN_FILES = ["index.js", "openclaw.plugin.json", "package.json"] as const;
/** Where compose mounts the plugin folder (read-only) inside every gateway. */
export const CONTAINER_PLUGIN_DIR = `/opt/clawfed/plugins/${DELEGATE_PLUGIN}`;
/** Output folder of the plugin, relative to the output directory / native root. */
export const PLUGIN_OUT_DIR = `plugins/${DELEGATE_PLUGIN}`;

export { OPERATOR_PEER, operatorTokenEnv } from "../vocabulary/names.js";

/** Milliseconds of a spec duration (`30m`, `1h`, `90s`, `500ms`). */
export function durationMs(d: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(d);
  if (!m) throw new Error(`not a duration: ${d}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
}

/** Blocking wait of one delegation (ms); the A2A channel's own default reply wait (docs channels/a2a.md). */
export const DELEGATE_TIMEOUT_MS = 120_000;

let cached: Record<string, string> | undefined;
/** The packaged plugin files (read once). */
function pluginSources(): Record<string, string> {
  cached ??= Object.fromEntries(
    DELEGATE_PLUGIN_FILES.map((f) => [f, readFileSync(new URL(`../../plugins/${DELEGATE_PLUGIN}/${f}`, import.meta.url), "utf8")]),
  );
  return cached;
}

/** The plugin folder as artifacts under `base` (a folder of the output). */
export function pluginArtifacts(base: string = PLUGIN_OUT_DIR): Artifact[] {
  const src = pluginSources();
  return [dir(base.slice(0, base.lastIndexOf("/"))), dir(base), ...DELEGATE_PLUGIN_FILES.map((f) => file(`${base}/${f}`, src[f]!))];
}

/** True when the gateway takes part in delegation (it may reach a peer, or a peer's mailbox reaches it). */
export function usesDelegatePlugin(g: GatewayModel): boolean {
  return g.outbound.length > 0 || g.inbound.some((r) => r.transports.includes("mailbox"));
}

/** Paths the plugin config needs, as the gateway sees them. */
export interface PluginPlacement {
  /** The plugin folder. */
  pluginPath: string;
  /** This gateway's own A2A endpoint from inside (loopback), for the mailbox drain. */
  selfUrl: string;
  /** Mailbox folder of a route. */
  routePath(from: string, to: string): string;
}

/**
 * `plugins` block of a gateway's openclaw.json. `scrubEnv` lists the token variables the gateway
 * only needs for `${VAR}` substitution: the plugin removes them from the process environment once
 * the config is resolved, so the exec tool's shell no longer inherits them.
 */
export function delegatePluginConfig(fed: Federation, g: GatewayModel, at: PluginPlacement, scrubEnv: string[]): Record<string, unknown> {
  const peers: Record<string, Record<string, string | boolean>> = {};
  const reach = new Set(g.outbound.map((r) => r.to));
  // No descriptions here: OpenClaw substitutes `${…}` in every string of openclaw.json, and the
  // model reads them in SKILL.md and AGENTS.md anyway.
  const peer = (id: string) => (peers[id] ??= { reachable: reach.has(id) });
  for (const r of g.outbound) {
    const p = peer(r.to);
    if (r.transports.includes("mailbox")) p.outbox = at.routePath(g.id, r.to);
  }
  for (const r of g.inbound) {
    if (!r.transports.includes("mailbox")) continue;
    const p = peer(r.from);
    p.inbox = at.routePath(r.from, g.id);
    if (!p.outbox && g.outbound.some((o) => o.to === r.from && o.transports.includes("mailbox"))) p.outbox = at.routePath(g.id, r.from);
  }
  const config: Record<string, unknown> = {
    self: g.id,
    timeoutMs: DELEGATE_TIMEOUT_MS,
    selfUrl: at.selfUrl,
    peers,
    scrubEnv,
  };
  if (Object.values(peers).some((p) => p.inbox)) config.mailboxEveryMs = durationMs(fed.comms.heartbeat);
  return {
    load: { paths: [at.pluginPath] },
    entries: { [DELEGATE_PLUGIN]: { enabled: true, config } },
  };
}
