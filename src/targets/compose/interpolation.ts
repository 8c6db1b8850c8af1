/**
 * Compose interpolation, made harmless. Compose substitutes `$VAR`, `${VAR}`, `${VAR:-x}` … in
 * every string value of the file it reads (image, volume paths, labels, command, healthcheck …)
 * and turns `$$` into a literal `$` (Compose Specification, "Interpolation"; compose v2 and
 * docker-compose v1.29 alike). So clawfed builds the compose model with plain strings for
 * everything that must reach compose literally, and a `ComposeRef` for each `${NAME}` reference
 * it writes itself (environment values, `group_add`); `escapeCompose` then walks the model once
 * before serialization: every `$` of a plain string becomes `$$`, every ComposeRef becomes
 * `${NAME}`. No user string can therefore name a variable of `.env` (e.g. a token) in the file.
 */
import { ENV_NAME_PATTERN } from "../../federation/schema.js";
import { InternalError } from "../../errors.js";
import type { ComposeSpecification } from "./compose-spec.js";

/** A `${NAME}` reference clawfed itself writes into docker-compose.yml; compose fills it in from `.env`. */
export class ComposeRef {
  /** @throws InternalError when `name` is not an env var name (a bug: names come from vocabulary/names.ts or the validated spec). */
  constructor(readonly name: string) {
    if (!ENV_NAME_PATTERN.test(name)) throw new InternalError(`not an environment variable name: ${JSON.stringify(name)}`);
  }
  toString(): string {
    return `\${${this.name}}`;
  }
}

/**
 * A compose type in which every string may also be a ComposeRef: the model clawfed builds before
 * escapeCompose turns it into the file's data (where every ComposeRef has become `${NAME}`).
 */
export type WithRefs<T> = T extends string
  ? T | ComposeRef
  : T extends ReadonlyArray<infer U>
    ? Array<WithRefs<U>>
    : T extends object
      ? { [K in keyof T]: WithRefs<T[K]> }
      : T;

/** The compose file as clawfed builds it (Compose Specification types, references allowed). */
export type ComposeModel = WithRefs<ComposeSpecification>;

/** `${name}` as a reference clawfed writes on purpose. */
export function composeRef(name: string): ComposeRef {
  return new ComposeRef(name);
}

/** A literal string as compose must see it: every `$` doubled. */
export function escapeDollars(s: string): string {
  return s.replace(/\$/g, "$$$$");
}

/**
 * The model with every string value escaped (`$` → `$$`) and every ComposeRef rendered as `${NAME}`.
 * Keys are not interpolated by compose and are left as they are, but a key with `$` is a bug
 * (keys are ids, env names and fixed words).
 * @throws InternalError for a key containing `$` or a value that is not plain data.
 */
export function escapeCompose(value: unknown): unknown {
  if (value instanceof ComposeRef) return value.toString();
  if (typeof value === "string") return escapeDollars(value);
  if (value === null || typeof value === "number" || typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.map(escapeCompose);
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (k.includes("$")) throw new InternalError(`compose key with "$": ${JSON.stringify(k)}`);
      if (v !== undefined) out[k] = escapeCompose(v);
    }
    return out;
  }
  throw new InternalError(`cannot write ${typeof value} into docker-compose.yml`);
}

/** The compose file's data: `model` escaped (escapeCompose), typed as the Compose Specification. */
export function renderCompose(model: ComposeModel): ComposeSpecification {
  return escapeCompose(model) as ComposeSpecification;
}
