/**
 * Processes of this host, read from procfs (Linux): the table (pid, parent, group, state, RSS),
 * one process's environment, who listens on a TCP port, process trees and their memory, and
 * stopping a tree. This is how `clawfed native` finds gateways a dead supervisor left running: each
 * native gateway carries `CLAWFED_ROOT` / `CLAWFED_GATEWAY` in its environment (vocabulary/host-layout.ts).
 *
 * Only Linux is supported (procfs); elsewhere every function reports nothing, and `clawfed native`
 * says so (see {@link procfsAvailable}).
 */
import { readdir, readFile, readlink } from "node:fs/promises";
import { existsSync } from "node:fs";
import { MARKER_ENV } from "../../vocabulary/host-layout.js";
import { systemClock, type Clock } from "../clock.js";
import { PollError, pollUntil } from "../poll.js";

export interface ProcInfo {
  pid: number;
  ppid: number;
  /** Process group id. */
  pgid: number;
  /** procfs state letter: R running, S sleeping, Z zombie, … */
  state: string;
  /** Executable name (up to 15 characters; a gateway renames itself `openclaw-gateway`). */
  comm: string;
  /** Resident memory in bytes (VmRSS; 0 for zombies and kernel threads). */
  rssBytes: number;
}

/** True when procfs can be read (Linux). */
export function procfsAvailable(): boolean {
  return existsSync("/proc/self/stat");
}

/** Parse /proc/<pid>/stat (comm may contain spaces and parentheses). */
export function parseStat(text: string): Pick<ProcInfo, "pid" | "ppid" | "pgid" | "state" | "comm" | "rssBytes"> | undefined {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const comm = text.slice(open + 1, close);
  const rest = text.slice(close + 2).split(" ");
  // Fields after comm: state(3) ppid(4) pgrp(5) … rss(24) in pages.
  const state = rest[0] ?? "?";
  const ppid = Number(rest[1]);
  const pgid = Number(rest[2]);
  const rssPages = Number(rest[21]);
  return { pid, ppid, pgid, state, comm, rssBytes: Number.isFinite(rssPages) ? rssPages * 4096 : 0 };
}

