/**
 * Reading and writing clawfed backup archives (`.tar.gz`, see manifest.ts for the layout).
 *
 * Reading treats every archive as hostile: it accepts only regular files and directories with
 * relative, canonical paths (no absolute paths, no `.`/`..` segments, no backslashes, no control
 * or invisible characters), rejects links, devices, FIFOs and anything else, duplicate paths,
 * paths that differ only in case or Unicode normalisation (they would collide on a
 * case-insensitive file system) and a file that another member would have to live inside, and
 * stops at limits on uncompressed bytes, compression ratio (a gzip bomb is refused after a few
 * MiB of output, not after it was all inflated), entry count, path length and depth. It never
 * writes anything itself: callers get each member after it passed those checks.
 *
 * Everything an archive is refused for lives in ONE place, `validateArchive` (structure seen by
 * readArchive + manifest + generated-files list + checksums). `verifyArchive` (`clawfed backup
 * verify`) and `restore` both go through it, and restore writes nothing before it passed, so
 * verify refuses at least everything restore refuses, by construction.
 *
 * This file reads (member by member: paths, types, limits); archive-verify.ts checks what was read
 * against the manifest; archive-writer.ts writes. The reader is split into its parts
 * (MemberChecks, feedTar; stream plumbing in tar-read.ts), none over 80 lines.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createGunzip, type Gunzip } from "node:zlib";
import * as tarStream from "tar-stream";
import { drained, eachTarEntry, gzipMessage, hashedBody } from "./tar-read.js";
import { GENERATED_MEMBER, MANIFEST_MEMBER, sectionOf, UNSAFE_TEXT } from "./manifest.js";

/** A bad archive: the message says what is wrong and where; nothing was changed. */
export class ArchiveError extends Error {
  /** Archive member concerned, when there is one. */
  readonly member?: string;
  constructor(message: string, member?: string) {
    super(message);
    this.name = "ArchiveError";
    this.member = member;
  }
}

/** Limits that stop a hostile archive early. Sizes in bytes. */
export interface ArchiveLimits {
  /** Total uncompressed bytes (tar stream) read; default 64 GiB. */
  maxBytes: number;
  /** Members, files and directories; default 1,000,000 (the budget `openclaw fleet backup` uses). */
  maxEntries: number;
  /** Bytes of one member path; default 4096 (PATH_MAX). */
  maxPathBytes: number;
  /** Path segments of one member; default 64. */
  maxDepth: number;
  /** Size of manifest.json (and of the generated-files list); default 256 MiB. */
  maxManifestBytes: number;
  /**
   * Uncompressed bytes per compressed byte read so far, checked once `ratioAfterBytes` were
   * inflated; default 200. Real backups stay far below (text ≈ 3-10, SQLite ≈ 2-20); gzip of
   * zeros reaches ≈ 1030, so a bomb is refused after a few hundred KiB of input.
   */
  maxRatio: number;
  /** Uncompressed bytes before the ratio is checked (small archives may compress well); default 64 MiB. */
  ratioAfterBytes: number;
}

export const DEFAULT_LIMITS: ArchiveLimits = {
  maxBytes: 64 * 1024 ** 3,
  maxEntries: 1_000_000,
  maxPathBytes: 4096,
  maxDepth: 64,
  maxManifestBytes: 256 * 1024 ** 2,
  maxRatio: 200,
  ratioAfterBytes: 64 * 1024 ** 2,
};

/** Compressed bytes read from the file at a time (bounds how far a bomb gets before the ratio check). */
const READ_CHUNK_BYTES = 64 * 1024;

/** Longest single path segment (NAME_MAX). */
const MAX_SEGMENT_BYTES = 255;

/**
 * Check one member path and return it without trailing slashes.
 * @returns the reason it is refused, as `{ error }`, or `{ path }`.
 */
