/**
 * The federation spec: the zod schema is the single source of the spec's TypeScript types and of
 * the JSON Schema that `clawfed schema` prints for editors.
 *
 * Shape only. Defaults that depend on other fields live in normalize.ts; rules that relate
 * fields to each other (unique ports, links to existing gateways, …) live in rules.ts.
 *
 * One file over 400 lines on purpose: it is the whole spec, one zod object per key, each with its
 * description; the shared refinements (paths, free text, credentials) already live in paths.ts
 * and credentials.ts.
 */
import { z } from "zod";
import { credentialIn, secretShape } from "./credentials.js";
import { normalizePath, pathTextProblem } from "./paths.js";
import { Kubernetes } from "./kubernetes-schema.js";
import { DEFAULT_NETWORK_POOL, MIN_POOL_PREFIX, parseCidr, SUBNET_PREFIX } from "../vocabulary/subnets.js";
import { GatewayEcs, SpecEcs, Tags } from "./ecs-schema.js";

/** Default OpenClaw release the generated configs target (facts sheet: openclaw@2026.9.6). */
export const DEFAULT_OPENCLAW_VERSION = "2026.9.6";
/** Official image repository (OpenClaw docs install/docker.md). The tag is the OpenClaw version. */
export const OFFICIAL_IMAGE_REPO = "ghcr.io/openclaw/openclaw";

/**
 * Gateway, federation and knowledge ids: 1-40 characters, groups of a-z and 0-9 joined by single
 * '-' (the `openclaw fleet` tenant-id rule, minus `--`). Ids never contain `--`, so derived names
 * can use `--` (and `__` in env vars) to join two ids without ever colliding (vocabulary/names.ts).
 */
