/**
 * File-system primitives of the writer that never follow a symbolic link below a folder clawfed
 * writes into (the output folder, or a folder the spec names on purpose such as an absolute
 * `comms.path`). Those folders hold sub-folders the gateways (uid 1000, or the user's own processes
 * for native targets) can write into — workspaces/<id>, comms/<route>, state/<id> — so a gateway can
 * plant links there; clawfed often runs as root.
 *
 * The rules, each applied in one place here:
 * - a root is given by the user (it may itself be reached through links: it is resolved once with
 *   realpath, then everything happens below the real path);
 * - every component below the root is checked with lstat: a link, or a file where a folder is
 *   expected (or the reverse), is refused with a RuntimeError naming it and what to do;
 * - files are opened with O_NOFOLLOW (plus O_NONBLOCK, so a planted FIFO cannot hang a read), new
 *   content goes to a temporary file with an unpredictable name created with
 *   O_CREAT|O_EXCL|O_NOFOLLOW in the same folder, mode and owner are set on the open descriptor, and a
 *   rename replaces the target (rename replaces a link itself, it never writes through it);
 * - folders are created one component at a time (mkdir never follows a link at its last component)
 *   and owners are changed with lchown after the check;
 * - only regular files are deleted (unlink, never a tree).
 *
 * Residual risk (documented, not closed): Node has no openat(), so between the lstat check of a
 * parent folder and the operation a process that runs at the same time could swap that folder for
 * a link. Planted links that are there when clawfed starts — the attack that was observed — are
 * always refused.
 */
import { randomBytes } from "node:crypto";
import { constants as FS, type Stats } from "node:fs";
import { access, lchown, lstat, mkdir, open, readlink, realpath, rename, rm, rmdir, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { RuntimeError, UsageError } from "../errors.js";

const O_NOFOLLOW = FS.O_NOFOLLOW ?? 0;
const O_NONBLOCK = FS.O_NONBLOCK ?? 0;

type Errno = NodeJS.ErrnoException;
const code = (err: unknown): string | undefined => (err as Errno)?.code;

/** A few errno codes in words (the rest are shown as they are). */
const WORDS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  ENOTDIR: "a component of the path is not a folder",
  EISDIR: "is a folder",
  ELOOP: "too many symbolic links, or a link where none is allowed",
  ENOENT: "does not exist",
  EEXIST: "already exists",
  EBUSY: "busy",
  EXDEV: "crosses file systems",
  ENAMETOOLONG: "name too long",
};

/** `EACCES` → `permission denied (EACCES)`. */
export function errnoText(err: unknown): string {
  const c = code(err);
  if (!c) return err instanceof Error ? err.message : String(err);
  return WORDS[c] ? `${WORDS[c]} (${c})` : c;
}

/**
 * Turn a file-system failure into a RuntimeError (exit 3) naming the path; RuntimeError and
 * UsageError pass through unchanged. `what` is a verb phrase: "write", "create the folder" …
 */
export function fsFailure(err: unknown, what: string, p: string, next?: string): Error {
  if (err instanceof RuntimeError || err instanceof UsageError) return err;
  const where = (err as Errno)?.path && (err as Errno).path !== p ? ` (at ${(err as Errno).path})` : "";
  return new RuntimeError(`cannot ${what} ${p}: ${errnoText(err)}${where}`, {
    cause: err,
    next: next ?? "check that the folder exists, is writable by this user and has free space, then run the command again",
  });
}

/**
 * A relative POSIX path that stays inside its folder: not empty, no NUL, not absolute, no `.`/`..`
 * or empty segments, no trailing `/`, and already normalised (`path.posix.normalize(p) === p`).
 */
export function isSafeRelPath(p: unknown): p is string {
  if (typeof p !== "string" || p.length === 0 || p.includes("\0") || p.startsWith("/") || p.endsWith("/")) return false;
  if (path.posix.normalize(p) !== p) return false;
  return p.split("/").every((s) => s !== "" && s !== "." && s !== "..");
}

/** A folder clawfed writes below. `shown` is how messages name it; `real` its realpath (once it exists). */
export interface Root {
  shown: string;
  real?: string;
}

/** Where a link was found: "<p> is a symbolic link to <target>". */
async function linkProblem(real: string, shown: string): Promise<RuntimeError> {
  const target = await readlink(real).catch(() => "?");
  return new RuntimeError(`${shown} is a symbolic link (to ${target}); clawfed never follows links inside the folders it writes`, {
    next: `remove it (rm ${JSON.stringify(shown)}: a gateway may have planted it) and run the command again`,
  });
}

