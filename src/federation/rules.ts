/**
 * Cross-field rules: small named checks over the parsed spec and its normalized model. Each
 * returns issues with a key path; load.ts turns paths into file:line:col.
 */
import { a2aTokenEnv, gatewayTokenEnv, hooksTokenEnv, NATIVE_ROOT_DIRS, operatorTokenEnv } from "../vocabulary/names.js";
import { credentialIn } from "./credentials.js";
import type { Federation } from "./normalize.js";
import { hostPathProblem, mountTargetProblem, overlap } from "./paths.js";
import { idProblem, type SpecParsed } from "./schema.js";
import { kubernetesRules } from "./kubernetes-rules.js";
import { parseCidr, poolCapacity, poolPrefixFor, SUBNET_PREFIX } from "../vocabulary/subnets.js";
import { swarmNames } from "./swarm-rules.js";
import { ecsRules } from "./ecs-rules.js";

export interface RuleIssue {
  path: ReadonlyArray<string | number>;
  message: string;
  hint?: string;
  /** Point at the key rather than its value (e.g. a bad gateway id). */
  atKey?: boolean;
}

export interface RuleContext {
  /** Output target; native targets add port-spacing rules. */
  target: string;
}

type Rule = (spec: SpecParsed, fed: Federation, ctx: RuleContext) => RuleIssue[];

/** Targets whose gateways share one network namespace (ports must not overlap). */
export const NATIVE_TARGETS = new Set(["native", "systemd", "launchd"]);
/** Derived browser/CDP ports reach base + 110 (docs gateway/multiple-gateways.md). */
export const NATIVE_PORT_GAP = 120;

const gatewayIds: Rule = (spec, _fed, ctx) => {
  const out: RuleIssue[] = [];
  const ids = Object.keys(spec.gateways);
  if (ids.length === 0) out.push({ path: ["gateways"], message: "declares no gateway", hint: "add at least one gateway" });
  for (const id of ids) {
    const p = idProblem(id);
    if (p) out.push({ path: ["gateways", id], message: `gateway id "${id}" ${p.message}`, hint: p.hint || "rename it, e.g. goreos", atKey: true });
    // Gateway ids start the names of its variables (<ID>_GATEWAY_TOKEN); compose and OpenClaw only
    // substitute names that start with a letter or '_', so ${0_GATEWAY_TOKEN} would stay literal.
    else if (/^[0-9]/.test(id)) out.push({ path: ["gateways", id], message: `gateway id "${id}" starts with a digit, but it begins the names of the gateway's environment variables (${gatewayTokenEnv(id)}), which must start with a letter`, hint: `rename it, e.g. g${id}`, atKey: true });
  }
  for (const name of Object.keys(spec.knowledge)) {
    const p = idProblem(name);
    if (p) out.push({ path: ["knowledge", name], message: `knowledge name "${name}" ${p.message}`, hint: p.hint || "rename it, e.g. docs", atKey: true });
  }
  if (NATIVE_TARGETS.has(ctx.target)) {
    // Native gateways live in <root>/<id>/, beside the root's own folders.
    const reserved = new Set<string>(Object.values(NATIVE_ROOT_DIRS));
    for (const id of ids) {
      if (reserved.has(id)) {
        out.push({ path: ["gateways", id], message: `gateway id "${id}" is the name of a folder of the ${ctx.target} target's root (<root>/${id}/), where this gateway's home would be`, hint: `rename it, e.g. ${id}-1`, atKey: true });
      }
    }
  }
  return out;
};

/**
 * OpenClaw substitutes `${VAR}` in every string of openclaw.json (and reads `$${` as an escape):
 * docs gateway/config-secrets-env.md. The user strings clawfed writes there must not hold `${`,
 * or a gateway's config could pull in any variable of its environment (a token, a key).
 */