/** Every process of the host (those that vanish while being read are skipped). */
export async function listProcesses(): Promise<ProcInfo[]> {
  if (!procfsAvailable()) return [];
  const out: ProcInfo[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const st = parseStat(await readFile(`/proc/${name}/stat`, "utf8"));
      if (st) out.push(st);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Environment of a process (undefined when it is gone or not readable by this user). */
export async function readEnviron(pid: number): Promise<Record<string, string> | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/environ`, "utf8");
    const env: Record<string, string> = {};
    for (const kv of raw.split("\0")) {
      const i = kv.indexOf("=");
      if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    return env;
  } catch {
    return undefined;
  }
}

/** argv of a process (empty when gone). */
export async function readCmdline(pid: number): Promise<string[]> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/** A process of a native gateway of one federation root, found by its environment markers. */
export interface MarkedProcess extends ProcInfo {
  /** Gateway id from CLAWFED_GATEWAY. */
  gateway: string;
  /** True for the gateway process itself; false for its children (workers, npm, …), which inherit the markers. */
  top: boolean;
}

/**
 * Every live (non-zombie) process whose environment says it belongs to the native federation at
 * `root`. Marker values are compared exactly; processes of other roots are never returned.
 */
export async function findMarked(root: string, procs?: ProcInfo[]): Promise<MarkedProcess[]> {
  const table = procs ?? (await listProcesses());
  const marked = new Map<number, { p: ProcInfo; gateway: string }>();
  for (const p of table) {
    if (p.state === "Z" || p.pid === process.pid) continue;
    const env = await readEnviron(p.pid);
    if (!env || env[MARKER_ENV.root] !== root || !env[MARKER_ENV.gateway]) continue;
    marked.set(p.pid, { p, gateway: env[MARKER_ENV.gateway]! });
  }
  return [...marked.values()].map(({ p, gateway }) => ({ ...p, gateway, top: marked.get(p.ppid)?.gateway !== gateway }));
}

/** `pid` and all its descendants (by the parent links of `procs`). */
export function descendants(pid: number, procs: ProcInfo[]): ProcInfo[] {
  const children = new Map<number, ProcInfo[]>();
  for (const p of procs) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const out: ProcInfo[] = [];
  const self = procs.find((p) => p.pid === pid);
  if (self) out.push(self);
  const stack = [pid];
  while (stack.length > 0) {
    for (const c of children.get(stack.pop()!) ?? []) {
      out.push(c);
      stack.push(c.pid);
    }
  }
  return out;
}

/** Resident memory of a process and all its descendants, in bytes (the whole gateway: workers included). */
export function treeRssBytes(pid: number, procs: ProcInfo[]): number {
  return descendants(pid, procs).reduce((sum, p) => sum + p.rssBytes, 0);
}

/** True while the process exists and is not a zombie. */
export async function alive(pid: number): Promise<boolean> {
  try {
    const st = parseStat(await readFile(`/proc/${pid}/stat`, "utf8"));
    return Boolean(st && st.state !== "Z");
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/**
 * Stop process trees: SIGTERM to each root's process group (when it leads one) and to every
 * descendant, wait up to `graceMs` for all of them to exit, then SIGKILL whatever is left.
 * @returns pids that were still alive after SIGKILL (normally none).
 */
export async function stopTrees(pids: number[], opts: { graceMs: number; clock?: Clock }): Promise<number[]> {
  const clock = opts.clock ?? systemClock;
  const procs = await listProcesses();
  const all = new Set<number>();
  for (const pid of pids) for (const p of descendants(pid, procs)) all.add(p.pid);
  const send = (sig: NodeJS.Signals) => {
    for (const pid of pids) {
      const p = procs.find((x) => x.pid === pid);
      if (p && p.pgid === pid) signal(-pid, sig);
    }
    for (const pid of all) signal(pid, sig);
  };
  const remaining = async () => (await Promise.all([...all].map(async (pid) => ((await alive(pid)) ? pid : 0)))).filter((x) => x > 0);
  // Each wait ends when nothing is left; a timeout only moves on to the next step.
  const until = async (timeoutMs: number, intervalMs: number, description: string) => {
    try {
      return await pollUntil(remaining, (left) => left.length === 0, { clock, timeoutMs, intervalMs, description });
    } catch (err) {
      if (err instanceof PollError) return err.last as number[];
      throw err;
    }
  };
  send("SIGTERM");
  if ((await until(opts.graceMs, 200, "process trees to exit after SIGTERM")).length === 0) return [];
  send("SIGKILL");
  if ((await until(5_000, 100, "process trees to exit after SIGKILL")).length === 0) return [];
  return remaining();
}

/** Socket inodes listening on TCP `port` (IPv4 and IPv6), from /proc/net/tcp{,6}. */
async function listeningInodes(port: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = await readFile(f, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const local = cols[1]!;
      const st = cols[3];
      if (st !== "0A") continue; // LISTEN
      if (Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16) === port) inodes.add(cols[9]!);
    }
  }
  return inodes;
}

/** Pids holding a listening socket on TCP `port` (empty when none, or when they belong to another user). */
export async function listenerPids(port: number): Promise<number[]> {
  const inodes = await listeningInodes(port);
  if (inodes.size === 0) return [];
  const out: number[] = [];
  for (const name of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    let fds: string[];
    try {
      fds = await readdir(`/proc/${name}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      const target = await readlink(`/proc/${name}/fd/${fd}`).catch(() => "");
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1]!)) {
        out.push(Number(name));
        break;
      }
    }
  }
  return out;
}

/** True when something listens on TCP `port` (any address). */
export async function portListening(port: number): Promise<boolean> {
  return (await listeningInodes(port)).size > 0;
}