function typeProblem(shown: string, st: Stats, want: "folder" | "regular file"): RuntimeError {
  const is = st.isDirectory() ? "a folder" : st.isFile() ? "a regular file" : st.isFIFO() ? "a FIFO" : st.isSocket() ? "a socket" : "a device or other special file";
  return new RuntimeError(`${shown} is ${is}, where clawfed writes a ${want}`, {
    next: `move it away (e.g. mv ${JSON.stringify(shown)} ${JSON.stringify(`${shown}.bak`)}) and run the command again`,
  });
}

/**
 * Check a root before anything is written: it must be a folder (reached through links or not),
 * or missing with a nearest existing ancestor that is a writable folder.
 * @returns the root with `real` set when it exists
 * @throws RuntimeError (exit 3) for a regular file, a dangling or looping link, a path through a
 *   file, or a folder this user cannot write (EACCES, EROFS, EPERM …), naming the path
 */
export async function checkRoot(given: string, what = "output folder"): Promise<Root> {
  const shown = path.resolve(given);
  const next = "pass --out with a folder you can write (or fix this one), then run the command again";
  let st: Stats;
  try {
    st = await lstat(shown);
  } catch (err) {
    if (code(err) !== "ENOENT" && code(err) !== "ENOTDIR") throw fsFailure(err, `use the ${what}`, shown, next);
    // Missing: the nearest existing ancestor must be a folder this user can write (it is created later).
    let up = path.dirname(shown);
    for (;;) {
      const s = await lstat(up).catch((e: unknown) => (code(e) === "ENOENT" || code(e) === "ENOTDIR" ? undefined : Promise.reject(fsFailure(e, `use the ${what}`, up, next))));
      if (s) break;
      up = path.dirname(up);
    }
    const target = await stat(up).catch(() => undefined);
    if (!target) throw new RuntimeError(`cannot create the ${what} ${shown}: ${up} is a symbolic link to something that does not exist`, { next });
    if (!target.isDirectory()) throw new RuntimeError(`cannot create the ${what} ${shown}: ${up} is a file, not a folder`, { next });
    await access(up, FS.W_OK | FS.X_OK).catch((e: unknown) => Promise.reject(fsFailure(e, `create the ${what}`, shown, next)));
    return { shown };
  }
  if (st.isSymbolicLink()) {
    let target: Stats;
    try {
      target = await stat(shown);
    } catch (err) {
      const to = await readlink(shown).catch(() => "?");
      if (code(err) === "ENOENT") throw new RuntimeError(`the ${what} ${shown} is a symbolic link to ${to}, which does not exist`, { next: `create ${to} first, or ${next}` });
      throw fsFailure(err, `use the ${what}`, shown, next);
    }
    if (!target.isDirectory()) throw new RuntimeError(`the ${what} ${shown} is a symbolic link to a file, not to a folder`, { next });
  } else if (!st.isDirectory()) {
    throw new RuntimeError(`the ${what} ${shown} is ${st.isFile() ? "a file" : "not a folder"}`, { next });
  }
  let real: string;
  try {
    real = await realpath(shown);
    await access(real, FS.W_OK | FS.X_OK);
  } catch (err) {
    throw fsFailure(err, `write into the ${what}`, shown, next);
  }
  return { shown, real };
}

/** Create a checked root that does not exist yet (following links above it: the user named it). */
export async function createRoot(root: Root, mode = 0o777): Promise<string> {
  if (root.real) return root.real;
  try {
    await mkdir(root.shown, { recursive: true, mode });
    root.real = await realpath(root.shown);
    return root.real;
  } catch (err) {
    throw fsFailure(err, "create the folder", root.shown);
  }
}

/** What is at a path below a root: nothing, a folder, or a regular file (links and others are refused). */
export type Found = { kind: "missing" } | { kind: "dir"; st: Stats } | { kind: "file"; st: Stats };

/**
 * lstat every component of `rel` below `root`: parents must be real folders, the last one `want`.
 * A missing component makes the rest missing. `cache` (rel folder → found) may be shared by checks
 * of one plan. Nothing is changed.
 * @throws RuntimeError for a link or a component of the wrong type, naming it
 */
export async function inspect(root: Root, rel: string, want: "dir" | "file", cache?: Map<string, Found>): Promise<Found> {
  if (!root.real) return { kind: "missing" };
  const parts = rel.split("/");
  for (let i = 0; i < parts.length; i++) {
    const sub = parts.slice(0, i + 1).join("/");
    const last = i === parts.length - 1;
    const w = last ? want : "dir";
    let found = w === "dir" ? cache?.get(sub) : undefined;
    if (!found) {
      const real = path.join(root.real, sub);
      const shown = path.join(root.shown, sub);
      let st: Stats;
      try {
        st = await lstat(real);
      } catch (err) {
        if (code(err) === "ENOENT") found = { kind: "missing" };
        else throw fsFailure(err, "inspect", shown);
        if (w === "dir") cache?.set(sub, found);
        return found;
      }
      if (st.isSymbolicLink()) throw await linkProblem(real, shown);
      if (w === "dir" && !st.isDirectory()) throw typeProblem(shown, st, "folder");
      if (w === "file" && !st.isFile()) throw typeProblem(shown, st, "regular file");
      found = w === "dir" ? { kind: "dir", st } : { kind: "file", st };
      if (w === "dir") cache?.set(sub, found);
    }
    if (found.kind === "missing") return found;
    if (last) return found;
  }
  return { kind: "missing" };
}

