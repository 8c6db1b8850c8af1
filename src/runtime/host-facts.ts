/**
 * Facts of this host that `doctor` reads: free disk space below a path, whether a TCP port is
 * free, a file's mode. Read-only; the port check binds and closes at once.
 */
import { lstat, stat, statfs } from "node:fs/promises";
import net from "node:net";
import path from "node:path";

/** Free space of the file system holding `p` (or its nearest existing ancestor). */
export interface DiskSpace {
  /** The path asked about. */
  path: string;
  /** The existing folder measured (p itself or an ancestor). */
  measured: string;
  /** Device id of that file system (paths on one file system share it). */
  dev: number;
  /** Bytes available to this user. */
  freeBytes: number;
  totalBytes: number;
}

/** What doctor asks the host (injectable: unit tests pass a fake). */
export interface HostFacts {
  /** @returns undefined when no ancestor of `p` can be read. */
  disk(p: string): Promise<DiskSpace | undefined>;
  /** True when nothing listens on `host:port` (a bind succeeds). */
  portFree(host: string, port: number): Promise<boolean>;
  /** Permission bits of a file (lstat: a link is not followed); undefined when it does not exist. */
  fileMode(p: string): Promise<number | undefined>;
}

async function disk(p: string): Promise<DiskSpace | undefined> {
  let at = path.resolve(p);
  for (;;) {
    try {
      const [fs, st] = await Promise.all([statfs(at), stat(at)]);
      return { path: p, measured: at, dev: st.dev, freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize };
    } catch {
      const up = path.dirname(at);
      if (up === at) return undefined;
      at = up;
    }
  }
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

async function fileMode(p: string): Promise<number | undefined> {
  try {
    return (await lstat(p)).mode & 0o7777;
  } catch {
    return undefined;
  }
}

/** The real host. */
export const realHostFacts: HostFacts = { disk, portFree, fileMode };
