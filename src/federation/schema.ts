/**
 * The federation spec: the zod schema is the single source of the spec's TypeScript types and of
 * the JSON Schema that `clawfed schema` prints for editors.
 *
 * Shape only. Defaults that depend on other fields live in normalize.ts; rules that relate
 * fields to each other (unique ports, links to existing gateways, …) live in rules.ts.
 *
 * The value grammars (ids, image references, env names, free text, paths, durations) live in
 * values.ts and are re-exported here; the ECS and Kubernetes keys in their own *-schema.ts files.
 */
import { z } from "zod";
import { Kubernetes } from "./kubernetes-schema.js";
import { DEFAULT_NETWORK_POOL, MIN_POOL_PREFIX, parseCidr, SUBNET_PREFIX } from "../vocabulary/subnets.js";
import { GatewayEcs, SpecEcs, Tags } from "./ecs-schema.js";

import {
  AbsolutePath,
  AGENT_NAME_MAX,
  DEFAULT_OPENCLAW_VERSION,
  Duration,
  EnvVarName,
  ENV_NAME_PATTERN,
  FEDERATION_DESCRIPTION_MAX,
  freeText,
  GATEWAY_DESCRIPTION_MAX,
  id,
  ImageRef,
  KNOWLEDGE_DESCRIPTION_MAX,
  OFFICIAL_IMAGE_REPO,
} from "./values.js";

// The value grammars moved to values.ts; re-exported so every import of schema.ts keeps working.
export * from "./values.js";

const ModelRef = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._:-]*$/, {
    message: 'must be "provider/model", e.g. anthropic/claude-sonnet-4-6',
  });

export const Model = z
  .union([
    ModelRef,
    z
      .object({
        primary: ModelRef.describe("Primary model, `provider/model`."),
        fallbacks: z.array(ModelRef).default([]).describe("Models tried in order when the primary fails."),
      })
      .strict(),
  ])
  .describe(
    "Model of the gateway's agent: `provider/model`, or { primary, fallbacks }. Written to agents.entries.<agent>.model (OpenClaw docs gateway/config-agents/models.md).",
  );

/** Provider ids as OpenClaw reads the `<provider>/` part of a model ref. */
export const PROVIDER_ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
/** Model ids as the `/<model>` part of a model ref. */
export const MODEL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** Host name a container uses for the Docker host (compose `extra_hosts: host.docker.internal:host-gateway`). */
export const HOST_GATEWAY_NAME = "host.docker.internal";

/**
 * A model provider of OpenClaw's config (`models.providers.<id>`, docs gateway/config-agents/models.md;
 * facts Appendix C: `{ baseUrl, api, apiKey?, models: [{ id, name }] }` validates with 0 warnings).
 * For local servers (Ollama, LM Studio, vLLM, LiteLLM) and company proxies.
 */
export const ModelProvider = z
  .object({
    baseUrl: z
      .string()
      .regex(/^https?:\/\/[^\s$]+$/, { message: "must be an http(s) URL without spaces or '$', e.g. http://host.docker.internal:11434/v1" })
      .describe(
        `Endpoint of the provider, e.g. http://${HOST_GATEWAY_NAME}:11434/v1 for an Ollama on the Docker host (compose maps ${HOST_GATEWAY_NAME} to the host; native targets use 127.0.0.1).`,
      ),
    api: z
      .enum(["openai-completions", "openai-responses", "anthropic-messages", "ollama"])
      .default("openai-completions")
      .describe("Wire protocol (models.providers.<id>.api); OpenAI-compatible servers use openai-completions."),
    apiKey: EnvVarName.optional().describe("Name of the .env variable holding the provider's key; omit for keyless local servers."),
    models: z
      .array(
        z
          .object({
            id: z.string().regex(MODEL_ID_PATTERN, { message: "model ids are letters, digits, '.', '_', ':' and '-'" }).describe("Model id as the provider knows it."),
            name: freeText("the model name", AGENT_NAME_MAX, { required: true }).optional().describe("Display name; defaults to the id."),
          })
          .strict(),
      )
      .min(1)
      .describe("Models this provider serves; gateways refer to them as <provider>/<id>."),
  })
  .strict();

const TelegramUserId = z
  .union([z.number().int().positive(), z.string().regex(/^(?:(?:tg|telegram):)?\d+$/)])
  .describe("A numeric Telegram user id (optionally prefixed tg: or telegram:).");

