/**
 * The one list of credential shapes clawfed knows. Used by the schema (env-var-name fields and
 * free-text fields), by the `literal-secrets` rule (every string and key of the spec) and by
 * SpecError, which redacts any match from the text it prints: a secret pasted into a spec is
 * refused, never copied into a generated file, and never echoed back.
 *
 * Sources of the shapes: Telegram Bot API (`<bot id>:<35 chars>`), OpenAI/Anthropic key prefixes
 * (`sk-`, `sk-proj-`, `sk-ant-`), GitHub token prefixes (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`,
 * `github_pat_`), Slack (`xox?-` tokens, incoming-webhook URLs), AWS access key ids (`AKIA`/`ASIA`
 * + 16), Google API keys (`AIza` + 35), PEM private-key headers, JWTs (`eyJ….eyJ….…`), Stripe
 * (`sk_live_`, `rk_test_`…), Hugging Face (`hf_`), GitLab (`glpat-`), npm (`npm_`), and URLs
 * that carry a password (`scheme://user:password@host`).
 */

/** One credential shape: a pattern searched anywhere in a string, and what to call a match. */
export interface CredentialShape {
  /** Global, so it can be used to find and to redact every occurrence. */
  readonly pattern: RegExp;
  /** Human name used in messages, e.g. "a GitHub token". Never the value itself. */
  readonly what: string;
  /** Extra test on a match, to keep ordinary prose (e.g. "sk-learn-based-…") out. */
  readonly accept?: (match: string) => boolean;
}

/** Start of a token: not preceded by a token character (keeps every pattern linear on long runs). */
const B = "(?<![A-Za-z0-9_-])";
const re = (source: string) => new RegExp(source, "g");

const mixed = (s: string) => /[0-9]/.test(s) && /[A-Z]/.test(s) && /[a-z]/.test(s);

/** Every shape; the order decides which name a match gets when two shapes overlap. */
export const CREDENTIAL_SHAPES: readonly CredentialShape[] = [
  { pattern: /-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g, what: "a PEM private key" },
  { pattern: /(?<![0-9])[0-9]{5,}:[A-Za-z0-9_-]{30,}/g, what: "a Telegram bot token" },
  { pattern: re(`${B}sk-ant-[A-Za-z0-9_-]{20,}`), what: "an Anthropic API key" },
  { pattern: re(`${B}sk-[A-Za-z0-9_-]{20,}`), what: "an API key (sk-…)", accept: (m) => mixed(m.slice(3)) || /^sk-(proj|svcacct|admin|or)-/.test(m) },
  { pattern: re(`${B}(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}`), what: "a Stripe key" },
  { pattern: re(`${B}(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})`), what: "a GitHub token" },
  { pattern: re(`${B}glpat-[A-Za-z0-9_-]{20,}`), what: "a GitLab token" },
  { pattern: re(`${B}xox[abprse]-[A-Za-z0-9-]{10,}`), what: "a Slack token" },
  { pattern: /hooks\.slack\.com\/services\/[A-Za-z0-9_/-]{10,}/g, what: "a Slack webhook URL" },
  { pattern: /(?<![0-9A-Za-z])(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Za-z])/g, what: "an AWS access key" },
  { pattern: re(`${B}AIza[0-9A-Za-z_-]{30,}`), what: "a Google API key" },
  { pattern: re(`${B}hf_[A-Za-z0-9]{30,}`), what: "a Hugging Face token" },
  { pattern: re(`${B}npm_[A-Za-z0-9]{36,}`), what: "an npm token" },
  { pattern: re(`${B}eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}`), what: "a JSON Web Token" },
  { pattern: /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/[^\s/?#@:]+:[^\s/?#@]+@/g, what: "a URL with a password" },
  // A long run of base64 characters that reads as random: upper case, lower case and digits mixed
  // in short chunks (a base64/base62 secret without a known prefix, e.g. an AWS secret key).
  // Words, CamelCase identifiers, hex digests, version strings and URL paths stay out of it.
  { pattern: /(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/=_-]{32,}/g, what: "a secret value", accept: looksRandom },
];

/**
 * Whether a run of base64 characters looks like random key material: it mixes upper case, lower
 * case and digits; at most one character in 8 is a separator (`+/=_-`; paths and slugs have
 * more); it is not a URL (`//`); and its letters and digits come in chunks averaging at most 2.6
 * characters (`getUserProfile2024` has chunks get|User|Profile|2024, random text changes case or
 * kind about every other character). Measured: about 2% of random 32-character base64 strings
 * escape it, fewer for longer ones.
 */
function looksRandom(run: string): boolean {
  if (!mixed(run) || run.includes("//")) return false;
  const separators = run.length - run.replace(/[+/=_-]/g, "").length;
  if (separators * 8 > run.length) return false;
  const chunks = run.match(/[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+/g) ?? [];
  return (run.length - separators) / chunks.length <= 2.6;
}

/** A credential found in a string: its kind and where it is (UTF-16 offsets). */
export interface CredentialMatch {
  what: string;
  index: number;
  length: number;
}

/** Every credential-shaped substring of `text`, in order of position (overlaps dropped). */
export function findCredentials(text: string): CredentialMatch[] {
  const found: CredentialMatch[] = [];
  for (const shape of CREDENTIAL_SHAPES) {
    for (const m of text.matchAll(shape.pattern)) {
      if (shape.accept && !shape.accept(m[0])) continue;
      found.push({ what: shape.what, index: m.index, length: m[0].length });
    }
  }
  found.sort((a, b) => a.index - b.index || b.length - a.length);
  const out: CredentialMatch[] = [];
  let end = -1;
  for (const f of found) {
    if (f.index < end) continue;
    out.push(f);
    end = f.index + f.length;
  }
  return out;
}

/** What kind of credential `text` contains anywhere (the first one), or undefined. */
export function credentialIn(text: string): string | undefined {
  return findCredentials(text)[0]?.what;
}

/**
 * If a whole value looks like a credential rather than a variable name, say what kind; else
 * undefined. Stricter than {@link credentialIn}: any long token-like string mixing lower case and
 * digits counts, since variable names are upper case.
 */
export function secretShape(value: string): string | undefined {
  const found = credentialIn(value);
  if (found) return found;
  if (value.length >= 24 && /^[A-Za-z0-9_\-+/=.:]+$/.test(value) && /[a-z]/.test(value) && /[0-9]/.test(value)) {
    return "a secret value";
  }
  return undefined;
}

/** `text` with every credential replaced by `<redacted: KIND>`, for messages. */
export function redactCredentials(text: string): string {
  const found = findCredentials(text);
  if (found.length === 0) return text;
  let out = "";
  let at = 0;
  for (const f of found) {
    out += `${text.slice(at, f.index)}<redacted: ${f.what}>`;
    at = f.index + f.length;
  }
  return out + text.slice(at);
}
