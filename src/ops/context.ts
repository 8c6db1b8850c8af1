/**
 * A generated federation on disk, as the operations see it: the loaded spec, the output
 * directory, the compose project and the secrets of its `.env` (for redaction, never printed);
 * plus the checks every operation shares (gateway ids given on the command line).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import { planEnv } from "../vocabulary/env-plan.js";
import { RuntimeError, UsageError } from "../errors.js";
import { loadSpecFile, type LoadedSpec } from "../federation/load.js";
import type { Federation, GatewayModel } from "../federation/normalize.js";
import type { ComposeProject } from "../runtime/compose.js";
import { rememberSecrets, secretValues } from "../runtime/redact.js";

/** A loaded federation and where its generated files are. */
export interface FederationContext {
  loaded: LoadedSpec;
  fed: Federation;
  /** Absolute output directory (docker-compose.yml, .env, gateways/, workspaces/ …). */
  outDir: string;
  project: ComposeProject;
  /** Parsed .env; empty when not generated yet. Never printed. */
  env: Record<string, string>;
  /** The secret values of `env`, longest first (what every printed line is redacted of). */
  secrets: string[];
}

export interface OpenOptions {
  /** Output directory; default out/<name>. */
  outDir?: string;
}

/** Default output directory of a federation: `out/<name>` (relative to the current directory). */
export function defaultOutDir(name: string): string {
  return path.join("out", name);
}

/** Load the spec and, when present, its generated `.env`. @throws SpecError for an invalid spec. */
export async function openFederation(spec: string, opts: OpenOptions = {}): Promise<FederationContext> {
  const loaded = await loadSpecFile(spec);
  const fed = loaded.federation;
  const outDir = path.resolve(opts.outDir ?? defaultOutDir(fed.name));
  let env: Record<string, string> = {};
  try {
    env = parseDotenv(await readFile(path.join(outDir, ".env"), "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new RuntimeError(`cannot read ${outDir}/.env`, { cause: err });
  }
  // Which values are secret: the env plan of the spec (fixed and host slots are not).
  const secrets = secretValues(env, planEnv(fed, { projectName: true, dockerGid: true }));
  rememberSecrets(secrets);
  return { loaded, fed, outDir, project: { dir: outDir, name: fed.name }, env, secrets };
}

/** ` --out <dir>` when the federation's output is not the default one (for "next command" hints), else "". */
export function outFlag(ctx: Pick<FederationContext, "fed" | "outDir">): string {
  return path.resolve(defaultOutDir(ctx.fed.name)) === ctx.outDir ? "" : ` --out ${ctx.outDir}`;
}

/**
 * The gateways named on the command line, checked against the spec: the one rule every command
 * shares (an unknown id is a usage mistake, exit 2).
 * @param flag how the user named them (`--only`, `<gateway>`), for the message
 * @returns the named gateways in spec order; all gateways when `ids` is undefined
 * @throws UsageError naming each unknown id and the valid ones (also for an empty list)
 */
export function pickGateways(fed: Pick<Federation, "name" | "gateways">, ids: readonly string[] | undefined, flag: string): GatewayModel[] {
  if (ids === undefined) return fed.gateways;
  const known = fed.gateways.map((g) => g.id);
  const unknown = ids.filter((i) => !known.includes(i));
  if (unknown.length || ids.length === 0) {
    const what = unknown.length
      ? `${flag} names ${unknown.map((u) => `"${u}"`).join(", ")}, which ${unknown.length === 1 ? "is not a gateway" : "are not gateways"} of ${fed.name}`
      : `${flag} names no gateway`;
    throw new UsageError(what, { hint: `use one of: ${known.join(", ")}` });
  }
  return fed.gateways.filter((g) => ids.includes(g.id));
}
