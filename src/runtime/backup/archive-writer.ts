/**
 * Writing clawfed backup archives: members stream into a temporary file (mode 0600, created
 * exclusively next to the destination), each member's size and sha256 computed on the way,
 * `manifest.json` appended last, published with a hard link that never replaces an existing file.
 * Reading and validation live in archive.ts; this file only writes.
 */
import { createHash } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { copyFile, link, open, stat, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { availableParallelism } from "node:os";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import * as tarStream from "tar-stream";
import { Manifest, MANIFEST_MEMBER, type Member } from "./manifest.js";
import { checkMemberPath, foldPath } from "./archive.js";
/** Owner, mode and time of a member being written. */
export interface MemberMeta {
  mode: number;
  uid: number;
  gid: number;
  /** Unix seconds. */
  mtime: number;
}

/**
 * Write a file exclusively: create `final` with the bytes of `temp`, failing with EEXIST when it
 * exists (hard link; falls back to an exclusive copy where the file system has no hard links).
 */
export async function publishNoReplace(temp: string, final: string): Promise<void> {
  try {
    await link(temp, final);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw err;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "EXDEV") throw err;
    await copyFile(temp, final, fsConstants.COPYFILE_EXCL);
  }
  await unlink(temp).catch(() => undefined);
  // Make the new directory entry durable (best effort: not every file system allows it).
  const dir = await open(path.dirname(final), "r").catch(() => undefined);
  await dir?.sync().catch(() => undefined);
  await dir?.close();
}

export interface WriterOptions {
  /** gzip level 1-9; default 6 (gzip's default). */
  level?: number;
  /** Blocks compressed at the same time; default the number of CPUs (at least 2). */
  threads?: number;
}

/**
 * Bytes of the tar stream compressed as one gzip member. The archive is a series of gzip members
 * (RFC 1952 allows it; gzip, tar and Node read them as one stream), so blocks are compressed on
 * several threads at once instead of one (like pigz); 1 MiB blocks cost well under 0.1 % in size.
 */
export const GZIP_BLOCK_BYTES = 1 << 20;
const gzipAsync = promisify(gzip);

/**
 * Streams members into `<dir>/.<name>.clawfed-tmp-…` (0600, exclusive) and publishes the finished
 * archive under its final name without replacing anything.
 */
export class ArchiveWriter {
  readonly members: Member[] = [];
  private readonly pack = tarStream.pack();
  private readonly done: Promise<void>;
  private bytes = 0;
  private closed = false;

  private constructor(
    readonly finalPath: string,
    readonly tempPath: string,
    private readonly fh: FileHandle,
    opts: WriterOptions,
  ) {
    const level = opts.level ?? 6;
    const inFlight = Math.max(2, opts.threads ?? availableParallelism());
    this.pack.on("error", () => undefined); // reported through `done`
    const pending: Array<Promise<Buffer>> = [];
    let block: Buffer[] = [];
    let blockLen = 0;
    const writeOut = async (buf: Buffer) => {
      let off = 0;
      while (off < buf.length) off += (await fh.write(buf, off)).bytesWritten;
    };
    const flush = async () => {
      if (blockLen === 0) return;
      const data = block.length === 1 ? block[0]! : Buffer.concat(block, blockLen);
      block = [];
      blockLen = 0;
      const p = gzipAsync(data, { level });
      p.catch(() => undefined); // awaited below, in order
      pending.push(p);
      while (pending.length >= inFlight) await writeOut(await pending.shift()!);
    };
    this.done = (async () => {
      for await (const chunk of this.pack as AsyncIterable<Buffer>) {
        block.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        blockLen += chunk.length;
        if (blockLen >= GZIP_BLOCK_BYTES) await flush();
      }
      await flush();
      while (pending.length) await writeOut(await pending.shift()!);
    })();
    this.done.catch(() => undefined);
  }

  /** Open a writer for `finalPath`. @throws when `finalPath` already exists. */
  static async open(finalPath: string, opts: WriterOptions = {}): Promise<ArchiveWriter> {
    if (await stat(finalPath).then(() => true, () => false)) throw Object.assign(new Error(`${finalPath} already exists`), { code: "EEXIST" });
    const temp = path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.clawfed-tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
    const fh = await open(temp, "wx", 0o600);
    return new ArchiveWriter(finalPath, temp, fh, opts);
  }

  /** Uncompressed bytes of member content written so far. */
  get contentBytes(): number {
    return this.bytes;
  }

  /** foldPath of every member written → its path. */
  private readonly folded = new Map<string, string>();