const SUBSTITUTION = /\$\{/;

const noSubstitution: Rule = (spec) => {
  const out: RuleIssue[] = [];
  const check = (p: ReadonlyArray<string | number>, value: string | undefined, what: string) => {
    if (value !== undefined && SUBSTITUTION.test(value)) {
      out.push({ path: p, message: `${what} contains "\${", which OpenClaw reads as an environment variable reference (\${VAR}) in openclaw.json`, hint: "remove the '$' (clawfed writes every secret reference itself)" });
    }
  };
  for (const [id, g] of Object.entries(spec.gateways)) check(["gateways", id, "agent", "name"], g.agent.name, "the agent name");
  check(["comms", "path"], spec.comms?.path, "the mailbox path (the delegate plugin reads it from openclaw.json)");
  for (const [name, k] of Object.entries(spec.knowledge)) {
    check(["knowledge", name, "path"], k.path, "the knowledge path (native gateways read it from openclaw.json)");
    check(["knowledge", name, "mount"], k.mount, "the mount path (gateways read it from openclaw.json)");
  }
  return out;
};

const uniquePorts: Rule = (spec, _fed, ctx) => {
  const out: RuleIssue[] = [];
  const seen = new Map<number, string>();
  const native = NATIVE_TARGETS.has(ctx.target);
  const entries = Object.entries(spec.gateways);
  for (const [id, g] of entries) {
    const prev = seen.get(g.port);
    if (prev !== undefined) {
      out.push({ path: ["gateways", id, "port"], message: `${g.port} is already used by ${prev}`, hint: "pick another port" });
      continue;
    }
    seen.set(g.port, id);
    if (native) {
      for (const [otherId, other] of entries) {
        if (otherId === id || other.port === g.port || otherId > id) continue;
        if (Math.abs(other.port - g.port) < NATIVE_PORT_GAP) {
          out.push({
            path: ["gateways", id, "port"],
            message: `${g.port} is within ${NATIVE_PORT_GAP} of ${otherId}'s ${other.port}: native gateways share one host, and each uses ports up to base + 110 (browser control and CDP)`,
            hint: `space base ports at least ${NATIVE_PORT_GAP} apart, e.g. 18789, 18909, 19029`,
          });
        }
      }
    }
    if (native && g.port + 110 > 65535) {
      out.push({ path: ["gateways", id, "port"], message: `${g.port} + 110 (derived ports) exceeds 65535`, hint: "pick a lower base port" });
    }
  }
  return out;
};

const topology: Rule = (spec) => {
  const out: RuleIssue[] = [];
  const hubs = Object.entries(spec.gateways).filter(([, g]) => g.role === "hub").map(([id]) => id);
  if (spec.topology === "hub-and-spoke") {
    if (hubs.length !== 1) {
      out.push({
        path: hubs.length > 1 ? ["gateways", hubs[1]!, "role"] : ["gateways"],
        message: hubs.length === 0 ? "a hub-and-spoke federation needs exactly one gateway with role: hub; none has it" : `a hub-and-spoke federation has exactly one hub; ${hubs.join(", ")} all say role: hub`,
        hint: hubs.length === 0 ? "set role: hub on the gateway that talks to the user" : "make the others role: spoke, or set topology: mesh",
      });
    } else {
      const hub = hubs[0]!;
      spec.links.forEach((l, i) => {
        if (l.from !== hub && l.to !== hub && spec.gateways[l.from] && spec.gateways[l.to] && l.from !== l.to) {
          out.push({
            path: ["links", i],
            message: `links two spokes (${l.from} and ${l.to}), but in a hub-and-spoke federation every link touches the hub ${hub}`,
            hint: "link each spoke to the hub, or set topology: mesh",
          });
        }
      });
    }
  } else if (hubs.length > 1) {
    out.push({ path: ["gateways", hubs[1]!, "role"], message: `at most one gateway may be the hub; ${hubs.join(", ")} all say role: hub`, hint: "make the others role: spoke" });
  }
  return out;
};

const links: Rule = (spec) => {
  const out: RuleIssue[] = [];
  const ids = Object.keys(spec.gateways);
  const seen = new Map<string, number>();
  spec.links.forEach((l, i) => {
    for (const end of ["from", "to"] as const) {
      if (!spec.gateways[l[end]]) {
        out.push({ path: ["links", i, end], message: `names gateway "${l[end]}", which is not declared`, hint: `use one of: ${ids.join(", ")}` });
      }
    }
    if (l.from === l.to) out.push({ path: ["links", i, "to"], message: `links ${l.from} to itself`, hint: "a link joins two different gateways" });
    const dupT = l.transports.find((t, j) => l.transports.indexOf(t) !== j);
    if (dupT) out.push({ path: ["links", i, "transports"], message: `lists transport ${dupT} twice`, hint: "list each transport once" });
    const dirs = l.oneWay ? [`${l.from}>${l.to}`] : [`${l.from}>${l.to}`, `${l.to}>${l.from}`];
    for (const d of dirs) {
      const prev = seen.get(d);
      if (prev !== undefined) {
        out.push({ path: ["links", i], message: `the direction ${d.replace(">", " → ")} is already declared by links[${prev}]`, hint: "declare each pair once; use transports for several ways of talking" });
        break;
      }
    }
    for (const d of dirs) if (!seen.has(d)) seen.set(d, i);
    // A hooks route needs the callee's hooks endpoint (and so its hooks token).
    if (l.transports.includes("hooks")) {
      for (const callee of l.oneWay ? [l.to] : [l.from, l.to]) {
        if (spec.gateways[callee]?.hooks === false) {
          out.push({ path: ["links", i, "transports"], message: `uses hooks towards ${callee}, whose hooks are off (gateways.${callee}.hooks: false)`, hint: `remove hooks from this link, or turn ${callee}'s hooks on` });
        }
      }
    }
  });
  return out;
};

/**
 * Where knowledge and the mailbox may live (paths.ts holds the lists and says why): host folders
 * (knowledge.<k>.path, comms.path) not the host root, a system folder, the Docker socket or a
 * folder containing it; mount targets (knowledge.<k>.mount, default /shared/<k>) not on, inside or
 * above a reserved container path nor another knowledge mount; the mailbox folder apart from every
 * knowledge folder (gateways write into the mailbox; knowledge stays read-only). Paths arrive
 * normalised by the schema, so `/shared//x/` and `/shared/x` are the same mount.
 */
const mounts: Rule = (spec) => {
  const out: RuleIssue[] = [];
  const byMount = new Map<string, string>();
  const knowledge = Object.entries(spec.knowledge);
  const mountKey = (name: string): RuleIssue["path"] => (spec.knowledge[name]!.mount ? ["knowledge", name, "mount"] : ["knowledge", name]);
  for (const [name, k] of knowledge) {
    const host = hostPathProblem(k.path, name);
    if (host) out.push({ path: ["knowledge", name, "path"], message: `${k.path} ${host.message}`, hint: host.hint });
    const mount = k.mount ?? `/shared/${name}`;
    const target = mountTargetProblem(mount);
    if (target) out.push({ path: mountKey(name), message: `mount path ${mount} ${target.message}`, hint: target.hint, atKey: !k.mount });
    const prev = byMount.get(mount);
    if (prev !== undefined) out.push({ path: mountKey(name), message: `mount path ${mount} is already used by knowledge ${prev}`, hint: "give each knowledge base its own mount", atKey: !k.mount });
    else byMount.set(mount, name);
  }
  // A mount inside another hides part of it (or is hidden): check each mount's ancestors, O(n·depth).
  for (const [name, k] of knowledge) {
    const mount = k.mount ?? `/shared/${name}`;
    for (let up = mount.lastIndexOf("/"); up > 0; up = mount.lastIndexOf("/", up - 1)) {
      const other = byMount.get(mount.slice(0, up));
      if (other !== undefined && other !== name) {
        out.push({ path: mountKey(name), message: `mount path ${mount} is inside ${mount.slice(0, up)}, the mount of knowledge ${other}`, hint: "mount knowledge bases side by side, e.g. /shared/<name>", atKey: !k.mount });
        break;
      }
    }
  }
  const comms = spec.comms?.path;
  if (comms) {
    const host = hostPathProblem(comms, "comms");
    if (host) out.push({ path: ["comms", "path"], message: `${comms} ${host.message}`, hint: host.hint });
    for (const [name, k] of knowledge) {
      const o = overlap(comms, k.path);
      if (o) {
        out.push({
          path: ["comms", "path"],
          message: `${comms} ${o === "same" ? "is" : o === "inside" ? "is inside" : "contains"} the folder of knowledge ${name} (${k.path}): gateways write into the mailbox, knowledge must stay read-only`,
          hint: "keep the mailbox and the knowledge folders apart, e.g. /srv/<federation>/comms",
        });
      }
    }
  }
  for (const [id, g] of Object.entries(spec.gateways)) {
    g.knowledge.forEach((name, i) => {
      if (!spec.knowledge[name]) {
        const known = Object.keys(spec.knowledge);
        out.push({ path: ["gateways", id, "knowledge", i], message: `names knowledge "${name}", which is not declared`, hint: known.length ? `use one of: ${known.join(", ")}` : "declare it under knowledge:" });
      }
    });
  }
  return out;
};

const RESERVED_ENV = /^(OPENCLAW_|COMPOSE_|CLAWFED_|DOCKER_)|^(HOME|PATH|USER|NODE_OPTIONS|NODE_ENV|TZ)$/;

const secrets: Rule = (spec, fed) => {
  const out: RuleIssue[] = [];
  const generated = new Map<string, string>();
  for (const g of fed.gateways) {
    generated.set(gatewayTokenEnv(g.id), `${g.id}'s gateway token`);
    generated.set(hooksTokenEnv(g.id), `${g.id}'s hooks token`);
    generated.set(operatorTokenEnv(g.id), `${g.id}'s operator token`);
  }
  for (const r of fed.routes) generated.set(a2aTokenEnv(r.from, r.to), `the A2A token ${r.from} → ${r.to}`);
  const botOwner = new Map<string, string>();
  for (const [id, g] of Object.entries(spec.gateways)) {
    const names: Array<[ReadonlyArray<string | number>, string]> = g.secrets.map((s, i) => [["gateways", id, "secrets", i], s]);
    const tg = g.channels.telegram;
    if (tg) names.push([["gateways", id, "channels", "telegram", "botToken"], tg.botToken]);
    for (const [p, name] of names) {
      const gen = generated.get(name);
      if (gen) out.push({ path: p, message: `${name} is the name clawfed gives ${gen}`, hint: "name your variable differently" });
      else if (RESERVED_ENV.test(name)) out.push({ path: p, message: `${name} is reserved for OpenClaw, compose or clawfed`, hint: "name your variable differently" });
    }
    if (tg) {
      const prev = botOwner.get(tg.botToken);
      if (prev) out.push({ path: ["gateways", id, "channels", "telegram", "botToken"], message: `${tg.botToken} is already ${prev}'s bot token; each gateway needs its own Telegram bot`, hint: "create another bot with @BotFather and name its variable here" });
      botOwner.set(tg.botToken, id);
      if (tg.dmPolicy === "allowlist" && tg.allowFrom.length === 0) {
        out.push({ path: ["gateways", id, "channels", "telegram", "allowFrom"], message: "dmPolicy allowlist with an empty allowFrom drops every DM", hint: "list the Telegram user ids that may write, or use dmPolicy: disabled" });
      }
    }
  }
  return out;
};

/**
 * Every string and every key anywhere in the spec that contains a credential (credentials.ts: the
 * same list the schema uses), e.g. a key pasted into an image name or a gateway id. Free-text
 * fields got a message from the schema already. The message names the kind, never the value.
 */
const literalSecrets: Rule = (spec) => {
  const out: RuleIssue[] = [];
  const hint = "move it to the federation's .env and reference its variable name";
  const walk = (v: unknown, p: Array<string | number>) => {
    if (typeof v === "string") {
      const what = credentialIn(v);
      if (what) out.push({ path: p, message: `contains what looks like ${what}; secrets never go in the spec`, hint });
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        const what = credentialIn(k);
        if (what) out.push({ path: [...p, k], message: `this key looks like ${what}; secrets never go in the spec`, hint, atKey: true });
        walk(x, [...p, k]);
      }
    }
  };
  // Env-var-name fields already got a precise message from the schema; skip them here.
  const { gateways, ...rest } = spec;
  walk(rest, []);
  for (const [id, g] of Object.entries(gateways)) {
    const what = credentialIn(id);
    if (what) out.push({ path: ["gateways", id], message: `this gateway id looks like ${what}; secrets never go in the spec`, hint, atKey: true });
    const { secrets: _s, channels: _c, ...others } = g;
    walk(others, ["gateways", id]);
  }
  return out;
};