export const Telegram = z
  .object({
    botToken: EnvVarName.describe("Name of the .env variable holding this gateway's own bot token (one bot per gateway)."),
    dmPolicy: z
      .enum(["pairing", "allowlist", "open", "disabled"])
      .default("allowlist")
      .describe(
        "Who may DM the bot (channels.telegram.dmPolicy). The spec owns the config, so pairing approvals cannot be saved: prefer allowlist.",
      ),
    allowFrom: z
      .array(TelegramUserId)
      .default([])
      .describe("Telegram user ids allowed to DM the bot (channels.telegram.allowFrom); required with dmPolicy allowlist."),
    owners: z
      .array(TelegramUserId)
      .default([])
      .describe("Telegram user ids that own this gateway (commands.ownerAllowFrom); heartbeat reports go to them."),
  })
  .strict()
  .describe("Telegram channel (OpenClaw docs channels/telegram.md).");

export const Sandbox = z
  .object({
    mode: z
      .enum(["off", "non-main", "all"])
      .default("off")
      .describe("Which sessions run in a sandbox container (agents.defaults.sandbox.mode)."),
    scope: z.enum(["session", "agent", "shared"]).default("agent").describe("One sandbox per session, per agent, or shared."),
    workspaceAccess: z
      .enum(["none", "ro", "rw"])
      .default("none")
      .describe("How the sandbox sees the agent workspace: none, read-only at /agent, read-write at /workspace."),
    network: z
      .string()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/)
      .refine((n) => n !== "host", { message: 'network "host" is blocked by OpenClaw', params: { hint: 'use "none" or "bridge"' } })
      .default("none")
      .describe('Docker network of the sandbox containers; "none" (default, no egress) or "bridge".'),
  })
  .strict()
  .describe(
    "Agent sandboxing (OpenClaw docs gateway/config-agents/sandbox.md). With mode non-main or all, a containerised gateway gets the Docker socket to start sibling sandbox containers.",
  );

/** Smallest memory limit clawfed accepts (MiB): a gateway's Node process alone needs more. */
export const MIN_MEMORY_MIB = 512;
/** Largest memory limit clawfed accepts (MiB), 1 TiB: more is a typo (and can overflow Docker's int64 bytes). */
export const MAX_MEMORY_MIB = 1024 * 1024;
/** Smallest CPU limit clawfed accepts (cores). */
export const MIN_CPUS = 0.25;

/**
 * Why `size` (compose mem_limit syntax, `<number><k|m|g>`) is not a usable gateway memory limit,
 * or undefined. Compose and Docker read 0 as "no limit" (HostConfig.Memory 0), Docker refuses
 * limits under 6 MiB, and a gateway uses about 700-740 MiB (README): anything under
 * {@link MIN_MEMORY_MIB} would silently drop the limit, fail `up`, or be OOM-killed at start.
 */
export function memoryProblem(size: string): string | undefined {
  const m = /^(\d+(?:\.\d+)?)([kmg])$/i.exec(size);
  if (!m) return "must be a size like 2g or 1536m (a number and a unit k, m or g)";
  const mib = Number(m[1]) * ({ k: 1 / 1024, m: 1, g: 1024 } as const)[m[2]!.toLowerCase() as "k" | "m" | "g"];
  if (mib === 0) return `${size} would remove the memory limit (compose and Docker read 0 as "unlimited"), not set one`;
  if (mib < MIN_MEMORY_MIB) return `${size} is below the minimum of ${MIN_MEMORY_MIB}m: a gateway uses about 700 MiB and would be OOM-killed at start${mib < 6 ? " (Docker itself refuses limits under 6m)" : ""}`;
  if (mib > MAX_MEMORY_MIB) return `${size} is more than 1 TiB (${MAX_MEMORY_MIB / 1024}g), surely a typo`;
  return undefined;
}

export const Resources = z
  .object({
    memory: z
      .string({
        error: (iss) =>
          iss.input === undefined
            ? undefined
            : iss.input === 0
              ? 'must be a size like 2g: 0 would remove the memory limit (compose and Docker read 0 as "unlimited"), not set one'
              : "must be a size with a unit like 2g or 1536m (a bare number would be bytes)",
      })
      .superRefine((size, ctx) => {
        const problem = memoryProblem(size);
        if (problem) ctx.addIssue({ code: "custom", message: problem, params: { hint: "a gateway needs about 1 GB; 2g is the default" } });
      })
      .meta({ pattern: "^\\d+(\\.\\d+)?[kmgKMG]$" })
      .default("2g")
      .describe(
        `Memory limit (compose mem_limit), a size like 2g or 1536m, from ${MIN_MEMORY_MIB}m to ${MAX_MEMORY_MIB / 1024}g. A gateway needs about 1 GB; below 1536m it may be OOM-killed.`,
      ),
    cpus: z
      .number()
      .min(MIN_CPUS, {
        message: `must be at least ${MIN_CPUS} cores: compose reads 0 as "no limit", and a gateway needs about 20 s of 2 cores to start (2 is the default)`,
      })
      .max(512)
      .default(2)
      .describe(`CPU limit in cores (compose cpus), from ${MIN_CPUS} to 512.`),
    pids: z.number().int().min(64).max(1_000_000).default(512).describe("Process limit (compose pids_limit)."),
  })
  .strict()
  .describe("Resource limits of the gateway's container (defaults match `openclaw fleet`).");

