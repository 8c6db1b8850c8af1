/**
 * The one way clawfed runs a program: a thin layer over execa (npm `execa` 9, which handles
 * spawning without a shell, timeouts with SIGTERM then SIGKILL, buffering, line splitting and
 * piping). Every runner (compose CLI, PM2 CLI, docker CLI of the image recipe, systemctl, the
 * OpenClaw CLI in tests) goes through {@link run} or {@link runSync}. execa is imported on the
 * first {@link run} (loading it costs about 0.1 s of CPU, which commands that run no program
 * should not pay); {@link runSync} uses node:child_process directly for the same reason.
 *
 * Secrets never go in `args` (any user of the host can read a process's argv in /proc): pass them
 * in `env`, which only the process's owner can read. Both functions refuse (InternalError: a bug)
 * an argument that is a secret of a federation opened in this process, whole or as `--x=secret`
 * (redact.ts rememberSecrets, isKnownSecretArg).
 *
 * Exit codes are normalized to one number: the program's own, 124 when it was killed because
 * `timeoutMs` passed (like coreutils `timeout`), 128+n when it was killed by signal n.
 */
import { spawnSync } from "node:child_process";
import { constants } from "node:os";
import type { Options, Result } from "execa";
import { InternalError, RuntimeError } from "../errors.js";
import { isKnownSecretArg } from "./redact.js";

export interface RunOptions {
  /** Working directory; default the current one. */
  cwd?: string;
  /** Variables set for the child (applied over the inherited environment unless `inheritEnv` is false). */
  env?: Record<string, string | undefined>;
  /** Start from this process's environment (default true); false: the child gets only `env`. */
  inheritEnv?: boolean;
  /** Milliseconds before the program is sent SIGTERM; default none. */
  timeoutMs?: number;
  /** Milliseconds between that SIGTERM and a SIGKILL; default 5000. */
  killGraceMs?: number;
  /** Receives every non-empty line of stdout and stderr as it comes (split on \n, \r\n and \r; trailing blanks trimmed). */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
  /** Text written to the program's stdin; default: stdin is closed (/dev/null). */
  input?: string;
  /** Run this program first and pipe its stdout into the main program's stdin (`from | file`). */
  stdinFrom?: { file: string; args: string[] };
  /** Largest output kept per stream, in bytes; default 64 MiB. Longer output fails the run. */
  maxBufferBytes?: number;
  /** What to tell the user when the program is not installed (the error's `next`). */
  notInstalled?: string;
}

export interface RunResult {
  /** Exit code; 124 when killed for the timeout, 128+n when killed by signal n. */
  code: number;
  /** Everything printed, decoded as UTF-8 (trailing newline kept). */
  stdout: string;
  stderr: string;
  /** True when the run was killed because `timeoutMs` passed. */
  timedOut: boolean;
  /** The upstream program of `stdinFrom`, when there was one. */
  upstream?: Omit<RunResult, "upstream">;
}

const DEFAULT_MAX_BUFFER = 64 * 1024 * 1024;
const DEFAULT_KILL_GRACE_MS = 5_000;

/** One stream's line callback as an execa transform (execa hands generators one line at a time). */
function lineTap(onLine: NonNullable<RunOptions["onLine"]>, stream: "stdout" | "stderr") {
  // preserveNewlines: the line comes with its own newline (if any) and is passed on unchanged,
  // so the collected output stays byte for byte what the program printed.
  return {
    *transform(line: unknown) {
      for (const part of String(line).split(/\r\n|\r|\n/)) if (part.trim()) onLine(part.trimEnd(), stream);
      yield line;
    },
    preserveNewlines: true,
  };
}

function execaOptions(o: RunOptions): Options {
  return {
    cwd: o.cwd,
    env: o.env,
    extendEnv: o.inheritEnv ?? true,
    timeout: o.timeoutMs,
    killSignal: "SIGTERM",
    forceKillAfterDelay: o.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
    maxBuffer: o.maxBufferBytes ?? DEFAULT_MAX_BUFFER,
    reject: false,
    stripFinalNewline: false,
    windowsHide: true,
    ...(o.input !== undefined ? { input: o.input } : o.stdinFrom ? {} : { stdin: "ignore" as const }),
    ...(o.onLine ? { stdout: [lineTap(o.onLine, "stdout")], stderr: [lineTap(o.onLine, "stderr")] } : {}),
  };
}