export function checkMemberPath(raw: string, limits: Pick<ArchiveLimits, "maxPathBytes" | "maxDepth"> = DEFAULT_LIMITS): { path: string } | { error: string } {
  const p = raw.replace(/\/+$/, "");
  if (p === "") return { error: "has an empty path" };
  if (raw.startsWith("/")) return { error: "has an absolute path" };
  if (/^[A-Za-z]:/.test(p)) return { error: "has a drive-letter path" };
  if (p.includes("\\")) return { error: "contains a backslash" };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(p)) return { error: "contains a control character" };
  if (p.includes("\uFFFD")) return { error: "is not valid UTF-8 (it holds U+FFFD, what undecodable bytes become)" };
  if (UNSAFE_TEXT.test(p)) return { error: "contains an invisible or invalid character (line separator, bidi override or lone surrogate)" };
  if (Buffer.byteLength(p) > limits.maxPathBytes) return { error: `has a path longer than ${limits.maxPathBytes} bytes` };
  const segs = p.split("/");
  if (segs.length > limits.maxDepth) return { error: `is nested deeper than ${limits.maxDepth} levels` };
  for (const s of segs) {
    if (s === "..") return { error: "contains a `..` segment (path traversal)" };
    if (s === "." || s === "") return { error: "is not a canonical path (`.` or empty segment)" };
    if (Buffer.byteLength(s) > MAX_SEGMENT_BYTES) return { error: `has a name longer than ${MAX_SEGMENT_BYTES} bytes` };
  }
  return { path: p };
}

/** Sections whose second level is one folder per gateway, mailbox route or knowledge mount. */
const OWNED_SECTIONS = new Set(["state", "workspaces", "comms", "knowledge"]);

/**
 * Where a member may sit in the layout (manifest.ts), beyond its path: each section and each
 * owner's root (`state/<id>`, `workspaces/<id>`, `comms/<route>`, `knowledge/<name>`) is a folder,
 * since a restore swaps it in as one; `live/` holds only `<id>.tar.gz` files; `files/` never
 * reaches into the folders that travel in their own sections.
 * @returns why `p` is refused, or undefined.
 */
export function layoutProblem(p: string, type: "file" | "dir"): string | undefined {
  if (p === MANIFEST_MEMBER) return undefined;
  const segs = p.split("/");
  const section = segs[0]!;
  if (segs.length === 1) return type === "dir" ? undefined : `is a file where the ${section}/ section's folder belongs`;
  if (OWNED_SECTIONS.has(section) && segs.length === 2 && type !== "dir") return `is a file where a folder belongs (${section}/<name> is restored as a whole folder)`;
  if (section === "live" && (segs.length > 2 || type !== "file" || !segs[1]!.endsWith(".tar.gz"))) return "is not a live/<gateway>.tar.gz file";
  if (section === "files" && /^(workspaces|comms|state|knowledge)$/i.test(segs[1]!)) return `reaches into ${segs[1]}/, which travels in its own section`;
  return undefined;
}

/**
 * The key two paths share when a case-insensitive, normalisation-insensitive file system (APFS,
 * NTFS, or a Docker Desktop bind mount of one) would store them as the same file.
 */
export function foldPath(p: string): string {
  return p.normalize("NFD").toLowerCase().normalize("NFD");
}

/** One member as read from the archive, after the path and type checks. */
export interface EntryInfo {
  path: string;
  type: "file" | "dir";
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** Unix seconds. */
  mtime: number;
}

/** What a read saw of each member (sha256 for files). */
export interface SeenEntry extends EntryInfo {
  sha256?: string;
}

export interface ReadResult {
  /** Every member in archive order, manifest included. */
  entries: SeenEntry[];
  /** Bytes of manifest.json, when present. */
  manifestText?: Buffer;
  /** Bytes of files/.clawfed/manifest.json (the generated-files list), when present. */
  generatedText?: Buffer;
  /** Uncompressed tar bytes read. */
  tarBytes: number;
  /** Compressed bytes read from the file. */
  compressedBytes: number;
}

/**
 * Called for every member that passed the checks. A file's `body` yields its bytes (hashed on the
 * way); whatever the handler leaves unread is drained afterwards. Throwing aborts the read.
 */
export type EntryHandler = (entry: EntryInfo, body: AsyncIterable<Buffer> | null) => Promise<void>;

const TYPE_NAMES: Record<string, string> = {
  symlink: "a symbolic link",
  link: "a hard link",
  "character-device": "a character device",
  "block-device": "a block device",
  fifo: "a FIFO",
  "contiguous-file": "a contiguous file",
};

/** What a read has seen so far, member by member (for the duplicate, collision and nesting checks). */
class MemberChecks {
  readonly entries: SeenEntry[] = [];
  /** Folded path (foldPath) → the member path that took it. */
  private readonly seen = new Map<string, string>();
  private readonly files = new Set<string>();
  private readonly impliedDirs = new Set<string>();
  private declaredBytes = 0;
  constructor(private readonly limits: ArchiveLimits) {}

