/**
 * PM2 (npm `pm2`), driven through its own CLI in child processes, always with a dedicated
 * `PM2_HOME` under the federation root (never the user's `~/.pm2`) and an environment built here
 * from an allow-list: PM2 copies the environment of the `pm2 start` call into every app it starts
 * and shows it in `pm2 jlist`, so nothing secret may be in it. (The PM2 library API keeps its paths
 * in a module-global object and spawns its daemon with the caller's whole environment, so the CLI
 * is the cleaner boundary.)
 *
 * PM2 facts relied on (pm2 7.0.4 source): the daemon ("God") writes `<PM2_HOME>/pm2.pid`; apps are
 * spawned detached (each leads its own process group) with stdout/stderr piped to their log files;
 * `jlist` prints the process list as JSON; `kill` stops every app and then the daemon.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { RuntimeError } from "../../errors.js";
import { run } from "../exec.js";
import { alive, readCmdline } from "./procs.js";

const require = createRequire(import.meta.url);

/** Milliseconds one PM2 CLI call may take (a `kill` waits for every app's stop). */
export const PM2_CALL_TIMEOUT_MS = 120_000;
/** Longest UNIX socket path (sun_path is 108 bytes on Linux, 104 on macOS). */
export const MAX_SOCKET_PATH = 103;

/** Host variables passed on to PM2 (and so to the gateways): no secrets, only what programs need to run. */
const PASSED_ON = /^(PATH|HOME|USER|LOGNAME|SHELL|TMPDIR|LANG|LANGUAGE|LC_[A-Z]+|TZ|NODE_EXTRA_CA_CERTS|NODE_USE_SYSTEM_CA|SSL_CERT_FILE|SSL_CERT_DIR|(?:HTTPS?|NO|ALL)_PROXY|(?:https?|no|all)_proxy|DOCKER_HOST|XDG_RUNTIME_DIR)$/;

/** Path of PM2's CLI script. */
export function pm2Cli(): string {
  return path.join(path.dirname(require.resolve("pm2/package.json")), "bin", "pm2");
}

/** Path of pm2-logrotate's app (the PM2 log rotation module, run as an app of our PM2_HOME). */
export function logrotateApp(): string {
  return path.join(path.dirname(require.resolve("pm2-logrotate/package.json")), "app.js");
}

export interface Pm2Context {
  /** PM2_HOME (absolute). */
  home: string;
  /** Working directory of the CLI (and so of a daemon it spawns): the federation root. */
  cwd: string;
  /** Directories put first on PATH (the Node 24 the gateways run with, so their child `node`/`npm` match). */
  pathPrefix?: string[];
}

/** The environment of every PM2 CLI call. */
export function pm2Env(ctx: Pm2Context, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && PASSED_ON.test(k)) env[k] = v;
  env.PATH = [...(ctx.pathPrefix ?? []), env.PATH ?? "/usr/local/bin:/usr/bin:/bin"].join(path.delimiter);
  // Quiet, no PM2.io agent, no version check over the network.
  Object.assign(env, { PM2_HOME: ctx.home, PM2_DISCRETE_MODE: "true", PM2_NO_INTERACTION: "true" }, extra);
  return env;
}

export interface Pm2Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `pm2 <args>`. Resolves for every exit; rejects only when it cannot be started or times out. */
export async function pm2(ctx: Pm2Context, args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Pm2Result> {
  if (path.join(ctx.home, "rpc.sock").length > MAX_SOCKET_PATH) {
    throw new RuntimeError(`PM2_HOME ${ctx.home} is too long for PM2's sockets (max ${MAX_SOCKET_PATH - 9} characters)`, { next: "use a shorter --root" });
  }
  const timeout = opts.timeoutMs ?? PM2_CALL_TIMEOUT_MS;
  const notInstalled = "npm install (pm2 is a dependency of clawfed)";
  // The environment is exactly pm2Env (inheritEnv false): PM2 hands it on to every app it starts.
  const res = await run(process.execPath, [pm2Cli(), ...args], { cwd: ctx.cwd, env: pm2Env(ctx, opts.env), inheritEnv: false, timeoutMs: timeout, killGraceMs: 0, notInstalled });
  if (res.timedOut) throw new RuntimeError(`pm2 ${args[0]} did not finish within ${Math.round(timeout / 1000)} s`, { next: `look at ${ctx.home}/pm2.log` });
  return { code: res.code, stdout: res.stdout, stderr: res.stderr };
}

/** Run `pm2 <args>` and fail with PM2's own words when it exits non-zero. */
export async function pm2Ok(ctx: Pm2Context, args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Pm2Result> {
  const res = await pm2(ctx, args, opts);
  if (res.code !== 0) {
    const said = stripAnsi(`${res.stderr}\n${res.stdout}`).trim().split("\n").slice(-5).join("\n");
    throw new RuntimeError(`pm2 ${args.join(" ")} failed (exit ${res.code}): ${said}`, { next: `look at ${ctx.home}/pm2.log` });
  }
  return res;
}

export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, "");
}

