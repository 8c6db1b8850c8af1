/**
 * The native target: every gateway as a plain OpenClaw process on this host, supervised by PM2
 * (`clawfed native up`). Output: the gateway folders (see vocabulary/host-layout.ts), the mailbox, a README and
 * `pm2.ecosystem.json`, one PM2 app per gateway:
 * - `script` = the Node ≥ 24.16 binary with `interpreter: "none"` and `args` = the OpenClaw entry,
 *   `gateway --port <port>`: PM2 spawns exactly `node openclaw.mjs gateway --port N` (no PM2 wrapper
 *   inside the gateway process);
 * - `exp_backoff_restart_delay`: after a crash PM2 waits 2 s, then ×1.5 per further crash up to
 *   15 s; the delay resets once the gateway has been up 30 s (PM2 lib/God.js, lib/Worker.js);
 * - `stop_exit_codes: [78]`: an invalid config (EX_CONFIG) is not restarted in a loop (facts §5.3),
 *   like systemd's RestartPreventExitStatus=78;
 * - `kill_signal: SIGTERM`, `kill_timeout` 60 s, `treekill`: stop takes the whole process tree
 *   (OpenClaw's spawn-broker and SQLite workers) with it;
 * - `max_memory_restart`: the spec's memory limit (compose mem_limit);
 * - logs in the gateway's state dir (PM2 writes them; pm2-logrotate, started by `clawfed native up`
 *   in the same PM2_HOME, rotates them).
 * Secrets never reach PM2: the ecosystem names no secret, each gateway reads its own `<state>/.env`.
 */
import { dir, file, type Artifact, type CompileResult } from "../../compile/artifact.js";
import { planEnv } from "../../vocabulary/env-plan.js";
import { pm2AppName } from "../../vocabulary/names.js";
import { toJson } from "../../render/serialize.js";
import type { Federation, GatewayModel } from "../../federation/normalize.js";
import { gatewayArtifacts, gatewayArgv, gatewayEnvironment, mailboxArtifacts, nativeContext, nativeReadme, sandboxWarnings, sizeUpper, type NativeContext } from "./shared.js";
import { gatewayPaths, ROOT_FILES } from "../../vocabulary/host-layout.js";
import type { NativeCompileOptions } from "./options.js";

/** First restart delay after a crash (ms); PM2 multiplies it by 1.5 per crash, up to 15000. */
export const PM2_BACKOFF_START_MS = 2_000;
/** Milliseconds PM2 waits after SIGTERM before SIGKILL (a clean gateway stop takes well under 1 s; a drain may take longer). */
export const PM2_KILL_TIMEOUT_MS = 60_000;
/** A gateway up less than this long when it exits counts as an unstable start (ms). */
export const PM2_MIN_UPTIME_MS = 20_000;
/** After this many unstable starts in a row PM2 gives up (status errored). */
export const PM2_MAX_RESTARTS = 16;

/** One PM2 app (ecosystem file entry) for a gateway. */
export function pm2App(fed: Federation, g: GatewayModel, ctx: NativeContext): Record<string, unknown> {
  const p = gatewayPaths(ctx.root, g.id);
  const [node, ...args] = gatewayArgv(ctx.openclaw, g);
  return {
    name: pm2AppName(g.id),
    namespace: fed.name,
    script: node,
    interpreter: "none",
    args,
    cwd: p.home,
    env: gatewayEnvironment(fed, g, ctx.root),
    exec_mode: "fork",
    instances: 1,
    autorestart: true,
    exp_backoff_restart_delay: PM2_BACKOFF_START_MS,
    min_uptime: PM2_MIN_UPTIME_MS,
    max_restarts: PM2_MAX_RESTARTS,
    stop_exit_codes: [78],
    max_memory_restart: sizeUpper(g.resources.memory),
    kill_signal: "SIGTERM",
    kill_timeout: PM2_KILL_TIMEOUT_MS,
    treekill: true,
    out_file: p.outLog,
    error_file: p.errLog,
    merge_logs: true,
    vizion: false,
    automation: false,
    pmx: false,
  };
}

export function compileNative(fed: Federation, opts: NativeCompileOptions = {}): CompileResult {
  const ctx = nativeContext("native", opts);
  const env = planEnv(fed);
  const artifacts: Artifact[] = [dir(ROOT_FILES.pm2Home, { mode: 0o700 })];
  for (const g of fed.gateways) artifacts.push(...gatewayArtifacts(fed, g, ctx.root, env));
  artifacts.push(...mailboxArtifacts(fed, ctx.root));
  const ecosystem = { apps: fed.gateways.map((g) => pm2App(fed, g, ctx)) };
  // JSON, not JS: PM2 reads `.json` ecosystems as data (lib/Common.js isConfigFile), so nothing runs.
  artifacts.push(file(ROOT_FILES.ecosystem, toJson(ecosystem)));
  artifacts.push(file("README.md", nativeReadme(fed, "native", ctx)));
  return { target: "native", artifacts, env, warnings: sandboxWarnings(fed) };
}
