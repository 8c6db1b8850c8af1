/**
 * Redaction of secret values from any text clawfed prints or stores (logs, compose output, error
 * messages, rollout log tails). One function for every command: `redact(text, secrets)`, and a
 * streaming variant for text that arrives in pieces (container logs).
 */

/** Replacement text of a secret. */
export const REDACTED = "<redacted>";

/** Names in `.env` that are not secrets (fixed or host facts). */
const NOT_SECRET = new Set(["COMPOSE_PROJECT_NAME", "CLAWFED_DOCKER_GID"]);

/**
 * Every secret value of a federation's parsed `.env` (tokens and filled-in user secrets), longest
 * first, so a secret that contains another is replaced whole.
 */
export function secretValues(env: Record<string, string>): string[] {
  return Object.entries(env)
    .filter(([k, v]) => v.length >= 8 && !NOT_SECRET.has(k))
    .map(([, v]) => v)
    .sort((a, b) => b.length - a.length);
}

/** `text` with every value of `secrets` replaced by {@link REDACTED}. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join(REDACTED);
  return out;
}

/**
 * Streaming redactor for one stream of text: complete lines are redacted and returned at once; of
 * an unfinished line only the part that cannot be the start of a secret is returned, the rest waits
 * for the next piece (a secret never contains a newline). `push` returns what can be written now;
 * `end` returns the rest. Holds back at most (longest secret − 1) characters.
 */
export class StreamRedactor {
  private pending = "";
  private readonly hold: number;
  constructor(private readonly secrets: string[]) {
    this.hold = Math.max(0, ...secrets.map((s) => s.length - 1));
  }

  push(text: string): string {
    this.pending += text;
    const nl = this.pending.lastIndexOf("\n");
    let out = "";
    if (nl >= 0) {
      out = redact(this.pending.slice(0, nl + 1), this.secrets);
      this.pending = this.pending.slice(nl + 1);
    }
    if (this.pending.length > this.hold) {
      // Redact what is complete, then keep the tail that might be the start of a secret.
      const r = redact(this.pending, this.secrets);
      const cut = Math.max(0, r.length - this.hold);
      out += r.slice(0, cut);
      this.pending = r.slice(cut);
    }
    return out;
  }

  end(): string {
    const out = redact(this.pending, this.secrets);
    this.pending = "";
    return out;
  }
}

/** Secrets of every federation opened in this process (see {@link rememberSecrets}). */
const known = new Set<string>();
let knownSorted: string[] = [];

/**
 * Remember secret values for {@link redactKnown}: every federation opened in this process
 * (ops/context.ts openFederation) registers its `.env` secrets, so the CLI's one output path can
 * redact all of them without knowing which federation a message came from.
 */
export function rememberSecrets(secrets: readonly string[]): void {
  let added = false;
  for (const s of secrets) if (s.length >= 8 && !known.has(s)) (known.add(s), (added = true));
  if (added) knownSorted = [...known].sort((a, b) => b.length - a.length);
}

/** `text` with every remembered secret replaced by {@link REDACTED}: what the CLI prints goes through it. */
export function redactKnown(text: string): string {
  return knownSorted.length ? redact(text, knownSorted) : text;
}