/** Bytes of a file clawfed reads back whole (.env, the manifest); a bigger one was not written by it. */
export const MAX_READ_BYTES = 16 * 1024 * 1024;

/**
 * Read a regular file below a root without following a link (O_NOFOLLOW|O_NONBLOCK, fstat).
 * With `expectBytes` (the size of the content about to be compared), a file of another size is
 * not read (`text` undefined: it differs), so a huge planted file costs nothing.
 * @returns its text and mode, or undefined when it does not exist
 * @throws RuntimeError for a link or a non-regular file on the way or at the end, or a file larger
 *   than {@link MAX_READ_BYTES} without `expectBytes`
 */
export async function readBelow(root: Root, rel: string, cache?: Map<string, Found>): Promise<{ text: string; mode: number } | undefined>;
export async function readBelow(root: Root, rel: string, cache: Map<string, Found> | undefined, expectBytes: number): Promise<{ text?: string; mode: number } | undefined>;
export async function readBelow(root: Root, rel: string, cache?: Map<string, Found>, expectBytes?: number): Promise<{ text?: string; mode: number } | undefined> {
  // Parents by lstat (cached); the file itself by the O_NOFOLLOW open and fstat below.
  const parent = path.posix.dirname(rel);
  if (!root.real || (parent !== "." && (await inspect(root, parent, "dir", cache)).kind === "missing")) return undefined;
  const real = path.join(root.real!, rel);
  const shown = path.join(root.shown, rel);
  let fh;
  try {
    fh = await open(real, FS.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    if (code(err) === "ENOENT") return undefined;
    if (code(err) === "ELOOP") throw await linkProblem(real, shown);
    throw fsFailure(err, "read", shown);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw typeProblem(shown, st, "regular file");
    if (expectBytes !== undefined && st.size !== expectBytes) return { mode: st.mode & 0o7777 };
    if (st.size > MAX_READ_BYTES) {
      throw new RuntimeError(`${shown} has ${st.size} bytes, more than clawfed ever writes there (${MAX_READ_BYTES})`, { next: `move it away and run the command again` });
    }
    // One read of the known size (FileHandle.readFile reads in small chunks: slow on 10 000 files).
    const buf = Buffer.allocUnsafe(st.size + 1);
    let n = 0;
    for (let r; n < buf.length && (r = (await fh.read(buf, n, buf.length - n, n)).bytesRead) > 0; ) n += r;
    // It grew while being read: read it whole (positional reads left the file position at 0).
    const text = n <= st.size ? buf.toString("utf8", 0, n) : await fh.readFile("utf8");
    return { text, mode: st.mode & 0o7777 };
  } catch (err) {
    throw fsFailure(err, "read", shown);
  } finally {
    await fh.close();
  }
}

/**
 * Create the folder `rel` below a root (and its missing parents), one component at a time, never
 * through a link. `mode` applies to the folders created here (the umask applies, as for mkdir);
 * existing folders keep their mode. `owner` is given to the last folder (lchown, after the check).
 * `made` records folders already checked in this run.
 * @returns the real path of the folder
 */
export async function ensureDirBelow(root: Root, rel: string, mode: number, made: Set<string>, owner?: { uid: number; gid: number }): Promise<string> {
  const base = await createRoot(root);
  if (rel === "") return base;
  const parts = rel.split("/");
  for (let i = 0; i < parts.length; i++) {
    const sub = parts.slice(0, i + 1).join("/");
    if (made.has(sub)) continue;
    const real = path.join(base, sub);
    const shown = path.join(root.shown, sub);
    const fail = (err: unknown) => Promise.reject(fsFailure(err, "create the folder", shown));
    let st = await lstat(real).catch((err: unknown) => (code(err) === "ENOENT" ? undefined : fail(err)));
    if (!st) {
      await mkdir(real, { mode }).catch((err: unknown) => (code(err) === "EEXIST" ? undefined : fail(err)));
      st = await lstat(real).catch(fail);
    }
    if (st.isSymbolicLink()) throw await linkProblem(real, shown);
    if (!st.isDirectory()) throw typeProblem(shown, st, "folder");
    made.add(sub);
  }
  const real = path.join(base, rel);
  if (owner) await lchown(real, owner.uid, owner.gid).catch((err: unknown) => Promise.reject(fsFailure(err, "change the owner of", path.join(root.shown, rel))));
  return real;
}

/** Open an existing regular file below a root without following a link and set its mode. */
export async function chmodBelow(root: Root, rel: string, mode: number): Promise<void> {
  await inspect(root, rel, "file");
  const real = path.join(root.real!, rel);
  const shown = path.join(root.shown, rel);
  let fh;
  try {
    fh = await open(real, FS.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    if (code(err) === "ELOOP") throw await linkProblem(real, shown);
    throw fsFailure(err, "change the mode of", shown);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw typeProblem(shown, st, "regular file");
    await fh.chmod(mode);
  } catch (err) {
    throw fsFailure(err, "change the mode of", shown);
  } finally {
    await fh.close();
  }
}

/**
 * Create a temporary file with an unpredictable name next to `target` (O_CREAT|O_EXCL|O_NOFOLLOW,
 * so an existing file or link of that name is never opened), give it `content`, `mode` and
 * optionally an owner, flush it, and rename it over `target`. The folder of `target` must already
 * be checked. A reader never sees half a file; a link at `target` is replaced, not followed.
 */
export async function replaceFile(target: string, content: string, mode: number, owner?: { uid: number; gid: number }, shown = target): Promise<void> {
  let tmp = "";
  let fh;
  for (let attempt = 0; !fh; attempt++) {
    tmp = `${target}.clawfed-tmp-${randomBytes(12).toString("base64url")}`;
    try {
      fh = await open(tmp, FS.O_WRONLY | FS.O_CREAT | FS.O_EXCL | O_NOFOLLOW, mode);
    } catch (err) {
      if (code(err) === "EEXIST" && attempt < 5) continue;
      throw fsFailure(err, "write", shown);
    }
  }
  try {
    try {
      // Created with its final mode (never readable by others, not even briefly); chmod undoes the umask.
      await fh.chmod(mode);
      if (owner) await fh.chown(owner.uid, owner.gid);
      await fh.writeFile(content, "utf8");
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw fsFailure(err, "write", shown);
  }
}

/** Write the regular file `rel` below a root: folders checked or created, then {@link replaceFile}. */
export async function writeBelow(root: Root, rel: string, content: string, mode: number, made: Set<string>, owner?: { uid: number; gid: number }): Promise<void> {
  const dir = await ensureDirBelow(root, path.posix.dirname(rel) === "." ? "" : path.posix.dirname(rel), 0o777, made);
  const target = path.join(dir, path.posix.basename(rel));
  const st = await lstat(target).catch(() => undefined);
  if (st?.isSymbolicLink()) throw await linkProblem(target, path.join(root.shown, rel));
  if (st && !st.isFile()) throw typeProblem(path.join(root.shown, rel), st, "regular file");
  await replaceFile(target, content, mode, owner, path.join(root.shown, rel));
}

/**
 * Delete `rel` below a root if, and only if, it is a regular file reached without links; then
 * remove the folders it leaves empty (never the root itself).
 * @returns whether a file was deleted
 */
export async function unlinkBelow(root: Root, rel: string): Promise<boolean> {
  const found = await inspect(root, rel, "file");
  if (found.kind !== "file") return false;
  const real = path.join(root.real!, rel);
  try {
    await unlink(real);
  } catch (err) {
    if (code(err) === "ENOENT") return false;
    throw fsFailure(err, "remove", path.join(root.shown, rel));
  }
  for (let d = path.posix.dirname(rel); d !== "."; d = path.posix.dirname(d)) {
    if (!(await rmdir(path.join(root.real!, d)).then(() => true, () => false))) break;
  }
  return true;
}

/**
 * Remove the folder `rel` below `root` with everything in it (links inside are removed, never
 * followed); every parent must be a real folder (inspect). Used by `clawfed remove` for a removed
 * gateway's workspace and mailbox folders, after its backup.
 * @returns whether a folder was removed
 * @throws RuntimeError for a link or file on the path, or when it cannot be removed
 */
export async function removeTreeBelow(root: Root, rel: string): Promise<boolean> {
  if (!isSafeRelPath(rel)) throw new RuntimeError(`${JSON.stringify(rel)} is not a path inside ${root.shown}`);
  const found = await inspect(root, rel, "dir");
  if (found.kind !== "dir") return false;
  try {
    await rm(path.join(root.real!, rel), { recursive: true, force: true });
  } catch (err) {
    throw fsFailure(err, "remove", path.join(root.shown, rel));
  }
  return true;
}