/**
 * Targets whose networks take their subnets from `network.pool` (one per link, one egress network
 * per gateway). Not kubernetes (NetworkPolicy, no networks) nor the host targets (no networks).
 */
export const NETWORK_TARGETS = new Set(["compose"]);

/** The compose layout's networks (an egress network per gateway, a network per linked pair) fit in `network.pool`. */
const networkPool: Rule = (spec, fed, ctx) => {
  if (!NETWORK_TARGETS.has(ctx.target)) return [];
  const pool = parseCidr(fed.networkPool);
  if ("problem" in pool) return []; // the shape check reported it
  const needed = fed.gateways.length + fed.pairs.length;
  const capacity = poolCapacity(pool);
  if (needed <= capacity) return [];
  const what = `${fed.gateways.length} egress network(s) and ${fed.pairs.length} link network(s)`;
  return [{
    path: ["network", "pool"], // absent: points at the top level, where the key goes
    message: `${spec.network ? "network.pool" : `the default network pool`} ${fed.networkPool} holds ${capacity} /${SUBNET_PREFIX} subnet(s), but this federation needs ${needed} (${what})`,
    hint: `set network: { pool: <block> } to a /${poolPrefixFor(needed)} or larger that no other network of this host uses`,
  }];
};

/**
 * Every `<provider>/<model>` a gateway names must exist when the provider is one of the spec's
 * own (`models.providers`): OpenClaw validation does not catch a model its provider lacks (facts
 * Appendix C), the gateway would only fail at its first run. Built-in providers are not checked.
 * A provider's key variable follows the same naming rules as other secrets.
 */