/** @throws InternalError when an argument holds a known secret (the message does not repeat it). */
function refuseSecretArgs(file: string, args: readonly string[], o: RunOptions): void {
  const all = [...args, ...(o.stdinFrom?.args ?? [])];
  const i = all.findIndex(isKnownSecretArg);
  if (i >= 0) throw new InternalError(`refusing to run ${file}: argument ${i + 1} is a secret of the federation (secrets go in the environment, never in argv)`);
}

/**
 * Turn execa's answer into a {@link RunResult}.
 * @throws RuntimeError when the program could not be started at all (not installed, not executable).
 */
function settle(file: string, r: Result, o: RunOptions): Omit<RunResult, "upstream"> {
  const e = r as { failed: boolean; exitCode?: number; signal?: string; timedOut: boolean; code?: string; isMaxBuffer?: boolean; originalMessage?: string };
  if (e.isMaxBuffer) throw new RuntimeError(`${file} printed more than ${o.maxBufferBytes ?? DEFAULT_MAX_BUFFER} bytes (it was stopped)`, { cause: r });
  if (e.failed && e.exitCode === undefined && !e.signal) {
    if (e.code === "ENOENT") throw new RuntimeError(`\`${file}\` is not installed (or not on PATH)`, { cause: r, next: o.notInstalled });
    throw new RuntimeError(`could not run ${file}: ${e.originalMessage ?? e.code ?? "unknown error"}`, { cause: r, next: o.notInstalled });
  }
  const signal = e.signal as keyof typeof constants.signals | undefined;
  const code = e.timedOut ? 124 : signal ? 128 + (constants.signals[signal] ?? 0) : (e.exitCode ?? 1);
  return { code, stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? ""), timedOut: e.timedOut };
}

/**
 * Run `file` with `args` (no shell) and collect its output. Resolves for every exit, failures and
 * timeouts included.
 * @throws RuntimeError only when the program (or `stdinFrom`'s) cannot be started; InternalError
 *   when an argument holds a known secret.
 */
export async function run(file: string, args: readonly string[], o: RunOptions = {}): Promise<RunResult> {
  refuseSecretArgs(file, args, o);
  const { execa } = await import("execa");
  const opts = execaOptions(o);
  if (!o.stdinFrom) return settle(file, await execa(file, args, opts), o);
  // The upstream's stdout goes only into the pipe (not buffered: it may be gigabytes, e.g. a tar).
  const upOpts: Options = { ...opts, stdin: "ignore", stdout: "pipe", stderr: "pipe", input: undefined, buffer: { stdout: false, stderr: true } };
  const r = await execa(o.stdinFrom.file, o.stdinFrom.args, upOpts).pipe(file, args, opts);
  const from = r.pipedFrom[0];
  const upstream = from ? settle(o.stdinFrom.file, from, o) : undefined;
  return { ...settle(file, r, o), ...(upstream ? { upstream } : {}) };
}

/**
 * {@link run}, synchronously: for the few facts read while a synchronous caller computes
 * (e.g. `systemctl --version`). Same options and result, without `onLine` and `stdinFrom`.
 * @throws RuntimeError only when the program cannot be started.
 */
export function runSync(file: string, args: readonly string[], o: Omit<RunOptions, "onLine" | "stdinFrom"> = {}): RunResult {
  refuseSecretArgs(file, args, o);
  const r = spawnSync(file, args, {
    cwd: o.cwd,
    env: o.inheritEnv === false ? o.env : { ...process.env, ...o.env },
    timeout: o.timeoutMs,
    killSignal: "SIGTERM",
    maxBuffer: o.maxBufferBytes ?? DEFAULT_MAX_BUFFER,
    encoding: "utf8",
    input: o.input,
    stdio: [o.input !== undefined ? "pipe" : "ignore", "pipe", "pipe"],
    windowsHide: true,
  });
  const err = r.error as NodeJS.ErrnoException | undefined;
  const timedOut = err?.code === "ETIMEDOUT";
  if (err && !timedOut) {
    if (err.code === "ENOENT") throw new RuntimeError(`\`${file}\` is not installed (or not on PATH)`, { cause: err, next: o.notInstalled });
    throw new RuntimeError(`could not run ${file}: ${err.message}`, { cause: err, next: o.notInstalled });
  }
  const code = timedOut ? 124 : r.signal ? 128 + (constants.signals[r.signal] ?? 0) : (r.status ?? 1);
  return { code, stdout: r.stdout ?? "", stderr: r.stderr ?? "", timedOut };
}