/** Pid of the running PM2 daemon of `home`, or undefined (no pid file, dead, or not a PM2 daemon). */
export async function daemonPid(home: string): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number((await readFile(path.join(home, "pm2.pid"), "utf8")).trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !(await alive(pid))) return undefined;
  const cmd = (await readCmdline(pid)).join(" ");
  // The daemon renames itself "PM2 vX: God Daemon (<home>)"; before that its argv ends in Daemon.js.
  return cmd.includes("God Daemon") || cmd.includes("Daemon.js") ? pid : undefined;
}

/** One app as `pm2 jlist` reports it (the fields clawfed uses). */
export interface Pm2Proc {
  name: string;
  pmId: number;
  /** 0 when not running. */
  pid: number;
  /** online, launching, stopping, stopped, errored, waiting restart, one-launch-status. */
  status: string;
  /** Restarts done by PM2 (crashes and `pm2 restart`). */
  restarts: number;
  /** Unstable restarts in the current series (uptime below min_uptime). */
  unstableRestarts: number;
  /** Delay before the last automatic restart (ms); grows ×1.5 per crash, 0 after 30 s of uptime. */
  restartDelayMs: number;
  /** Epoch ms of the last start. */
  startedAt?: number;
  exitCode?: number;
  /** What PM2 runs (script), its arguments, working directory and app environment. */
  execPath: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  outLog?: string;
  errLog?: string;
}

/** Parse `pm2 jlist` output (which may be preceded by warning lines). */
export function parseJlist(stdout: string): Pm2Proc[] {
  const text = stripAnsi(stdout);
  const start = text.indexOf("[");
  if (start < 0) return [];
  let list: unknown;
  try {
    list = JSON.parse(text.slice(start, text.lastIndexOf("]") + 1));
  } catch {
    throw new RuntimeError("pm2 jlist printed something that is not JSON", { next: "run it by hand with PM2_HOME set to see why" });
  }
  if (!Array.isArray(list)) return [];
  return list.map((raw): Pm2Proc => {
    const p = raw as Record<string, unknown>;
    const e = (p.pm2_env ?? {}) as Record<string, unknown>;
    const args = Array.isArray(e.args) ? e.args.map(String) : typeof e.args === "string" ? [e.args] : [];
    const env = (e.env && typeof e.env === "object" ? e.env : {}) as Record<string, unknown>;
    return {
      name: String(p.name ?? e.name ?? ""),
      pmId: Number(p.pm_id ?? e.pm_id ?? -1),
      pid: Number(p.pid ?? 0) || 0,
      status: String(e.status ?? "unknown"),
      restarts: Number(e.restart_time ?? 0) || 0,
      unstableRestarts: Number(e.unstable_restarts ?? 0) || 0,
      restartDelayMs: Number(e.prev_restart_delay ?? 0) || 0,
      ...(typeof e.pm_uptime === "number" ? { startedAt: e.pm_uptime } : {}),
      ...(typeof e.exit_code === "number" ? { exitCode: e.exit_code } : {}),
      execPath: String(e.pm_exec_path ?? ""),
      args,
      cwd: String(e.pm_cwd ?? ""),
      env: Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === "string" || typeof v === "number").map(([k, v]) => [k, String(v)])),
      ...(typeof e.pm_out_log_path === "string" ? { outLog: e.pm_out_log_path } : {}),
      ...(typeof e.pm_err_log_path === "string" ? { errLog: e.pm_err_log_path } : {}),
    };
  });
}

/** The apps of a running daemon; empty without a daemon (never starts one). */
export async function jlist(ctx: Pm2Context): Promise<Pm2Proc[]> {
  if ((await daemonPid(ctx.home)) === undefined) return [];
  const res = await pm2Ok(ctx, ["jlist"]);
  return parseJlist(res.stdout);
}
