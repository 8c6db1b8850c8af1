/**
 * The `.env` plan of a federation: which secrets exist and which gateway receives which.
 * A gateway only receives what it needs: its own tokens, the hooks tokens of the gateways it may
 * call over hooks, the A2A tokens of its own links, and the user secrets it lists.
 */
import type { Federation } from "../federation/normalize.js";
import type { EnvSlot } from "./artifact.js";
import { a2aTokenEnv, gatewayTokenEnv, hooksTokenEnv } from "./names.js";
import { operatorTokenEnv } from "./delegation.js";
import { sorted } from "../render/serialize.js";

/** The A2A peers of a gateway: every gateway it shares an a2a route with, either direction. */
export function a2aPeers(fed: Federation, id: string): Array<{ peer: string; inbound: boolean; outbound: boolean }> {
  const peers = new Map<string, { peer: string; inbound: boolean; outbound: boolean }>();
  const entry = (peer: string) => {
    let e = peers.get(peer);
    if (!e) peers.set(peer, (e = { peer, inbound: false, outbound: false }));
    return e;
  };
  for (const r of fed.routes) {
    if (!r.transports.includes("a2a")) continue;
    if (r.from === id) entry(r.to).outbound = true;
    if (r.to === id) entry(r.from).inbound = true;
  }
  return sorted(peers.keys()).map((p) => peers.get(p)!);
}

export function planEnv(fed: Federation, opts: { projectName?: boolean; dockerGid?: boolean } = {}): EnvSlot[] {
  const slots = new Map<string, EnvSlot>();
  const add = (s: EnvSlot) => {
    const prev = slots.get(s.name);
    if (prev) {
      prev.consumers = sorted(new Set([...prev.consumers, ...s.consumers]));
      prev.rotateWith = sorted(new Set([...prev.rotateWith, ...s.rotateWith]));
    } else slots.set(s.name, { ...s, consumers: sorted(new Set(s.consumers)), rotateWith: sorted(new Set(s.rotateWith)) });
  };
  if (opts.projectName) {
    add({ name: "COMPOSE_PROJECT_NAME", kind: "fixed", value: fed.name, consumers: [], rotateWith: [], comment: "compose project of this federation" });
  }
  if (opts.dockerGid && fed.gateways.some((g) => g.sandboxed)) {
    add({ name: "CLAWFED_DOCKER_GID", kind: "host", value: "docker-gid", consumers: [], rotateWith: [], comment: "group of the Docker socket, for gateways that start sandbox containers" });
  }
  for (const g of fed.gateways) {
    add({ name: gatewayTokenEnv(g.id), kind: "token", consumers: [g.id], rotateWith: [g.id], comment: `${g.id}: gateway auth token (gateway.auth.token)` });
    // The host's own A2A peer (`clawfed ask`): only this gateway and the host's .env hold it.
    add({ name: operatorTokenEnv(g.id), kind: "token", consumers: [g.id], rotateWith: [g.id], comment: `${g.id}: operator token of \`clawfed ask\` (A2A peer clawfed.operator)` });
    if (g.hooks) {
      const callers = g.inbound.filter((r) => r.transports.includes("hooks")).map((r) => r.from);
      add({ name: hooksTokenEnv(g.id), kind: "token", consumers: [g.id, ...callers], rotateWith: [g.id], comment: `${g.id}: webhook token (hooks.token)` });
    }
    for (const p of a2aPeers(fed, g.id)) {
      // Inbound token from the peer; for a one-way link nobody else receives it, so the peer
      // cannot call in (OpenClaw requires a token on every peer entry).
      const inName = a2aTokenEnv(p.peer, g.id);
      add({
        name: inName,
        kind: "token",
        consumers: p.inbound ? [g.id, p.peer] : [g.id],
        rotateWith: [g.id, p.peer],
        comment: p.inbound ? `A2A: ${p.peer} → ${g.id}` : `A2A: ${p.peer} → ${g.id} (sealed: the link is one-way, ${p.peer} never receives it)`,
      });
    }
  }
  for (const g of fed.gateways) {
    for (const s of g.secrets) add({ name: s, kind: "user", consumers: [g.id], rotateWith: [], comment: "your secret" });
    for (const p of fed.providers) {
      if (p.apiKeyEnv && g.providers.includes(p.id)) add({ name: p.apiKeyEnv, kind: "user", consumers: [g.id], rotateWith: [], comment: `API key of the model provider ${p.id}` });
    }
    if (g.telegram) add({ name: g.telegram.botTokenEnv, kind: "user", consumers: [g.id], rotateWith: [], comment: `${g.id}: Telegram bot token from @BotFather` });
  }
  const order = { fixed: 0, host: 1, token: 2, user: 3 } as const;
  return [...slots.values()].sort((a, b) => order[a.kind] - order[b.kind] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Names of the env variables gateway `id` receives, sorted. */
export function envFor(slots: EnvSlot[], id: string): string[] {
  return slots.filter((s) => s.consumers.includes(id)).map((s) => s.name);
}