const modelRefs: Rule = (spec) => {
  const out: RuleIssue[] = [];
  const providers = spec.models?.providers ?? {};
  for (const [id, g] of Object.entries(spec.gateways)) {
    const refs: Array<[ReadonlyArray<string | number>, string]> =
      typeof g.model === "string"
        ? [[["gateways", id, "model"], g.model]]
        : [[["gateways", id, "model", "primary"], g.model.primary], ...g.model.fallbacks.map((m, i): [ReadonlyArray<string | number>, string] => [["gateways", id, "model", "fallbacks", i], m])];
    for (const [p, ref] of refs) {
      const slash = ref.indexOf("/");
      const provider = providers[ref.slice(0, slash)];
      if (!provider) continue;
      const model = ref.slice(slash + 1);
      if (!provider.models.some((m) => m.id === model)) {
        const known = provider.models.map((m) => `${ref.slice(0, slash)}/${m.id}`);
        out.push({ path: p, message: `${ref}: provider "${ref.slice(0, slash)}" has no model "${model}"`, hint: `use one of: ${known.join(", ")}, or add it under models.providers.${ref.slice(0, slash)}.models` });
      }
    }
  }
  for (const [pid, provider] of Object.entries(providers)) {
    if (provider.apiKey && RESERVED_ENV.test(provider.apiKey)) {
      out.push({ path: ["models", "providers", pid, "apiKey"], message: `${provider.apiKey} is reserved for OpenClaw, compose or clawfed`, hint: "name your variable differently" });
    }
  }
  return out;
};

/** Every rule, in the order their issues are reported. */
export const RULES: ReadonlyArray<[string, Rule]> = [
  ["gateway-ids", gatewayIds],
  ["no-substitution", noSubstitution],
  ["unique-ports", uniquePorts],
  ["topology", topology],
  ["links", links],
  ["mounts", mounts],
  ["secrets", secrets],
  ["model-refs", modelRefs],
  ["literal-secrets", literalSecrets],
  ["kubernetes", kubernetesRules],
  ["network-pool", networkPool],
  ["swarm-names", swarmNames],
  ["ecs", ecsRules],
];

export function checkRules(spec: SpecParsed, fed: Federation, ctx: RuleContext): RuleIssue[] {
  return RULES.flatMap(([, rule]) => rule(spec, fed, ctx));
}
