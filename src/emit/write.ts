/**
 * The only writer. Puts a compile result on disk:
 * - each file through a temporary name and a rename (a reader never sees half a file);
 * - files whose bytes are unchanged are left alone (no mtime churn, no needless hot reloads);
 * - files a previous run generated and this one does not are removed (tracked in the manifest);
 * - `.env` keeps every existing token and user value, generates missing tokens, replaces tokens only
 *   on an explicit rotation, and is written with mode 0600 from the start;
 * - folders a gateway writes into are given to the container user (uid/gid 1000) when running as root.
 */
import { randomBytes } from "node:crypto";
import { chmod, chown, lstat, mkdir, open, readFile, rename, rm, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import type { Artifact, CompileResult, EnvSlot } from "../compile/artifact.js";
import { generatedHeader } from "../compile/names.js";
import { SpecError, type SpecIssue } from "../errors.js";
import { dotenvValue, DotenvValueError } from "../render/serialize.js";

/** uid/gid of `node` in the official OpenClaw image (facts §5.1). */
export const GATEWAY_UID = 1000;
export const MANIFEST = ".clawfed/manifest.json";
export const ENV_FILE = ".env";

export interface WriteOptions {
  /** Output directory; created if missing. */
  outDir: string;
  /** Spec path for the .env header. */
  specFile: string;
  /** Gateways whose tokens are replaced, or "all". */
  rotate?: string[] | "all";
  /** Plan only: report what would change, write nothing. */
  dryRun?: boolean;
  /** Token source; default 32 random bytes, base64url (43 characters). Injectable for tests. */
  newToken?: () => string;
  /** Host facts for `host` env slots; looked up when not given. */
  hostFacts?: { dockerGid?: string };
}

export interface WriteResult {
  outDir: string;
  /** Paths (relative) created or changed. */
  written: string[];
  unchanged: string[];
  removed: string[];
  env: { generated: string[]; rotated: string[]; kept: string[]; emptyUserSecrets: string[]; extra: string[] };
  warnings: string[];
}

export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

async function readText(p: string): Promise<string | undefined> {
  try {
    return await readFile(p, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
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
  opts: Pick<WriteOptions, "rotate" | "newToken" | "hostFacts" | "specFile">,
  source: { file: string; text?: string } = { file: ENV_FILE },
): Promise<{ text: string; report: WriteResult["env"]; warnings: string[] }> {
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
  const rotating = (s: EnvSlot) => opts.rotate === "all" || (Array.isArray(opts.rotate) && s.rotateWith.some((g) => opts.rotate!.includes(g)));
  const report: WriteResult["env"] = { generated: [], rotated: [], kept: [], emptyUserSecrets: [], extra: [] };
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
  const extra = Object.keys(previous).filter((k) => !known.has(k)).sort();
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
export function envFileLines(names: string[], values: Record<string, string>): string {
  return names.map((n) => (values[n] ? `${n}=${dotenvValue(values[n]!)}` : `# ${n} is empty in the federation's .env`)).join("\n") + (names.length ? "\n" : "");
}

async function writeAtomic(target: string, content: string, mode: number): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = `${target}.clawfed-tmp-${process.pid}`;
  // Created with its final mode, so a secret is never readable by others, not even briefly.
  const fh = await open(tmp, "w", mode);
  try {
    await fh.writeFile(content, "utf8");
    await fh.sync();
  } finally {
    await fh.close();
  }
  await chmod(tmp, mode);
  await rename(tmp, target);
}

async function giveToGateway(p: string): Promise<void> {
  if (process.getuid?.() === 0) await chown(p, GATEWAY_UID, GATEWAY_UID);
}

/**
 * Write `result` into `opts.outDir`.
 * @throws Error (with the path) when a file cannot be written; files written before stay valid.
 */
export async function writeArtifacts(result: CompileResult, opts: WriteOptions): Promise<WriteResult> {
  const outDir = path.resolve(opts.outDir);
  const res: WriteResult = {
    outDir,
    written: [],
    unchanged: [],
    removed: [],
    env: { generated: [], rotated: [], kept: [], emptyUserSecrets: [], extra: [] },
    warnings: [],
  };
  const resolve = (a: Artifact) => (a.kind === "dir" && a.absolute ? a.path : path.join(outDir, a.path));

  const previousEnvText = await readText(path.join(outDir, ENV_FILE));
  const env = await renderEnv(result.env, previousEnvText ? parseDotenv(previousEnvText) : {}, opts, { file: path.join(opts.outDir, ENV_FILE), text: previousEnvText });
  res.env = env.report;
  res.warnings.push(...env.warnings);

  const files = result.artifacts.filter((a) => a.kind === "file");
  const planned = new Map<string, { content: string; mode: number; gatewayOwned?: boolean }>();
  const envValues = parseDotenv(env.text);
  for (const f of files) {
    const content = f.envFrom ? f.content + envFileLines(f.envFrom, envValues) : f.content;
    planned.set(f.path, { content, mode: f.mode, gatewayOwned: f.gatewayOwned });
  }
  planned.set(ENV_FILE, { content: env.text, mode: 0o600 });

  const manifestText = await readText(path.join(outDir, MANIFEST));
  const previousFiles: string[] = manifestText ? (JSON.parse(manifestText) as { files?: string[] }).files ?? [] : [];
  const orphans = previousFiles.filter((p) => !planned.has(p) && p !== ENV_FILE);

  // Folders first: each is created with its own mode (e.g. a 0700 state dir) before files land in it.
  if (!opts.dryRun) {
    for (const d of result.artifacts.filter((a) => a.kind === "dir")) {
      const p = resolve(d);
      await mkdir(p, { recursive: true, mode: d.mode });
      if (d.gatewayOwned) {
        await giveToGateway(p);
        if (process.getuid?.() !== 0 && process.getuid?.() !== GATEWAY_UID) {
          res.warnings.push(`${d.absolute ? p : d.path}: the gateways run as uid ${GATEWAY_UID} and need to write here; run: sudo chown -R ${GATEWAY_UID}:${GATEWAY_UID} ${p}`);
        }
      }
    }
  }
  for (const [rel, f] of planned) {
    const target = path.join(outDir, rel);
    const current = await readText(target);
    if (current === f.content) {
      res.unchanged.push(rel);
      if (!opts.dryRun && ((await stat(target)).mode & 0o777) !== f.mode) await chmod(target, f.mode);
      continue;
    }
    res.written.push(rel);
    if (opts.dryRun) continue;
    await writeAtomic(target, f.content, f.mode);
    if (f.gatewayOwned) await giveToGateway(target);
  }
  for (const rel of orphans) {
    const p = path.join(outDir, rel);
    const exists = await lstat(p).then(() => true, () => false);
    if (!exists) continue;
    res.removed.push(rel);
    if (opts.dryRun) continue;
    await rm(p, { force: true });
    // Prune folders the orphan leaves empty (never the output directory itself).
    for (let d = path.dirname(p); d.startsWith(outDir + path.sep); d = path.dirname(d)) {
      if (!(await rmdir(d).then(() => true, () => false))) break;
    }
  }
  if (!opts.dryRun) {
    const manifest = { generator: "clawfed", target: result.target, files: [...planned.keys()].sort() };
    await writeAtomic(path.join(outDir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, 0o644);
  }
  res.written.sort();
  res.unchanged.sort();
  return res;
}