export const Gateway = z
  .object({
    role: z.enum(["hub", "spoke"]).default("spoke").describe("hub talks to the user and delegates; spokes are specialists."),
    port: z
      .number()
      .int()
      .min(1024)
      .max(65535)
      .describe(
        "Host port. Compose publishes the container's 18789 on 127.0.0.1:<port>; native targets use it as the gateway's base port.",
      ),
    description: freeText("the description", GATEWAY_DESCRIPTION_MAX, { required: true }).describe(
      `The gateway's domain in a sentence; shown to other gateways in the federation-delegate skill. One line, at most ${GATEWAY_DESCRIPTION_MAX} characters, no secrets.`,
    ),
    agent: z
      .object({
        id: z
          .string()
          .regex(/^[a-z0-9_][a-z0-9_-]{0,63}$/, { message: "agent ids are lower-case a-z, 0-9, '_' and '-'" })
          .optional()
          .describe("Agent id inside the gateway (agents.entries key); defaults to the gateway id."),
        name: freeText("the agent name", AGENT_NAME_MAX, { required: true })
          .optional()
          .describe(`Display name of the agent; defaults to the gateway id. One line, at most ${AGENT_NAME_MAX} characters.`),
      })
      .strict()
      .default({})
      .describe("The gateway's single agent."),
    model: Model,
    channels: z
      .object({ telegram: Telegram.optional() })
      .strict()
      .default({})
      .describe("Messaging channels of this gateway. A gateway without channels is reachable only through links."),
    hooks: z
      .boolean()
      .optional()
      .describe("Enable the webhook endpoints (/hooks/agent, /hooks/wake). Default: on when a link uses the hooks transport towards this gateway."),
    sandbox: Sandbox.default({ mode: "off", scope: "agent", workspaceAccess: "none", network: "none" }),
    knowledge: z.array(z.string()).default([]).describe("Names of `knowledge` mounts this gateway sees (read-only)."),
    secrets: z
      .array(EnvVarName)
      .default([])
      .describe("Extra .env variables this gateway needs, e.g. ANTHROPIC_API_KEY. Only these reach its environment."),
    resources: Resources.default({ memory: "2g", cpus: 2, pids: 512 }),
    image: ImageRef.optional().describe("Image for this gateway only (clawfed rollout records new images here)."),
    tags: Tags.describe("Tags of this gateway's AWS resources (ecs target), added to the federation's tags."),
    ecs: GatewayEcs,
  })
  .strict();

export const Knowledge = z
  .object({
    path: AbsolutePath.describe("Host directory (absolute)."),
    mount: AbsolutePath.optional().describe("Path inside the gateways; default /shared/<name>."),
    description: freeText("the description", KNOWLEDGE_DESCRIPTION_MAX)
      .optional()
      .describe(`What is in it; shown in the workspace instructions. One line, at most ${KNOWLEDGE_DESCRIPTION_MAX} characters.`),
  })
  .strict()
  .describe("A shared knowledge base, mounted read-only into the gateways that list it.");

export const Transport = z
  .enum(["a2a", "hooks", "mailbox"])
  .describe(
    "a2a: the bundled A2A channel (request/reply, a token per direction); hooks: POST /hooks/agent and /hooks/wake with the target's hooks token; mailbox: JSON files in comms/<from>--to--<to>/.",
  );

export const Link = z
  .object({
    from: z.string().describe("Gateway id that may reach `to`."),
    to: z.string().describe("Gateway id that `from` may reach."),
    oneWay: z.boolean().default(false).describe("When true only `from` may reach `to`; by default both directions are allowed."),
    transports: z.array(Transport).min(1).default(["a2a"]).describe("How the gateways talk; default [a2a]."),
  })
  .strict()
  .describe("Which gateway may reach which. Gateways without a link cannot resolve or reach each other.");

