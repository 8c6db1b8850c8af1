/**
 * Redaction: the one place secrets are taken out of text before clawfed prints it (logs, compose
 * output, error messages, `--json`).
 *
 * Which values are secret comes from the env plan the compiler made (src/compile/env.ts
 * `planEnv`) and the federation's `.env` ({@link secretValues}): every value of `.env` is a secret
 * except those of the slots the plan marks as not secret (`fixed`: COMPOSE_PROJECT_NAME; `host`:
 * CLAWFED_DOCKER_GID). Values the plan no longer names (tokens kept from an earlier `.env`) stay
 * secrets. No value is judged by its length or shape.
 */
import type { EnvSlot } from "../compile/artifact.js";

/** Replacement text of a secret. */
export const REDACTED = "<redacted>";

/**
 * Streaming {@link redact} for one stream of text that may arrive in arbitrary pieces: complete
 * lines are redacted and returned at once; of an unfinished line only the part that cannot be the
 * start of a secret is returned, the rest waits for the next piece (secrets with a line break are
 * only caught within one piece). `push` returns what can be written now; `end` returns the rest.
 * Holds back at most (longest secret − 1) characters of an unfinished line.
 */
export class StreamRedactor {
  private pending = "";
  private readonly hold: number;
  private readonly secrets: string[];
  constructor(secrets: readonly string[]) {
    this.secrets = secretList(secrets);
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

/** Plan slot kinds whose values are not secret (see the module comment). */
const NOT_SECRET: ReadonlySet<EnvSlot["kind"]> = new Set(["fixed", "host"]);

/**
 * The secret values of a federation: every non-empty value of `env` (the parsed `.env`) whose
 * name is not a `fixed` or `host` slot of `plan`, without duplicates, longest first (so a secret
 * that contains another is replaced whole). No value is judged by its length.
 * @param env the federation's `.env`, parsed (name → value).
 * @param plan the env plan (`planEnv(federation, { projectName: true, dockerGid: true })`), or
 *   just its names and kinds.
 */
export function secretValues(env: Readonly<Record<string, string>>, plan: ReadonlyArray<Pick<EnvSlot, "name" | "kind">>): string[] {
  const open = new Set(plan.filter((s) => NOT_SECRET.has(s.kind)).map((s) => s.name));
  return secretList(Object.entries(env).filter(([name]) => !open.has(name)).map(([, value]) => value));
}

/** Non-empty, unique, longest first (so a secret that contains another is replaced whole). */
function secretList(values: readonly string[]): string[] {
  return [...new Set(values.filter((v) => v.length > 0))].sort((a, b) => b.length - a.length);
}

/**
 * `text` with every occurrence of every secret replaced by {@link REDACTED}. Longer secrets are
 * replaced first, whatever the order of `secrets`.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secretList(secrets)) out = out.split(s).join(REDACTED);
  return out;
}

/** Secrets of every federation opened in this process (see {@link rememberSecrets}). */
const known = new Set<string>();
let knownSorted: string[] = [];

/**
 * Remember secret values for {@link redactKnown}: every federation opened in this process
 * registers its `.env` secrets, so one output path (the CLI's) can redact all of them without
 * knowing which federation a message came from.
 */
export function rememberSecrets(secrets: readonly string[]): void {
  const before = known.size;
  for (const s of secrets) if (s.length > 0) known.add(s);
  if (known.size !== before) knownSorted = secretList([...known]);
}

/** `text` with every remembered secret replaced by {@link REDACTED}. */
export function redactKnown(text: string): string {
  return knownSorted.length ? redact(text, knownSorted) : text;
}

/**
 * True when a command-line argument is a remembered secret (see {@link rememberSecrets}), whole or
 * as the value of `--name=value`. Only whole values count: a short user secret that happens to
 * occur inside a path or a number must not stop a command.
 */
export function isKnownSecretArg(arg: string): boolean {
  if (known.size === 0) return false;
  const eq = arg.indexOf("=");
  return known.has(arg) || (eq >= 0 && known.has(arg.slice(eq + 1)));
}
