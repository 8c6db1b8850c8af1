import { Command, Option } from "commander";
import type { NativeStatusResult } from "../../ops/index.js";
import type { NativeStatus } from "../../ops/native.js";
import { clawfed } from "../clawfed.js";
import { reporter, table } from "../format.js";
import { action, clean, deprecated, EXIT, printJson, progress, write } from "../output.js";
import { durationArg } from "./runtime-args.js";

function mib(bytes: number): string {
  return bytes > 0 ? `${Math.round(bytes / 1024 / 1024)} MiB` : "-";
}

function since(ms: number | undefined): string {
  if (ms === undefined) return "-";
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ""}`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

/** The native status as a table, then one line per problem. */
export function renderNativeStatus(st: NativeStatus): string {
  const rows = [["GATEWAY", "PM2", "PID", "RESTARTS", "LAST DELAY", "UPTIME", "RSS (TREE)", "HEALTHZ", "STARTUPZ", "READYZ", "URL"]];
  for (const g of st.gateways) {
    rows.push([
      g.id,
      g.pm2,
      g.pid ? String(g.pid) : "-",
      String(g.restarts),
      g.restartDelayMs ? `${(g.restartDelayMs / 1000).toFixed(1)}s` : "-",
      since(g.uptimeMs),
      mib(g.rssBytes),
      g.probes.live ? "live" : "down",
      g.probes.started ? "started" : g.probes.live ? "starting" : "-",
      g.probes.ready ? "ready" : g.probes.failing.length ? `no (${g.probes.failing.join(",")})` : "-",
      g.url,
    ]);
  }
  const healthy = st.gateways.filter((g) => g.healthy).length;
  const sup = st.supervisor.running ? `PM2 pid ${st.supervisor.pid}` : "PM2 not running";
  const out = [`${st.federation}: ${healthy}/${st.gateways.length} healthy, ${sup} (root ${st.root})`, table(rows)];
  for (const g of st.gateways) {
    if (g.orphans.length) out.push(`  ${g.id}: running without a supervisor (pids ${g.orphans.join(", ")}); \`clawfed native up\` replaces them`);
    if (!g.probes.live && g.probes.error) out.push(`  ${g.id}: ${g.probes.error}`);
  }
  return `${out.join("\n")}\n`;
}

interface CommonFlags {
  out?: string;
  root?: string;
  json?: boolean;
}

/** `--out`, or the deprecated `--root` (with a warning). */
function outOf(opts: CommonFlags): string | undefined {
  return deprecated(opts.root, "--root", "--out") ?? opts.out;
}

/** The root option (new spelling) and the hidden old one, on a subcommand. */
function rootOptions(cmd: Command): Command {
  return cmd
    .option("-o, --out <dir>", "root folder of the native federation (default ~/.clawfed/<federation>)")
    .addOption(new Option("--root <dir>", "deprecated: use --out").hideHelp());
}

/** Print a status (text or JSON) and map it to the exit code. */
function finish(st: NativeStatusResult, json: boolean | undefined): number {
  if (json) printJson(st);
  else {
    write(renderNativeStatus(st));
    if (st.next) write(`Next: ${st.next}\n`);
  }
  return st.ok ? EXIT.ok : EXIT.unhealthy;
}

export function registerNative(program: Command): void {
  const native = program
    .command("native")
    .description("Run a federation as native OpenClaw processes (no Docker) under PM2: up, status, restart, down.")
    .addHelpText(
      "after",
      "\nEach gateway is `node openclaw.mjs gateway --port <port>` with its own state dir, config, workspace and secrets file under the root" +
        "\n(--out, default ~/.clawfed/<federation>), bound to 127.0.0.1. PM2 runs with PM2_HOME=<root>/.pm2 (never your ~/.pm2)." +
        "\nNeeds Linux and the pinned OpenClaw (scripts/ensure-openclaw.sh). Base ports must be at least 120 apart.",
    );
  registerNativeUp(native);
  registerNativeStatus(native);
  registerNativeRestart(native);
  registerNativeDown(native);
}

