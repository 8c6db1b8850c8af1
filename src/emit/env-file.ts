/**
 * The federation's `.env` and the per-gateway env files: what the writer (./write.ts) puts in them.
 * `.env` keeps every existing token and user value, generates missing tokens, replaces tokens only
 * on an explicit rotation, and writes each value so that every reader gets it back unchanged.
 */
import { randomBytes } from "node:crypto";
import { stat } from "node:fs/promises";
import type { EnvSlot } from "../compile/artifact.js";
import { SpecError, UsageError, type SpecIssue } from "../errors.js";
import { dotenvValue, DotenvValueError } from "../render/serialize.js";
import { generatedHeader } from "../vocabulary/names.js";

export const ENV_FILE = ".env";

/** What decides the values of `.env`. */
export interface EnvOptions {
  /** Spec path for the .env header. */
  specFile: string;
  /** Gateways whose tokens are replaced, or "all". */
  rotate?: string[] | "all";
  /**
   * Variables to drop from `.env` when the spec no longer uses them (`clawfed remove` forgets the
   * removed gateway's tokens); any other unused variable is kept.
   */
  forget?: readonly string[];
  /** Tokens (env variable names) replaced as well, e.g. the tokens of one link (`clawfed rotate`). */
  rotateNames?: string[];
  /** Token source; default 32 random bytes, base64url (43 characters). Injectable for tests. */
  newToken?: () => string;
  /** Host facts for `host` env slots; looked up when not given. */
  hostFacts?: { dockerGid?: string };
}

/** Variable names by what happened to them (never their values). */
export interface EnvReport {
  generated: string[];
  rotated: string[];
  kept: string[];
  emptyUserSecrets: string[];
  extra: string[];
}

export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

async function dockerGid(): Promise<string | undefined> {
  try {
    return String((await stat("/var/run/docker.sock")).gid);
  } catch {
    return undefined;
  }
}

/**
 * Build the new .env text from the plan and the previous values. Every value is written with
 * dotenvValue (render/serialize.ts), so dotenv, docker compose v1/v2 and systemd read back exactly
 * the previous value: regenerating is byte-stable.
 * @param source the previous .env (shown path and text), to place a refusal at its line
 * @throws SpecError (exit 1) naming every variable whose value no quoting can carry (never the
 *   value itself); nothing is written then.
 */
export async function renderEnv(
  slots: EnvSlot[],
  previous: Record<string, string>,
  opts: EnvOptions,
  source: { file: string; text?: string } = { file: ENV_FILE },
): Promise<{ text: string; report: EnvReport; warnings: string[] }> {
  const issues: SpecIssue[] = [];
  const assign = (name: string, value: string): string => {
    try {
      return `${name}=${dotenvValue(value)}`;
    } catch (err) {
      if (!(err instanceof DotenvValueError)) throw err;
      const at = lineOf(source.text, name);
      issues.push({
        file: source.file,
        line: at,
        col: at ? 1 : 0,
        path: name,
        message: `the value of ${name} cannot be written back unchanged: ${err.reason}`,
        hint: "change that value in .env, e.g. without one kind of quote or without the line break, then run clawfed generate again",
      });
      return `${name}=`;
    }
  };
  const gen = opts.newToken ?? newToken;
  const rotating = (s: EnvSlot) =>
    opts.rotate === "all" || (Array.isArray(opts.rotate) && s.rotateWith.some((g) => opts.rotate!.includes(g))) || !!opts.rotateNames?.includes(s.name);
  const report: EnvReport = { generated: [], rotated: [], kept: [], emptyUserSecrets: [], extra: [] };
  const warnings: string[] = [];
  const lines = [
    `# ${generatedHeader(opts.specFile)}`,
    "# Holds secrets: keep it mode 0600 and out of version control. Fill in the empty values.",
    "# Generated tokens are kept across runs; `clawfed generate --rotate <gateway|all>` replaces them.",
  ];
  let section = "";
  const titles: Record<EnvSlot["kind"], string> = { fixed: "Compose", host: "This host", token: "Generated tokens", user: "Your secrets" };
  for (const s of slots) {
    if (titles[s.kind] !== section) {
      section = titles[s.kind];
      lines.push("", `# --- ${section} ---`);
    }
    let value: string;
    const prev = previous[s.name];
    if (s.kind === "fixed") value = s.value ?? "";
    else if (s.kind === "host") {
      const fact = s.value === "docker-gid" ? (opts.hostFacts?.dockerGid ?? (await dockerGid())) : undefined;
      value = fact ?? prev ?? "0";
      if (fact === undefined && prev === undefined) warnings.push(`${s.name}: could not look it up on this host (is Docker installed?); set it in .env`);
    } else if (s.kind === "token") {
      if (prev && !rotating(s)) {
        value = prev;
        report.kept.push(s.name);
      } else {
        value = gen();
        (prev ? report.rotated : report.generated).push(s.name);
      }
    } else {
      value = prev ?? "";
      if (!value) report.emptyUserSecrets.push(s.name);
    }
    lines.push(`# ${s.comment}${s.consumers.length ? ` (given to: ${s.consumers.join(", ")})` : ""}`, assign(s.name, value));
  }
  const known = new Set(slots.map((s) => s.name));
  const extra = Object.keys(previous).filter((k) => !known.has(k) && !opts.forget?.includes(k)).sort();
  if (extra.length > 0) {
    lines.push("", "# --- Kept from the previous .env (this spec does not use them) ---");
    for (const k of extra) lines.push(assign(k, previous[k]!));
    report.extra = extra;
  }
  if (issues.length) throw new SpecError(issues);
  return { text: `${lines.join("\n")}\n`, report, warnings };
}

/** 1-based line of `name`'s assignment in a .env text, or 0. */
function lineOf(text: string | undefined, name: string): number {
  const re = new RegExp(`^\\s*(?:export\\s+)?${name.replace(/[^A-Za-z0-9_]/g, "\\$&")}\\s*[=:]`);
  const i = (text ?? "").split(/\r\n?|\n/).findIndex((l) => re.test(l));
  return i + 1;
}

/**
 * `NAME=value` lines of an `envFrom` file (a native gateway's `<state>/.env`, read by OpenClaw's
 * dotenv and systemd `EnvironmentFile=`), written with dotenvValue like `.env`; an empty user
 * secret becomes a comment (so it stays unset). `values` come from the rendered `.env`, whose
 * values all passed dotenvValue.
 */
export function envFileLines(names: string[], values: Record<string, string>, syntax: "dotenv" | "kustomize" = "dotenv"): string {
  const value = (n: string, v: string) => {
    if (syntax === "dotenv") return dotenvValue(v);
    // Kustomize reads everything after the first '=' up to the line end, quotes included.
    if (/[\r\n]/.test(v)) throw new UsageError(`the value of ${n} in .env holds a line break, which a Kustomize env file (secretGenerator) cannot carry`, { hint: `put ${n} on one line in .env, then run clawfed generate again` });
    return v;
  };
  return names.map((n) => (values[n] ? `${n}=${value(n, values[n]!)}` : `# ${n} is empty in the federation's .env`)).join("\n") + (names.length ? "\n" : "");
}
