/**
 * Host-side files of a backup: walking a directory into an archive (regular files and directories
 * only; everything else is reported as skipped), and writing verified members back through a
 * staging area that replaces its target only once everything was written.
 */
import type { Stats } from "node:fs";
import { chmod, chown, lchown, lstat, mkdir, open, readdir, rename, rm, utimes } from "node:fs/promises";
import path from "node:path";
import { checkMemberPath, type EntryInfo } from "./archive.js";
import type { ArchiveWriter } from "./archive-writer.js";

export interface Skipped {
  path: string;
  reason: string;
}

export interface TreeStats {
  files: number;
  dirs: number;
  bytes: number;
}

/** Files up to this size are read in one go; larger ones are streamed (bytes). */
const SMALL_FILE_BYTES = 8 * 1024 * 1024;

function kindOf(st: Stats): string {
  if (st.isSymbolicLink()) return "a symbolic link";
  if (st.isSocket()) return "a socket";
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  return "not a regular file";
}

/**
 * Add one host file to the archive. The file is opened first and read from that descriptor, so a
 * file replaced by rename while we read still yields the consistent old bytes.
 * @throws when the file shrinks while being read
 */
export async function addHostFile(w: ArchiveWriter, hostPath: string, member: string): Promise<number> {
  const fh = await open(hostPath, "r");
  try {
    const st = await fh.stat();
    const meta = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
    if (st.size <= SMALL_FILE_BYTES) {
      const buf = Buffer.alloc(st.size);
      let off = 0;
      while (off < st.size) {
        const { bytesRead } = await fh.read(buf, off, st.size - off, off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      await w.addFile(member, st.size, off === st.size ? buf : buf.subarray(0, off), meta);
    } else {
      const stream = fh.createReadStream({ start: 0, end: st.size - 1, autoClose: false, highWaterMark: 1 << 20 });
      await w.addFile(member, st.size, stream as AsyncIterable<Buffer>, meta);
    }
    return st.size;
  } finally {
    await fh.close();
  }
}

/**
 * Add the tree at `hostDir` under member prefix `prefix` (the directory itself becomes `prefix`).
 * Symlinks, sockets, FIFOs, devices and names an archive may not carry are skipped and listed.
 * @returns counts; nothing when `hostDir` does not exist (reported as skipped).
 */
export async function addHostTree(w: ArchiveWriter, hostDir: string, prefix: string, skipped: Skipped[], exclude: (rel: string) => boolean = () => false): Promise<TreeStats> {
  const stats: TreeStats = { files: 0, dirs: 0, bytes: 0 };
  let root: Stats;
  try {
    root = await lstat(hostDir);
  } catch {
    skipped.push({ path: prefix, reason: `${hostDir} does not exist` });
    return stats;
  }
  if (!root.isDirectory()) {
    skipped.push({ path: prefix, reason: `${hostDir} is ${kindOf(root)}, not a directory` });
    return stats;
  }
  async function walk(dir: string, member: string, st: Stats): Promise<void> {
    await w.addDir(member, { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) });
    stats.dirs++;
    for (const name of (await readdir(dir)).sort()) {
      const p = path.join(dir, name);
      const m = `${member}/${name}`;
      const rel = path.relative(hostDir, p);
      if (exclude(rel)) continue;
      const c = checkMemberPath(m);
      if ("error" in c) {
        skipped.push({ path: m, reason: `its name ${c.error}` });
        continue;
      }
      const other = w.collides(m);
      if (other !== undefined) {
        skipped.push({ path: m, reason: `its name differs from ${other} only in case or Unicode normalisation (one file on a case-insensitive file system)` });
        continue;
      }
      const s = await lstat(p).catch(() => undefined);
      if (!s) continue; // vanished meanwhile
      if (s.isDirectory()) await walk(p, m, s);
      else if (s.isFile()) {
        stats.bytes += await addHostFile(w, p, m);
        stats.files++;
      } else skipped.push({ path: m, reason: `${kindOf(s)}; only regular files and directories are backed up` });
    }
  }
  await walk(hostDir, prefix, root);
  return stats;
}

const isRoot = () => process.getuid?.() === 0;

/**
 * Receives verified members for one host directory and puts them in a fresh staging directory
 * next to it; `commit` swaps the staging directory in (the old one is removed), `discard` removes
 * it. Member paths are checked canonical paths, and nothing in the staging directory is a link,
 * so no write can leave it.
 */
export class StagedDir {
  private readonly dirs: EntryInfo[] = [];
  private ownerWarning = false;
  readonly stage: string;

  constructor(readonly target: string) {
    this.stage = path.join(path.dirname(target), `.${path.basename(target)}.clawfed-restore-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  }

  async open(): Promise<void> {
    await mkdir(path.dirname(this.target), { recursive: true });
    await mkdir(this.stage, { mode: 0o700 });
  }

  /** `rel` is the member path below the directory's own member ("" for the directory itself). */
  async add(rel: string, e: EntryInfo, body: AsyncIterable<Buffer> | null): Promise<void> {
    const dest = rel ? path.join(this.stage, ...rel.split("/")) : this.stage;
    if (e.type === "dir") {
      await mkdir(dest, { recursive: true, mode: 0o700 });
      this.dirs.push({ ...e, path: dest });
      return;
    }
    await mkdir(path.dirname(dest), { recursive: true, mode: 0o700 });
    await writeMemberFile(dest, e, body!);
    await this.own(dest, e);
  }

  private async own(p: string, e: EntryInfo): Promise<void> {
    if (!isRoot()) {
      this.ownerWarning = true;
      return;
    }
    await lchown(p, e.uid, e.gid);
  }

  /** True when owners could not be restored (not running as root). */
  get ownersLost(): boolean {
    return this.ownerWarning;
  }

  /** Apply directory modes, owners and times (deepest first), then swap the stage in. */
  async commit(): Promise<void> {
    for (const d of [...this.dirs].sort((a, b) => b.path.length - a.path.length)) {
      await this.own(d.path, d);
      await chmod(d.path, d.mode & 0o1777);
      await utimes(d.path, d.mtime, d.mtime);
    }
    const old = `${this.stage}-old`;
    const had = await lstat(this.target).then(() => true, () => false);
    if (had) await rename(this.target, old);
    await rename(this.stage, this.target);
    if (had) await rm(old, { recursive: true, force: true });
  }

  async discard(): Promise<void> {
    await rm(this.stage, { recursive: true, force: true });
  }
}

/** Create `dest` exclusively with a member's bytes, mode and time. */
export async function writeMemberFile(dest: string, e: EntryInfo, body: AsyncIterable<Buffer>): Promise<void> {
  const fh = await open(dest, "wx", 0o600);
  try {
    for await (const chunk of body) {
      let off = 0;
      while (off < chunk.length) off += (await fh.write(chunk, off)).bytesWritten;
    }
    await fh.chmod(e.mode & 0o1777);
    await fh.utimes(e.mtime, e.mtime);
  } finally {
    await fh.close();
  }
}

/**
 * Receives single verified files (generated files, `.env`) into temporary names next to their
 * targets; `commit` renames them all into place.
 */
export class StagedFiles {
  private readonly pending: Array<{ temp: string; target: string }> = [];

  async add(target: string, e: EntryInfo, body: AsyncIterable<Buffer>): Promise<void> {
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.clawfed-restore-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    this.pending.push({ temp, target });
    await writeMemberFile(temp, e, body);
    if (isRoot()) await chown(temp, e.uid, e.gid);
  }

  async commit(): Promise<string[]> {
    for (const p of this.pending) await rename(p.temp, p.target);
    return this.pending.map((p) => p.target);
  }

  async discard(): Promise<void> {
    await Promise.all(this.pending.map((p) => rm(p.temp, { force: true })));
  }
}