  /**
   * Every check of one member header, in order: count, path, type, section, layout, duplicates,
   * case/normalisation collisions, nesting under a file, declared size. Records the member.
   * @throws ArchiveError naming the member
   */
  check(header: tarStream.Header): EntryInfo {
    const limits = this.limits;
    if (this.entries.length + 1 > limits.maxEntries) throw new ArchiveError(`more than ${limits.maxEntries} members (limit)`);
    const name = header.name ?? "";
    const checked = checkMemberPath(name, limits);
    if ("error" in checked) throw new ArchiveError(`member ${JSON.stringify(name)} ${checked.error}`, name);
    const p = checked.path;
    if (header.type !== "file" && header.type !== "directory") {
      const what = TYPE_NAMES[header.type as string] ?? `an entry of unknown type ${JSON.stringify(header.type ?? "?")}`;
      throw new ArchiveError(`member ${p} is ${what}; only regular files and directories are allowed`, p);
    }
    if (header.linkname) throw new ArchiveError(`member ${p} carries a link target; only regular files and directories are allowed`, p);
    const type = header.type === "file" ? "file" : "dir";
    if (p !== MANIFEST_MEMBER && sectionOf(p) === undefined) throw new ArchiveError(`member ${p} is outside the known sections of a clawfed backup`, p);
    if ((p === MANIFEST_MEMBER || p === GENERATED_MEMBER) && type !== "file") throw new ArchiveError(`member ${p} is not a file`, p);
    const layout = layoutProblem(p, type);
    if (layout) throw new ArchiveError(`member ${p} ${layout}`, p);
    this.place(p, type);
    const size = type === "file" ? header.size ?? 0 : 0;
    this.declaredBytes += size;
    if (this.declaredBytes > limits.maxBytes) throw new ArchiveError(`member ${p} would take the archive past ${limits.maxBytes} bytes (limit)`, p);
    if ((p === MANIFEST_MEMBER || p === GENERATED_MEMBER) && size > limits.maxManifestBytes) throw new ArchiveError(`${p} is larger than ${limits.maxManifestBytes} bytes (limit)`, p);
    return {
      path: p,
      type,
      size,
      mode: (header.mode ?? 0) & 0o7777,
      uid: header.uid ?? 0,
      gid: header.gid ?? 0,
      mtime: Math.max(0, Math.floor((header.mtime?.getTime() ?? 0) / 1000)),
    };
  }

  /** Duplicates, case/normalisation collisions and members inside a file. @throws ArchiveError */
  private place(p: string, type: "file" | "dir"): void {
    const key = foldPath(p);
    const earlier = this.seen.get(key);
    if (earlier === p) throw new ArchiveError(`member ${p} appears twice`, p);
    if (earlier !== undefined) throw new ArchiveError(`member ${p} and member ${earlier} differ only in case or Unicode normalisation (they would be one file on a case-insensitive file system)`, p);
    const segs = key.split("/");
    for (let i = 1; i < segs.length; i++) {
      const anc = segs.slice(0, i).join("/");
      if (this.files.has(anc)) throw new ArchiveError(`member ${p} lies inside ${this.seen.get(anc) ?? anc}, which is a file`, p);
    }
    if (type === "file" && this.impliedDirs.has(key)) throw new ArchiveError(`member ${p} is a file but other members lie inside it`, p);
    this.seen.set(key, p);
    if (type === "file") this.files.add(key);
    for (let i = 1; i < segs.length; i++) this.impliedDirs.add(segs.slice(0, i).join("/"));
  }
}

/** Byte counts of a read: uncompressed tar bytes and compressed bytes read from the file. */
interface Counts {
  tarBytes: number;
  compressedBytes: number;
}

/**
 * Feed the tar parser by hand from `file`: count every uncompressed byte against the limits, and
 * against the compressed bytes read so far (a bomb is stopped after a bounded amount of input).
 * Resolves when the input ended or failed; failures go to `fail`.
 */
