/**
 * The value grammars of the spec (schema.ts): ids, image references, env variable names, free text
 * with its length limits, absolute paths and durations. Each is one zod schema or check, shared by
 * every key of the spec that holds such a value.
 */
import { z } from "zod";
import { credentialIn, secretShape } from "./credentials.js";
import { normalizePath, pathTextProblem } from "./paths.js";

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
export const ImageRef = z
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

export const id = (what: string) =>
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
export const AbsolutePath = z
  .string()
  .meta({ description: "An absolute path.", pattern: "^/" })
  .superRefine((p, ctx) => {
    const problem = pathTextProblem(p);
    if (problem) ctx.addIssue({ code: "custom", message: problem.message, params: { hint: problem.hint } });
  })
  .transform(normalizePath);

export const Duration = z
  .string()
  .regex(/^\d+(ms|s|m|h)$/, { message: "must be a duration like 30m, 1h or 90s" });
