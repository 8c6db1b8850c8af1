/**
 * The only writer. Puts a compile result on disk:
 * - each file through a temporary name and a rename (a reader never sees half a file);
 * - files whose bytes are unchanged are left alone (no mtime churn, no needless hot reloads);
 * - files a previous run generated and this one does not are removed (tracked in the manifest);
 * - `.env` keeps every existing token and user value, generates missing tokens, replaces tokens only
 *   on an explicit rotation, and is written with mode 0600 from the start;
 * - folders a gateway writes into are given to the container user (uid/gid 1000) when running as root;
 * - the output folder is not trusted: no link below it is ever followed, a folder clawfed did not
 *   create is refused unless forced, and a refused run writes nothing (see writeArtifacts, ./safe-fs.ts).
 */
import { constants as FS } from "node:fs";
import { access, readdir } from "node:fs/promises";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import pMap from "p-map";
import type { Artifact, CompileResult } from "../compile/artifact.js";
import { MANIFEST_PATH } from "../vocabulary/names.js";
import { RuntimeError, UsageError } from "../errors.js";
import { ENV_FILE, envFileLines, renderEnv, type EnvOptions, type EnvReport } from "./env-file.js";
import { checkRoot, chmodBelow, createRoot, ensureDirBelow, fsFailure, inspect, isSafeRelPath, readBelow, unlinkBelow, writeBelow, type Found, type Root } from "./safe-fs.js";

/** uid/gid of `node` in the official OpenClaw image (facts §5.1). */
export const GATEWAY_UID = 1000;
export const MANIFEST = MANIFEST_PATH;

export interface WriteOptions extends EnvOptions {
  /** Output directory; created if missing. May be given through a link (resolved once). */
  outDir: string;
  /** Write into a non-empty folder that has no clawfed manifest (it did not create it). */
  force?: boolean;
  /** Plan only: report what would change, write nothing. */
  dryRun?: boolean;
  /**
   * Plan only, with contents: like `dryRun`, and `changes` holds each changed file's text before
   * and after (for `clawfed plan`'s diff). The texts hold secrets (`.env`): redact before printing.
   */
  preview?: boolean;
}

/** One file a write would change (see WriteOptions.preview): its text and mode before and after. */
export interface FileChange {
  /** Relative path in the output folder. */
  path: string;
  /** add: new file; change: other bytes (and maybe mode); mode: same bytes, other mode; remove: an orphan of the previous run. */
  action: "add" | "change" | "mode" | "remove";
  /** Text before (undefined for add). */
  before?: string;
  /** Text after (undefined for remove). */
  after?: string;
  /** Mode before (undefined for add), e.g. 0o644. */
  modeBefore?: number;
  /** Mode after (undefined for remove). */
  mode?: number;
}

export interface WriteResult {
  outDir: string;
  /** Paths (relative) created or changed. */
  written: string[];
  unchanged: string[];
  removed: string[];
  env: EnvReport;
  warnings: string[];
  /** With `preview`: every file that would change, with its texts (paths sorted). */
  changes?: FileChange[];
}

/** A previous run's manifest: the files it generated (only safe relative paths), and entries it ignored. */
export interface Manifest {
  files: string[];
  /** Entries that are not safe relative paths (absolute, `..`, NUL, not normalised, not a string). */
  ignored: string[];
}

/**
 * Parse `.clawfed/manifest.json`. Every entry must be a relative path that stays inside the output
 * folder ({@link isSafeRelPath}); entries that are not are never trusted: they are returned in
 * `ignored` (the writer warns and leaves them alone) instead of failing the run.
 * @returns undefined when the text is not a clawfed manifest (not JSON, or no `files` list)
 */
export function parseManifest(text: string): Manifest | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const files = (doc as { files?: unknown } | null)?.files;
  if (!doc || typeof doc !== "object" || !Array.isArray(files)) return undefined;
  const out: Manifest = { files: [], ignored: [] };
  for (const f of files) (isSafeRelPath(f) ? out.files : out.ignored).push(typeof f === "string" ? f : JSON.stringify(f));
  return out;
}

const isRoot = () => process.getuid?.() === 0;

/** File-system calls in flight at once: one at a time the writer mostly waited on the disk (bench/generate.mjs). */
const FS_CONCURRENCY = 32;