export const ID_PATTERN = /^(?=[a-z0-9-]{1,40}$)[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** What ID_PATTERN allows, in words (completes "gateway id "x" …"). */
export const ID_RULE = "must be 1-40 characters of a-z, 0-9 and '-', starting and ending with a letter or digit";

/** Why `id` is not a valid id (message completing "<what> "<id>" …" and a hint), or undefined when it is. */
export function idProblem(id: string): { message: string; hint: string } | undefined {
  if (ID_PATTERN.test(id)) return undefined;
  const single = id.replace(/-{2,}/g, "-");
  if (id.includes("--") && ID_PATTERN.test(single)) {
    return {
      message: `contains "--", which clawfed uses to join two ids in derived names (link networks, mailbox folders, A2A token variables)`,
      hint: `use a single '-', e.g. ${single}`,
    };
  }
  return { message: ID_RULE, hint: "" };
}

/**
 * Docker image references, the grammar of distribution/reference (regexp.go, used by the Engine
 * and compose): `[host[:port]/]path[:tag][@digest]`, path components lower-case a-z0-9 joined by
 * `.`, `_`, `__` or runs of `-`; tag `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`; digest
 * `algorithm:hex{32,}`. Nothing else (no `$`, space or newline) can reach compose or the Engine.
 */
const IMAGE_REF_PATTERN = (() => {
  const alphanumeric = "[a-z0-9]+";
  const separator = "(?:[._]|__|[-]+)";
  const domainNameComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
  const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
  const ipv6address = "\\[(?:[a-fA-F0-9:]+)\\]";
  const domainAndPort = `(?:${domainName}|${ipv6address})(?::[0-9]+)?`;
  const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
  const remoteName = `${pathComponent}(?:/${pathComponent})*`;
  const name = `(?:${domainAndPort}/)?${remoteName}`;
  const tag = "[\\w][\\w.-]{0,127}";
  const digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
  return new RegExp(`^(${name})(?::${tag})?(?:@${digest})?$`);
})();
/** distribution/reference NameTotalLengthMax. */
const IMAGE_NAME_MAX = 255;

/** Why `ref` is not a Docker image reference (one sentence), or undefined when it is one. */
export function imageRefProblem(ref: string): string | undefined {
  // The length check first keeps the regex cheap on hostile input.
  const m = ref.length <= 512 ? IMAGE_REF_PATTERN.exec(ref) : null;
  if (!m) return `${JSON.stringify(ref)} is not a Docker image reference ([registry/]name[:tag][@digest], name in lower case, no spaces or '$')`;
  if (m[1]!.length > IMAGE_NAME_MAX) return `the image name is longer than ${IMAGE_NAME_MAX} characters`;
  return undefined;
}

/** Image references in the spec: checked against the Docker reference grammar. */
const ImageRef = z
  .string()
  .superRefine((ref, ctx) => {
    const problem = imageRefProblem(ref);
    if (problem) ctx.addIssue({ code: "custom", message: problem, params: { hint: `e.g. ${OFFICIAL_IMAGE_REPO}:${DEFAULT_OPENCLAW_VERSION} or openclaw:${DEFAULT_OPENCLAW_VERSION}-local` } });
  })
  .meta({ pattern: IMAGE_REF_PATTERN.source });
/** OpenClaw substitutes only upper-case `${VAR}` names (docs gateway/config-secrets-env.md). */
export const ENV_NAME_PATTERN = /^[A-Z_][A-Z0-9_]*$/;

/** Credential shapes: one list in credentials.ts, shared with the literal-secrets rule and SpecError. */
export { secretShape } from "./credentials.js";

const id = (what: string) =>
  z
    .string()
    .superRefine((value, ctx) => {
      const problem = idProblem(value);
      if (problem) ctx.addIssue({ code: "custom", message: `${what} ${problem.message}`, params: problem.hint ? { hint: problem.hint } : {} });
    })
    .meta({ pattern: ID_PATTERN.source });

/** An environment variable *name*; the value lives in `.env`. Literal secrets are refused. */
export const EnvVarName = z
  .string()
  .superRefine((value, ctx) => {
    // The credential shapes first: an AWS key id (AKIA + 16) is also a valid variable name.
    const shape = ENV_NAME_PATTERN.test(value) ? credentialIn(value) : secretShape(value);
    if (!shape && ENV_NAME_PATTERN.test(value)) return;
    ctx.addIssue({
      code: "custom",
      message: shape
        ? `this looks like ${shape}, not an environment variable name: secrets never go in the spec`
        : `"${value}" is not a valid environment variable name (upper-case letters, digits and '_', not starting with a digit)`,
      params: {
        hint: shape
          ? "put the value in the federation's .env and write the variable's name here, e.g. TG_TOKEN_KORAX"
          : "OpenClaw only substitutes ${VAR} names matching [A-Z_][A-Z0-9_]*",
      },
    });
  })
  .describe("Name of an environment variable whose value is kept in the federation's .env (never the value itself).");

/** Longest gateway description (characters): it is copied into the files of every gateway linked to it. */
export const GATEWAY_DESCRIPTION_MAX = 500;
/** Longest knowledge description (characters): copied into every gateway that mounts it. */
export const KNOWLEDGE_DESCRIPTION_MAX = 500;
/** Longest federation description (characters): written once, into the federation README. */
export const FEDERATION_DESCRIPTION_MAX = 1000;
/** Longest agent display name (characters). */
export const AGENT_NAME_MAX = 64;

/**
 * Characters that break a line or hide text in generated Markdown and YAML front matter: C0 and C1
 * controls (newline, tab, ESC…), DEL, U+2028/U+2029 and the bidirectional overrides/isolates.
 */
const NOT_ONE_LINE = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/**
 * Free text copied into generated files (descriptions, display names): one line of at most `max`
 * characters (code points; leading/trailing whitespace, e.g. the newline a YAML `>` block ends
 * with, is ignored), and no credential (credentials.ts). Markdown metacharacters are allowed:
 * the templates escape them (render/templates.ts).
 */
export function freeText(what: string, max: number, opts: { required?: boolean } = {}) {
  return z
    .string()
    .superRefine((value, ctx) => {
      const text = value.trim();
      if (opts.required && text.length === 0) {
        ctx.addIssue({ code: "custom", message: `${what} is empty`, params: { hint: "write it in a sentence" } });
        return;
      }
      const bad = NOT_ONE_LINE.exec(text);
      if (bad) {
        const code = `U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
        ctx.addIssue({
          code: "custom",
          message: `${what} must be one line of text; it contains ${code === "U+000A" || code === "U+000D" ? "a line break" : "a control character"} (${code}) at character ${[...text.slice(0, bad.index)].length + 1}`,
          params: { hint: "write it on one line (in YAML, a `>-` folded block also gives one line); no tabs, escape codes or direction overrides" },
        });
      }
      const length = [...text].length;
      if (length > max) {
        ctx.addIssue({
          code: "custom",
          message: `${what} is ${length} characters long; the limit is ${max} (it is copied into generated files of other gateways)`,
          params: { hint: `shorten it to ${max} characters or fewer; longer documentation belongs in a knowledge base` },
        });
      }
      const secret = credentialIn(text);
      if (secret) {
        ctx.addIssue({
          code: "custom",
          message: `${what} contains what looks like ${secret}; secrets never go in the spec`,
          params: { hint: "move it to the federation's .env and list its variable name under the gateway's secrets" },
        });
      }
    })
    .meta(opts.required ? { minLength: 1, maxLength: max } : { maxLength: max });
}

/**
 * An absolute path of the spec (host folder or container mount target): refused when
 * pathTextProblem says so (not absolute, `..`, control characters, `:` or `,`), then normalised
 * (normalizePath: no `//`, `/./` or trailing `/`). Where it may point is the `mounts` rule's job.
 */
const AbsolutePath = z
  .string()
  .meta({ description: "An absolute path.", pattern: "^/" })
  .superRefine((p, ctx) => {
    const problem = pathTextProblem(p);
    if (problem) ctx.addIssue({ code: "custom", message: problem.message, params: { hint: problem.hint } });
  })
  .transform(normalizePath);

const Duration = z
  .string()
  .regex(/^\d+(ms|s|m|h)$/, { message: "must be a duration like 30m, 1h or 90s" });

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
