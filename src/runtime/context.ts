/**
 * A generated federation on disk, as the runtime commands see it: the loaded spec, the output
 * directory, the compose project and the secrets of its `.env` (for redaction, never printed).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import { planEnv } from "../compile/env.js";
import { RuntimeError } from "../errors.js";
import { defaultOutDir } from "../generate.js";
import { loadSpecFile, type LoadedSpec } from "../federation/load.js";
import type { Federation } from "../federation/normalize.js";
import type { ComposeProject } from "./compose.js";
import { rememberSecrets, secretValues as secretsOf } from "./redact.js";

export interface FederationContext {
  loaded: LoadedSpec;
  fed: Federation;
  /** Absolute output directory (docker-compose.yml, .env, gateways/, workspaces/ …). */
  outDir: string;
  project: ComposeProject;
  /** Parsed .env; empty when not generated yet. */
  env: Record<string, string>;
}

export interface OpenOptions {
  /** Output directory; default out/<name>. */
  outDir?: string;
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
  return { loaded, fed, outDir, project: { dir: outDir, name: fed.name }, env };
}

/**
 * Every secret value of the federation's .env (tokens, filled-in user secrets, tokens kept from an
 * earlier .env), longest first: the env plan of its spec says which values are not secret
 * (./redact.ts `secretValues`). Also remembered for `redactKnown`.
 */
export function secretValues(ctx: FederationContext): string[] {
  const secrets = secretsOf(ctx.env, planEnv(ctx.fed, { projectName: true, dockerGid: true }));
  rememberSecrets(secrets);
  return secrets;
}