/**
 * Write `result` into `opts.outDir`, in two phases: everything is checked first (nothing is written
 * when a check fails, so a refused run leaves the folder byte-identical), then written.
 *
 * Checks (the output folder is not trusted: gateways can write below it, see ./safe-fs.ts):
 * - `outDir` must be a folder this user can write, or missing below one (it may be given through a
 *   link; it is resolved once and everything happens below its real path);
 * - a non-empty folder without a readable `.clawfed/manifest.json` was not made by clawfed: refused
 *   unless `force` (then an unreadable manifest is ignored and nothing old is removed);
 * - no component below the output folder (or below the root of an absolute `dir` artifact, i.e. the
 *   spec's comms.path) that clawfed writes, reads, chowns or deletes may be a symbolic link or of the
 *   wrong type (a folder where a file goes, a FIFO …): such a run is refused, naming each path;
 * - folders that receive new entries must be writable (so an unwritable sub-folder fails up front);
 * - manifest entries that are not safe relative paths are ignored with a warning; an orphan (listed
 *   by the previous manifest, not generated now) is deleted only when it is a regular file reached
 *   without links, otherwise it is left alone with a warning. Nothing outside the folder is deleted.
 *
 * Then: folders (each created with its mode, never through a link; gateway folders lchown'ed to
 * uid/gid 1000 when running as root), files through unpredictable O_EXCL temporary files and a
 * rename (unchanged files left alone, only their mode corrected; `.env` created 0600), orphans
 * removed with the folders they leave empty, and the manifest last.
 *
 * @throws UsageError (exit 2) for a non-empty folder clawfed did not create, without `force`
 * @throws RuntimeError (exit 3) for an output folder that is a file, a dangling link or not writable,
 *   a link or wrong type below it, or any file-system failure while writing (files written before
 *   stay valid; the path is named)
 */