  /**
   * The member already written that `p` would collide with on a case-insensitive file system
   * (readers refuse such archives), or undefined. Callers skip `p` and report it.
   */
  collides(p: string): string | undefined {
    return this.folded.get(foldPath(p));
  }

  private check(p: string): string {
    const c = checkMemberPath(p);
    if ("error" in c || c.path !== p) throw new Error(`internal: bad member path ${p}`);
    const other = this.collides(p);
    if (other !== undefined) throw new Error(`internal: member ${p} collides with ${other}`);
    this.folded.set(foldPath(p), p);
    return p;
  }

  private header(p: string, type: "file" | "directory", size: number, meta: MemberMeta): tarStream.Header {
    return {
      name: p,
      type,
      size,
      mode: meta.mode & 0o7777,
      uid: meta.uid,
      gid: meta.gid,
      mtime: new Date(meta.mtime * 1000),
      linkname: "",
      uname: "",
      gname: "",
      devmajor: 0,
      devminor: 0,
    };
  }

  /** Add a directory member. */
  async addDir(p: string, meta: MemberMeta): Promise<Member> {
    this.check(p);
    await new Promise<void>((resolve, reject) => this.pack.entry(this.header(p, "directory", 0, meta), (err) => (err ? reject(err) : resolve())));
    const m: Member = { path: p, type: "dir", size: 0, mode: meta.mode & 0o7777, uid: meta.uid, gid: meta.gid, mtime: meta.mtime };
    this.members.push(m);
    return m;
  }

  /**
   * Add a file member of exactly `size` bytes from `body`.
   * @throws when `body` yields a different number of bytes (the archive is then unusable: abort it).
   */
  async addFile(p: string, size: number, body: AsyncIterable<Uint8Array> | Uint8Array, meta: MemberMeta): Promise<Member> {
    this.check(p);
    const hash = createHash("sha256");
    let got = 0;
    let cbErr: Error | null | undefined;
    let finished!: () => void;
    const written = new Promise<void>((r) => (finished = r));
    const sink = this.pack.entry(this.header(p, "file", size, meta), (err) => {
      cbErr = err;
      finished();
    });
    sink.on("error", () => undefined); // reported through the entry callback
    const chunks: AsyncIterable<Uint8Array> | Uint8Array[] = body instanceof Uint8Array ? [body] : body;
    for await (const chunk of chunks) {
      got += chunk.length;
      if (got > size) break;
      hash.update(chunk);
      if (!sink.write(chunk)) await new Promise<void>((r) => sink.once("drain", r));
    }
    if (got !== size) {
      // The tar stream is now unusable; the caller aborts the writer.
      throw new Error(`${p} changed while it was being read (${got} bytes instead of ${size})`);
    }
    sink.end(undefined);
    await written;
    if (cbErr) throw cbErr;
    this.bytes += size;
    const m: Member = { path: p, type: "file", size, sha256: hash.digest("hex"), mode: meta.mode & 0o7777, uid: meta.uid, gid: meta.gid, mtime: meta.mtime };
    this.members.push(m);
    return m;
  }

  /**
   * Append manifest.json (from `build`, given the members written), close the file, fsync and
   * publish it. @returns the final path and its size in bytes.
   * @throws EEXIST error when the final path appeared meanwhile (the temporary file is removed).
   */
  async finish(build: (members: Member[]) => Manifest): Promise<{ path: string; bytes: number }> {
    const manifest = build(this.members);
    const text = Buffer.from(`${JSON.stringify(manifest, null, 1)}\n`);
    await new Promise<void>((resolve, reject) =>
      this.pack.entry(
        this.header(MANIFEST_MEMBER, "file", text.length, { mode: 0o600, uid: 0, gid: 0, mtime: Math.floor(Date.parse(manifest.createdAt) / 1000) }),
        text,
        (err) => (err ? reject(err) : resolve()),
      ),
    );
    this.pack.finalize();
    await this.done;
    await this.fh.sync();
    await this.fh.close();
    this.closed = true;
    try {
      await publishNoReplace(this.tempPath, this.finalPath);
    } catch (err) {
      await unlink(this.tempPath).catch(() => undefined);
      throw err;
    }
    return { path: this.finalPath, bytes: (await stat(this.finalPath)).size };
  }

  /** Throw the unfinished archive away. */
  async abort(): Promise<void> {
    this.pack.destroy(undefined as unknown as Error);
    await this.done.catch(() => undefined);
    if (!this.closed) await this.fh.close().catch(() => undefined);
    this.closed = true;
    await unlink(this.tempPath).catch(() => undefined);
  }
}
