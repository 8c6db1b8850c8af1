/**
 * The `.env` plan of a federation: which variables exist, which of them hold secrets, and which
 * gateway receives which. A gateway only receives what it needs: its own tokens, the hooks tokens
 * of the gateways it may call over hooks, the A2A tokens of its own links, and the user secrets it
 * lists. The compile writes `.env` from this plan; the runtime takes the list of secret variables
 * from it (secretEnvNames) to redact their values.
 */
import type { Federation, GatewayModel } from "../federation/normalize.js";
import { a2aTokenEnv, gatewayTokenEnv, hooksTokenEnv, operatorTokenEnv } from "./names.js";
import { sorted } from "../render/serialize.js";

/**
 * One variable of the federation's `.env`.
 * - token: a random secret clawfed generates once and keeps across runs;
 * - user: a secret the user fills in (clawfed writes an empty placeholder and keeps any value);
 * - fixed: a value fully derived from the spec (e.g. COMPOSE_PROJECT_NAME);
 * - host: a fact of the host the writer looks up (e.g. the Docker socket's group id).
 */
export interface EnvSlot {
  name: string;
  kind: "token" | "user" | "fixed" | "host";
  /** For fixed slots: the value. For host slots: which fact ("docker-gid"). */
  value?: string;
  /** Gateways whose environment receives it. */
  consumers: string[];
  /** Gateways whose `--rotate` replaces it (tokens only). */
  rotateWith: string[];
  /** One line shown above it in .env. */
  comment: string;
}

/** Slot kinds whose values are secrets (never printed, redacted from logs and errors). */
export const SECRET_KINDS: ReadonlySet<EnvSlot["kind"]> = new Set(["token", "user"]);

/** Whether a slot's value is a secret: generated tokens and the user's own secrets. */
export function isSecretSlot(slot: EnvSlot): boolean {
  return SECRET_KINDS.has(slot.kind);
}

/** One A2A peer of a gateway and the directions of their a2a routes. */
export interface A2aPeer {
  peer: string;
  /** The peer may call this gateway (route peer → gateway). */
  inbound: boolean;
  /** This gateway may call the peer (route gateway → peer). */
  outbound: boolean;
}

/**
 * The A2A peers of a gateway: every gateway it shares an a2a route with, either direction, sorted
 * by id. Reads only the gateway's own routes (g.outbound / g.inbound), so planning a whole
 * federation is linear in its routes, not gateways × routes.
 */
export function a2aPeers(g: Pick<GatewayModel, "outbound" | "inbound">): A2aPeer[] {
  const peers = new Map<string, A2aPeer>();
  const entry = (peer: string) => {
    let e = peers.get(peer);
    if (!e) peers.set(peer, (e = { peer, inbound: false, outbound: false }));
    return e;
  };
  for (const r of g.outbound) if (r.transports.includes("a2a")) entry(r.to).outbound = true;
  for (const r of g.inbound) if (r.transports.includes("a2a")) entry(r.from).inbound = true;
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
    for (const p of a2aPeers(g)) {
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

const consumerIndexes = new WeakMap<readonly EnvSlot[], Map<string, string[]>>();

/**
 * Names of the env variables gateway `id` receives, in plan order (planEnv sorts the plan). The
 * plan is indexed by consumer once per plan, so asking for every gateway is linear in the plan.
 */
export function envFor(slots: readonly EnvSlot[], id: string): string[] {
  let index = consumerIndexes.get(slots);
  if (!index) {
    index = new Map();
    for (const s of slots) for (const c of s.consumers) (index.get(c) ?? index.set(c, []).get(c)!).push(s.name);
    consumerIndexes.set(slots, index);
  }
  return [...(index.get(id) ?? [])];
}

/** Names of the secret variables (tokens, user secrets) of any `.env` plan, sorted. */
export function secretNamesOf(plan: readonly EnvSlot[]): string[] {
  return sorted(plan.filter(isSecretSlot).map((s) => s.name));
}

/**
 * Names of the `.env` variables of `fed` that hold secrets (generated tokens and the user's own
 * secrets), sorted. Independent of the target: the compose-only variables COMPOSE_PROJECT_NAME and
 * CLAWFED_DOCKER_GID are not secrets. A target may add secrets of its own to its plan (a
 * CompileResult's `env`); to redact everything a generated output holds, use
 * `secretNamesOf(result.env)`, which includes these.
 */
export function secretEnvNames(fed: Federation): string[] {
  return secretNamesOf(planEnv(fed));
}