export async function writeArtifacts(result: CompileResult, opts: WriteOptions): Promise<WriteResult> {
  const out = await checkRoot(opts.outDir);
  const res: WriteResult = {
    outDir: out.shown,
    written: [],
    unchanged: [],
    removed: [],
    env: { generated: [], rotated: [], kept: [], emptyUserSecrets: [], extra: [] },
    warnings: [],
  };
  const problems: Error[] = [];
  const check = async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof RuntimeError)) throw err;
      problems.push(err);
      return undefined;
    }
  };
  const cache = new Map<string, Found>();

  // The folder must be clawfed's (its manifest), empty, new, or forced.
  const manifestFile = await readBelow(out, MANIFEST, cache);
  const manifest = manifestFile ? parseManifest(manifestFile.text) : undefined;
  if (out.real && !manifest) {
    const entries = await readdir(out.real).catch((err: unknown) => Promise.reject(fsFailure(err, "list", out.shown)));
    if (entries.length > 0 && !opts.force) {
      throw new UsageError(
        manifestFile
          ? `${out.shown} has a ${MANIFEST} that clawfed cannot read, so it may not be a folder clawfed generated`
          : `${out.shown} is not empty and was not created by clawfed (it has no ${MANIFEST})`,
        { hint: "pick an empty or new folder with --out, or pass --force to write into it anyway: files with the names clawfed generates are replaced" },
      );
    }
    if (manifestFile) res.warnings.push(`${MANIFEST} is not a clawfed manifest; it is ignored (no old files are removed)`);
  }
  if (manifest?.ignored.length) {
    res.warnings.push(`${MANIFEST} names paths outside the output folder or not normalised; they are ignored: ${manifest.ignored.slice(0, 5).map((f) => JSON.stringify(f)).join(", ")}${manifest.ignored.length > 5 ? ", …" : ""}`);
  }

  // Folders, with the roots of absolute ones (the spec names those on purpose).
  const roots = new Map<string, { root: Root; cache: Map<string, Found> }>();
  type DirPlan = { d: Artifact & { kind: "dir" }; root: Root; rel: string; cache: Map<string, Found>; missing: boolean };
  const wanted: Array<Omit<DirPlan, "missing">> = [];
  for (const d of result.artifacts) {
    if (d.kind !== "dir") continue;
    if (d.absolute) {
      if (!path.isAbsolute(d.path) || path.normalize(d.path) !== d.path || path.dirname(d.path) === d.path) {
        throw new RuntimeError(`refusing to create the folder ${JSON.stringify(d.path)}: not a normalised absolute path`);
      }
      const base = path.dirname(d.path);
      let r = roots.get(base);
      if (!r) {
        const root = await check(() => checkRoot(base, "folder"));
        if (!root) continue;
        r = { root, cache: new Map() };
        roots.set(base, r);
      }
      wanted.push({ d, root: r.root, rel: path.basename(d.path), cache: r.cache });
    } else {
      if (!isSafeRelPath(d.path)) throw new RuntimeError(`refusing to create the folder ${JSON.stringify(d.path)}: not a relative path inside ${out.shown}`);
      wanted.push({ d, root: out, rel: d.path, cache });
    }
  }
  const dirs: DirPlan[] = await pMap(wanted, async (w) => ({ ...w, missing: (await check(() => inspect(w.root, w.rel, "dir", w.cache)))?.kind === "missing" }), { concurrency: FS_CONCURRENCY });

  // Files: what changes.
  const prevEnv = await check(() => readBelow(out, ENV_FILE, cache));
  const env = await renderEnv(result.env, prevEnv ? parseDotenv(prevEnv.text) : {}, opts, { file: path.join(opts.outDir, ENV_FILE), text: prevEnv?.text });
  res.env = env.report;
  res.warnings.push(...env.warnings);
  const planned = new Map<string, { content: string; mode: number; gatewayOwned?: boolean }>();
  const envValues = parseDotenv(env.text);
  for (const f of result.artifacts) {
    if (f.kind !== "file") continue;
    if (!isSafeRelPath(f.path) || f.path === MANIFEST) throw new RuntimeError(`refusing to write the file ${JSON.stringify(f.path)}: not a relative path inside ${out.shown}`);
    planned.set(f.path, { content: f.envFrom ? f.content + envFileLines(f.envFrom, envValues, f.envSyntax) : f.content, mode: f.mode, gatewayOwned: f.gatewayOwned });
  }
  // A target without env slots (ecs: Secrets Manager holds every value) gets no .env, unless one exists.
  if (result.env.length > 0 || prevEnv) planned.set(ENV_FILE, { content: env.text, mode: 0o600 });
  const toWrite: string[] = [];
  const toChmod: string[] = [];
  const modesBefore = new Map<string, number>();
  const currents = await pMap(planned, ([rel, f]) => (rel === ENV_FILE ? prevEnv : check(() => readBelow(out, rel, cache, Buffer.byteLength(f.content)))), { concurrency: FS_CONCURRENCY });
  let i = 0;
  for (const [rel, f] of planned) {
    const current = currents[i++];
    if (current) modesBefore.set(rel, current.mode);
    if (current?.text === f.content) {
      res.unchanged.push(rel);
      if (current.mode !== f.mode) toChmod.push(rel);
    } else {
      res.written.push(rel);
      toWrite.push(rel);
    }
  }

  // Orphans: only regular files, reached without links, named by safe manifest entries.
  const orphans: string[] = [];
  for (const rel of manifest?.files ?? []) {
    if (planned.has(rel) || rel === ENV_FILE || rel === MANIFEST) continue;
    try {
      if ((await inspect(out, rel, "file", cache)).kind === "file") orphans.push(rel);
    } catch (err) {
      if (!(err instanceof RuntimeError)) throw err;
      res.warnings.push(`left ${rel} alone (a previous run generated it): ${err.message.split("\n")[0]}`);
    }
  }
  res.removed.push(...orphans);

  // Every existing folder that gains, loses or replaces an entry must be writable.
  const writable = new Set<string>();
  const needWritable = async (root: Root, rel: string, c: Map<string, Found>) => {
    if (!root.real) return; // checkRoot checked the ancestor it will be created in
    let d = path.posix.dirname(rel);
    while (d !== "." && c.get(d)?.kind !== "dir") d = path.posix.dirname(d);
    const real = d === "." ? root.real : path.join(root.real, d);
    if (writable.has(real)) return;
    writable.add(real);
    await check(() => access(real, FS.W_OK | FS.X_OK).catch((err: unknown) => Promise.reject(fsFailure(err, "write into", d === "." ? root.shown : path.join(root.shown, d)))));
  };
  for (const d of dirs) if (d.missing) await needWritable(d.root, d.rel, d.cache);
  for (const rel of [...toWrite, ...orphans, MANIFEST]) await needWritable(out, rel, cache);

  if (problems.length > 0) {
    // One line per path (a planted folder link is met by every file below it).
    const seen = new Set<string>();
    // Sorted: the checks run concurrently, and the same folder must give the same message.
    problems.splice(0, problems.length, ...problems.filter((p) => !seen.has(p.message) && seen.add(p.message)).sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0)));
    if (problems.length === 1) throw problems[0]!;
    const first = problems.slice(0, 10).map((p) => `  ${p.message.split("\n")[0]}`);
    throw new RuntimeError(`${problems.length} problems in the folders clawfed writes; nothing was written:\n${first.join("\n")}${problems.length > 10 ? "\n  …" : ""}`, {
      next: "remove or move the paths named above (a gateway may have planted links), then run the command again",
    });
  }
  res.written.sort();
  res.unchanged.sort();
  if (opts.preview) {
    res.changes = await previewChanges(out, cache, planned, { toWrite, toChmod, orphans, modesBefore, envBefore: prevEnv?.text });
    return res;
  }
  if (opts.dryRun) return res;

  // Write: folders first (each with its own mode, e.g. a 0700 state dir), files, orphans, manifest.
  const made = new Map<Root, Set<string>>();
  const madeIn = (r: Root) => made.get(r) ?? made.set(r, new Set()).get(r)!;
  try {
    await createRoot(out);
    for (const { d, root } of dirs) if (root !== out) await createRoot(root, d.mode);
    // Shallow folders first, so a listed parent gets its own mode before a child creates it;
    // folders of one depth are distinct and go at once.
    const depths = [...new Set(dirs.map((x) => x.rel.split("/").length))].sort((a, b) => a - b);
    for (const depth of depths) {
      const level = dirs.filter((x) => x.rel.split("/").length === depth);
      await pMap(level, ({ d, root, rel }) => ensureDirBelow(root, rel, d.mode, madeIn(root), d.gatewayOwned && isRoot() ? { uid: GATEWAY_UID, gid: GATEWAY_UID } : undefined), {
        concurrency: FS_CONCURRENCY,
      });
    }
    for (const { d, root, rel } of dirs) {
      if (d.gatewayOwned && !isRoot() && process.getuid?.() !== GATEWAY_UID) {
        const p = path.join(root.real!, rel);
        res.warnings.push(`${d.absolute ? p : d.path}: the gateways run as uid ${GATEWAY_UID} and need to write here; run: sudo chown -R ${GATEWAY_UID}:${GATEWAY_UID} ${p}`);
      }
    }
    // Distinct files, so order does not matter; a shared parent is created once (EEXIST is fine).
    await pMap(
      toWrite,
      (rel) => {
        const f = planned.get(rel)!;
        return writeBelow(out, rel, f.content, f.mode, madeIn(out), f.gatewayOwned && isRoot() ? { uid: GATEWAY_UID, gid: GATEWAY_UID } : undefined);
      },
      { concurrency: FS_CONCURRENCY },
    );
    await pMap(toChmod, (rel) => chmodBelow(out, rel, planned.get(rel)!.mode), { concurrency: FS_CONCURRENCY });
    // One at a time: removing a file also removes the folders it leaves empty.
    for (const rel of orphans) await unlinkBelow(out, rel);
    const manifestOut = { generator: "clawfed", target: result.target, files: [...planned.keys()].sort() };
    await writeBelow(out, MANIFEST, `${JSON.stringify(manifestOut, null, 2)}\n`, 0o644, madeIn(out));
  } catch (err) {
    throw fsFailure(err, "write into", out.shown);
  }
  return res;
}

