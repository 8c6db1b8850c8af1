/**
 * The federation spec: the zod schema is the single source of the spec's TypeScript types and of
 * the JSON Schema that `clawfed schema` prints for editors.
 *
 * Shape only. Defaults that depend on other fields live in normalize.ts; rules that relate
 * fields to each other (unique ports, links to existing gateways, …) live in rules.ts.
 */
import { z } from "zod";

/** Default OpenClaw release the generated configs target (facts sheet: openclaw@2026.9.6). */
export const DEFAULT_OPENCLAW_VERSION = "2026.9.6";
/** Official image repository (OpenClaw docs install/docker.md). The tag is the OpenClaw version. */
export const OFFICIAL_IMAGE_REPO = "ghcr.io/openclaw/openclaw";

/**
 * Gateway, federation and knowledge ids: 1-40 characters, groups of a-z and 0-9 joined by single
 * '-' (the `openclaw fleet` tenant-id rule, minus `--`). Ids never contain `--`, so derived names
 * can use `--` (and `__` in env vars) to join two ids without ever colliding (compile/names.ts).
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

/**
 * Values that look like a credential rather than a variable name. Used to refuse literal secrets
 * in the spec with a message that says what to do instead.
 */
const SECRET_SHAPES: Array<[RegExp, string]> = [
  [/^\d{5,}:[A-Za-z0-9_-]{20,}$/, "a Telegram bot token"],
  [/^sk-[A-Za-z0-9_-]{10,}/, "an API key"],
  [/^(gh[pousr]_|github_pat_)[A-Za-z0-9_]{10,}/, "a GitHub token"],
  [/^xox[abprs]-[A-Za-z0-9-]{10,}/, "a Slack token"],
  [/^AKIA[0-9A-Z]{16}$/, "an AWS access key"],
  [/^AIza[0-9A-Za-z_-]{20,}$/, "a Google API key"],
];

/** If `value` looks like a credential, say what kind; else undefined. */
export function secretShape(value: string): string | undefined {
  for (const [re, what] of SECRET_SHAPES) if (re.test(value)) return what;
  // A long token-like string mixing cases and digits is almost never a variable name.
  if (value.length >= 24 && /^[A-Za-z0-9_\-+/=.:]+$/.test(value) && /[a-z]/.test(value) && /[0-9]/.test(value)) {
    return "a secret value";
  }
  return undefined;
}

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
    if (ENV_NAME_PATTERN.test(value)) return;
    const shape = secretShape(value);
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

const AbsolutePath = z
  .string()
  .min(1)
  .describe("An absolute path.")
  .refine((p) => p.startsWith("/"), {
    message: "must be an absolute path",
    params: { hint: "start it with '/', e.g. /srv/koda/knowledge" },
  });

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

export const Resources = z
  .object({
    memory: z
      .string()
      .regex(/^\d+(\.\d+)?[kmg]$/i, { message: "must be a size like 2g or 1536m" })
      .default("2g")
      .describe("Memory limit (compose mem_limit). A gateway needs about 1 GB; below 1536m it may be OOM-killed."),
    cpus: z.number().positive().max(512).default(2).describe("CPU limit in cores (compose cpus)."),
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
    description: z
      .string()
      .min(1)
      .describe("The gateway's domain in a sentence; shown to other gateways in the federation-delegate skill."),
    agent: z
      .object({
        id: z
          .string()
          .regex(/^[a-z0-9_][a-z0-9_-]{0,63}$/, { message: "agent ids are lower-case a-z, 0-9, '_' and '-'" })
          .optional()
          .describe("Agent id inside the gateway (agents.entries key); defaults to the gateway id."),
        name: z.string().min(1).optional().describe("Display name of the agent; defaults to the gateway id."),
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
  })
  .strict();

export const Knowledge = z
  .object({
    path: AbsolutePath.describe("Host directory (absolute)."),
    mount: AbsolutePath.optional().describe("Path inside the gateways; default /shared/<name>."),
    description: z.string().optional().describe("What is in it; shown in the workspace instructions."),
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

export const Spec = z
  .object({
    $schema: z.string().optional().describe("JSON Schema reference for editors (ignored)."),
    name: id("the federation name").describe("Federation name: the compose project name and the prefix of its resources."),
    description: z.string().optional().describe("What this federation is for."),
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
    gateways: z.record(z.string(), Gateway).describe("The gateways, by id."),
    links: z.array(Link).default([]).describe("Which gateway may reach which, and how."),
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