/** `clawfed native up`. */
function registerNativeUp(native: Command): void {
  rootOptions(
    native
      .command("up")
      .description("Generate the native files, start every gateway under PM2 (replacing any left running by a dead supervisor) and wait until all are healthy.")
      .argument("<spec>", "federation spec"),
  )
    .option("--timeout <duration>", "how long to wait for health (default 4m)", durationArg)
    .option("--no-generate", "use the files already generated under the root")
    .option("--force", "generate into a non-empty root clawfed did not create")
    .option("--json", "print the final status as JSON on stdout (progress stays on stderr)")
    .addHelpText(
      "after",
      "\nIdempotent: healthy gateways with the current definition are left alone; gateways PM2 does not supervise are stopped and started fresh;" +
        "\na port held by another program is an error. Healthy means /healthz live and /startupz started." +
        "\nExit codes: 0 all healthy, 1 invalid spec, 2 bad usage, 3 start failed or not healthy in time.",
    )
    .action(
      action(async (spec: string, opts: CommonFlags & { timeout?: number; generate: boolean; force?: boolean }) => {
        const report = await reporter({ plain: opts.json, clean });
        const st = await (await clawfed()).native.up(spec, { out: outOf(opts), timeoutMs: opts.timeout, generate: opts.generate, force: opts.force, onProgress: report.line }).finally(() => report.done());
        return finish(st, opts.json);
      }),
    );
}

/** `clawfed native status`. */
function registerNativeStatus(native: Command): void {
  rootOptions(
    native
      .command("status")
      .description("Show each gateway: PM2 state, pid, restarts and last restart delay, uptime, memory of its process tree, probes.")
      .argument("<spec>", "federation spec"),
  )
    .option("--json", "print JSON")
    .addHelpText("after", "\nReads only: never starts PM2.\nExit codes: 0 all healthy, 1 invalid spec, 2 bad usage, 3 PM2 failed, 4 some gateway is not healthy or not supervised.")
    .action(
      action(async (spec: string, opts: CommonFlags) => {
        // An unfinished operation on the federation is printed as a warning line on stderr.
        const st = await (await clawfed()).native.status(spec, { out: outOf(opts), onProgress: progress });
        return finish(st, opts.json);
      }),
    );
}

/** `clawfed native restart`. */
function registerNativeRestart(native: Command): void {
  rootOptions(
    native
      .command("restart")
      .description("Restart some or all gateways under PM2 and wait until they are healthy again.")
      .argument("<spec>", "federation spec")
      .argument("[gateways...]", "gateway ids (default: all)"),
  )
    .option("--timeout <duration>", "how long to wait for health (default 4m)", durationArg)
    .option("--json", "print the final status as JSON")
    .addHelpText("after", "\nExit codes: 0 all healthy, 1 invalid spec, 2 bad usage (e.g. an unknown gateway id), 3 not running or not healthy in time.")
    .action(
      action(async (spec: string, gateways: string[], opts: CommonFlags & { timeout?: number }) => {
        const report = await reporter({ plain: opts.json, clean });
        const st = await (await clawfed()).native.restart(spec, { out: outOf(opts), gateways, timeoutMs: opts.timeout, onProgress: report.line }).finally(() => report.done());
        return finish(st, opts.json);
      }),
    );
}

/** `clawfed native down`. */
function registerNativeDown(native: Command): void {
  rootOptions(
    native
      .command("down")
      .description("Stop every gateway and the PM2 daemon; afterwards no process of the federation is left running.")
      .argument("<spec>", "federation spec"),
  )
    .option("--json", "print the result as JSON")
    .addHelpText("after", "\nState, config and logs stay under the root.\nExit codes: 0 stopped, 1 invalid spec, 2 bad usage, 3 a process could not be stopped.")
    .action(
      action(async (spec: string, opts: CommonFlags) => {
        const report = await reporter({ plain: opts.json, clean });
        const res = await (await clawfed()).native.down(spec, { out: outOf(opts), onProgress: report.line }).finally(() => report.done());
        if (opts.json) printJson(res);
        else {
          const what = [res.supervisorStopped ? "PM2 and its gateways" : "", res.orphansStopped.length ? `${res.orphansStopped.length} unsupervised process tree(s)` : ""].filter(Boolean).join(" and ");
          write(`${res.federation}: ${what ? `stopped ${what}` : "nothing was running"}; no process of ${res.root} is left\n`);
        }
      }),
    );
}
