// Running the real OpenClaw CLI in tests (moved out of src/runtime/openclaw-dist.ts: test tooling
// stays out of dist/). Goes through the one child-process wrapper, src/runtime/exec.ts.
import path from "node:path";
import { run } from "../../src/runtime/exec.js";
import { openclawDist } from "../../src/runtime/openclaw-dist.js";

const HOW_TO_INSTALL = "run scripts/ensure-openclaw.sh (it installs the pinned OpenClaw and Node 24 from npm)";

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

/**
 * Run the real OpenClaw CLI: `<Node 24> <openclaw.mjs> ...args`, without a shell. Resolves with
 * the exit code and output for every exit, including failures and timeouts.
 * @throws RuntimeError when OpenClaw is not installed (see {@link openclawDist}) or the process
 *   could not be started at all.
 */
export async function runOpenclaw(args: string[], opts: RunOpenclawOptions = {}): Promise<RunOpenclawResult> {
  const dist = openclawDist(opts.root);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && PASSED_ON.test(k)) env[k] = v;
  env.PATH = [dist.binDir, env.PATH].filter(Boolean).join(path.delimiter);
  Object.assign(env, { NO_COLOR: "1", OPENCLAW_NO_AUTO_UPDATE: "1", OPENCLAW_DISABLE_BONJOUR: "1" }, opts.env ?? {});
  const timeout = opts.timeoutMs ?? 120_000;
  const r = await run(dist.nodeBin, [dist.entry, ...args], { cwd: opts.cwd, env, inheritEnv: false, timeoutMs: timeout, killGraceMs: 5_000, notInstalled: HOW_TO_INSTALL });
  const stderr = r.timedOut ? `${r.stderr}\n[clawfed] openclaw ${args.join(" ")} killed after ${timeout} ms\n` : r.stderr;
  return { code: r.code, stdout: r.stdout, stderr, timedOut: r.timedOut };
}