/**
 * The texts and modes before and after of the files a write would change (writeArtifacts with
 * `preview`); read below the root without following links, like everything else here.
 */
async function previewChanges(
  out: Root,
  cache: Map<string, Found>,
  planned: ReadonlyMap<string, { content: string; mode: number }>,
  plan: { toWrite: string[]; toChmod: string[]; orphans: string[]; modesBefore: ReadonlyMap<string, number>; envBefore?: string },
): Promise<FileChange[]> {
  const changes: FileChange[] = [];
  const before = async (rel: string) => (rel === ENV_FILE ? plan.envBefore : (await readBelow(out, rel, cache))?.text);
  for (const rel of plan.toWrite) {
    const f = planned.get(rel)!;
    const modeBefore = plan.modesBefore.get(rel);
    if (modeBefore === undefined) changes.push({ path: rel, action: "add", after: f.content, mode: f.mode });
    else changes.push({ path: rel, action: "change", before: await before(rel), after: f.content, modeBefore, mode: f.mode });
  }
  for (const rel of plan.toChmod) changes.push({ path: rel, action: "mode", modeBefore: plan.modesBefore.get(rel), mode: planned.get(rel)!.mode });
  for (const rel of plan.orphans) {
    const found = await readBelow(out, rel, cache);
    changes.push({ path: rel, action: "remove", before: found?.text, modeBefore: found?.mode });
  }
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