/** An IPv4 block for `network.pool`: host bits zero, from a /8 to a /29. */
const Pool = z
  .string()
  .superRefine((text, ctx) => {
    const c = parseCidr(text);
    if ("problem" in c) ctx.addIssue({ code: "custom", message: c.problem, params: { hint: `e.g. ${DEFAULT_NETWORK_POOL}` } });
    else if (c.prefix < MIN_POOL_PREFIX || c.prefix > SUBNET_PREFIX) {
      ctx.addIssue({ code: "custom", message: `a /${c.prefix} pool is not accepted: it must be from a /${MIN_POOL_PREFIX} to a /${SUBNET_PREFIX} (one network)`, params: { hint: `e.g. ${DEFAULT_NETWORK_POOL}` } });
    }
  })
  .meta({ pattern: "^\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+$" });

export const Network = z
  .object({
    pool: Pool.default(DEFAULT_NETWORK_POOL).describe(
      `IPv4 block the compose target takes one /${SUBNET_PREFIX} subnet per generated network from (one per link, one egress network per gateway); default ${DEFAULT_NETWORK_POOL}. ` +
        "Pick a block no other Docker network, VPN or LAN route of the host uses; two federations on one host need different pools.",
    ),
  })
  .strict()
  .describe("Addresses of the generated Docker networks (compose target). Explicit subnets let one host run more than the ~30 networks of Docker's default pools.");

export const Spec = z
  .object({
    $schema: z.string().optional().describe("JSON Schema reference for editors (ignored)."),
    name: id("the federation name").describe("Federation name: the compose project name and the prefix of its resources."),
    description: freeText("the description", FEDERATION_DESCRIPTION_MAX)
      .optional()
      .describe(`What this federation is for. One line, at most ${FEDERATION_DESCRIPTION_MAX} characters.`),
    openclaw: z
      .object({
        version: z
          .string()
          .regex(/^\d{4}\.\d+\.\d+(-[0-9A-Za-z.]+)?$/, { message: "must be an OpenClaw release like 2026.9.6" })
          .default(DEFAULT_OPENCLAW_VERSION)
          .describe("OpenClaw release the generated configs target."),
        image: ImageRef.optional().describe(`Gateway image; default ${OFFICIAL_IMAGE_REPO}:<version>.`),
      })
      .strict()
      .default({ version: DEFAULT_OPENCLAW_VERSION })
      .describe("Which OpenClaw the federation runs."),
    topology: z
      .enum(["hub-and-spoke", "mesh"])
      .default("hub-and-spoke")
      .describe("hub-and-spoke: exactly one hub and every link touches it; mesh: links between any gateways."),
    knowledge: z.record(z.string(), Knowledge).default({}).describe("Shared knowledge bases by name."),
    comms: z
      .object({
        path: AbsolutePath.optional().describe("Host directory of the mailbox; default comms/ inside the generated output."),
        heartbeat: Duration.default("30m").describe("How often gateways with mailbox routes check them (agents.entries.<id>.heartbeat.every)."),
      })
      .strict()
      .optional()
      .describe("The file mailbox used by links with the mailbox transport."),
    models: z
      .object({
        providers: z
          .record(z.string().regex(PROVIDER_ID_PATTERN, { message: "provider ids are lower-case a-z, 0-9, '.', '_' and '-'" }), ModelProvider)
          .default({})
          .describe("Custom model providers by id (models.providers.<id>); built-in providers (anthropic, openai, …) need no entry."),
      })
      .strict()
      .optional()
      .describe("Model providers of the federation, written into the config of each gateway that uses them."),
    gateways: z.record(z.string(), Gateway).describe("The gateways, by id."),
    links: z.array(Link).default([]).describe("Which gateway may reach which, and how."),
    network: Network.optional(),
    kubernetes: Kubernetes.optional(),
    tags: Tags.describe("Tags of every AWS resource of the federation (ecs target)."),
    ecs: SpecEcs,
  })
  .strict()
  .describe("A clawfed federation: OpenClaw gateways, their shared knowledge, and the links between them.");

/** The spec as written in YAML (defaults not applied). */
export type SpecInput = z.input<typeof Spec>;
/** The spec after zod parsing (defaults applied). */
export type SpecParsed = z.output<typeof Spec>;
export type GatewayParsed = z.output<typeof Gateway>;
export type LinkParsed = z.output<typeof Link>;
export type TransportName = z.output<typeof Transport>;

/** JSON Schema (draft 2020-12) of the spec as users write it, for editors and `clawfed schema`. */
export function specJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(Spec, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return { $id: "https://clawfed.dev/schema/federation.json", title: "clawfed federation spec", ...schema };
}