function feedTar(src: NodeJS.ReadableStream, gunzip: Gunzip, extract: tarStream.Extract, limits: ArchiveLimits, counts: Counts, onBytes: ((n: number) => void) | undefined, fail: (err: unknown) => void): Promise<void> {
  src.on("error", (err) => gunzip.destroy(err as Error));
  src.on("data", (chunk: Buffer) => (counts.compressedBytes += chunk.length));
  src.pipe(gunzip);
  return (async () => {
    try {
      for await (const chunk of gunzip as AsyncIterable<Buffer>) {
        counts.tarBytes += chunk.length;
        onBytes?.(chunk.length);
        if (counts.tarBytes > limits.maxBytes) throw new ArchiveError(`more than ${limits.maxBytes} bytes once uncompressed (limit; a decompression bomb?)`);
        if (counts.tarBytes > limits.ratioAfterBytes && counts.tarBytes > limits.maxRatio * counts.compressedBytes) {
          throw new ArchiveError(
            `a decompression bomb: ${counts.compressedBytes} compressed bytes already inflated to ${counts.tarBytes} (more than ${limits.maxRatio} times as many; limit --max-ratio)`,
          );
        }
        if (extract.destroyed) return;
        if (!extract.write(chunk)) await drained(extract);
      }
      extract.end(undefined);
    } catch (err) {
      fail(err instanceof ArchiveError ? err : (err as NodeJS.ErrnoException).code?.startsWith("Z_") ? new ArchiveError(gzipMessage(err)) : err);
    }
  })();
}

/** The error a failed read reports: ArchiveErrors as they are, tar-stream's words translated. */
function readFailure(failure: unknown): unknown {
  if (failure instanceof ArchiveError) return failure;
  const msg = (failure as Error).message ?? String(failure);
  if (/Unexpected end of data/.test(msg)) return new ArchiveError("the tar stream ends in the middle of a member (truncated archive)");
  if (/Invalid tar header|Header exceeds max size|Invalid header/.test(msg)) return new ArchiveError(`not a valid tar stream (${msg})`);
  return failure;
}

/**
 * Read an archive member by member under `limits`.
 * @throws ArchiveError for anything unsafe or malformed (with the member concerned), or the
 *   handler's own error.
 */
export async function readArchive(file: string, opts: { limits?: Partial<ArchiveLimits>; onEntry?: EntryHandler; onBytes?: (tarBytes: number) => void } = {}): Promise<ReadResult> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  let st;
  try {
    st = await stat(file);
  } catch (err) {
    throw new ArchiveError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
  if (!st.isFile()) throw new ArchiveError(`${file} is not a regular file`);

  const src = createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
  const gunzip = createGunzip({ chunkSize: 1 << 17 });
  const extract = tarStream.extract();
  const checks = new MemberChecks(limits);
  const kept: { manifest?: Buffer; generated?: Buffer } = {};
  const counts: Counts = { tarBytes: 0, compressedBytes: 0 };
  let failure: unknown;
  const fail = (err: unknown) => {
    failure ??= err;
    extract.destroy(err instanceof Error ? err : new Error(String(err)));
  };
  const feeder = feedTar(src, gunzip, extract, limits, counts, opts.onBytes, fail);

  async function handle(header: tarStream.Header, stream: AsyncIterable<Buffer> & { resume(x?: unknown): unknown }): Promise<void> {
    const info = checks.check(header);
    if (info.type === "dir") {
      stream.resume(undefined);
      checks.entries.push(info);
      await opts.onEntry?.(info, null);
      return;
    }
    const p = info.path;
    const keep: Buffer[] | undefined = p === MANIFEST_MEMBER || p === GENERATED_MEMBER ? [] : undefined;
    const hashed = hashedBody(stream, keep);
    if (opts.onEntry) await opts.onEntry(info, hashed.body);
    for await (const _ of hashed.body) void _; // drain what the handler left
    if (hashed.bytes() !== info.size) throw new ArchiveError(`member ${p} is truncated (${hashed.bytes()} of ${info.size} bytes)`, p);
    if (keep && p === MANIFEST_MEMBER) kept.manifest = Buffer.concat(keep);
    if (keep && p === GENERATED_MEMBER) kept.generated = Buffer.concat(keep);
    checks.entries.push({ ...info, sha256: hashed.sha256() });
  }

  const entryFailure = await eachTarEntry(extract, (header, body) => handle(header, body as typeof body & { resume(x?: unknown): unknown }), (err) => {
    if (failure === undefined) fail(err);
  });
  failure ??= entryFailure;
  src.destroy();
  gunzip.destroy();
  await feeder;
  if (failure !== undefined) throw readFailure(failure);
  return { entries: checks.entries, manifestText: kept.manifest, generatedText: kept.generated, tarBytes: counts.tarBytes, compressedBytes: counts.compressedBytes };
}
