import { Command, Option } from "commander";
import type { FederationStatus } from "../../ops/status.js";
import { clawfed } from "../clawfed.js";
import { table } from "../format.js";
import { action, EXIT, printJson, write } from "../output.js";
import { countArg, durationArg, interruptSignal, listArg } from "./runtime-args.js";

/** Seconds → `3d4h`, `5m`, `42s`. */
function uptime(s: number | undefined): string {
  if (s === undefined) return "-";
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ""}`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

/** The status as a table, then one line per problem. */
export function renderStatus(st: FederationStatus & { interrupted?: { message: string; next: string } }): string {
  const probe = (p: { ok: boolean; status?: string; httpStatus?: number; error?: string } | undefined, okWord: string) =>
    !p ? "-" : p.ok ? okWord : p.status ?? (p.httpStatus ? `HTTP ${p.httpStatus}` : "down");
  const rows = [["GATEWAY", "ROLE", "STATE", "CONTAINER", "RESTARTS", "UPTIME", "IMAGE", "VERSION", "HEALTHZ", "STARTUPZ", "READYZ", "URL"]];
  for (const g of st.gateways) {
    rows.push([
      g.id,
      g.role,
      g.state,
      g.container?.status ?? "-",
      g.container ? String(g.container.restarts) : "-",
      uptime(g.container?.uptimeS),
      g.container?.image ?? "-",
      g.version ?? "-",
      probe(g.probes?.healthz, "live"),
      probe(g.probes?.startupz, "started"),
      probe(g.probes?.readyz, "ready"),
      g.url ?? "-",
    ]);
  }
  const healthy = st.gateways.filter((g) => g.healthy).length;
  const out = [`${st.federation}: ${healthy}/${st.gateways.length} healthy (checked ${st.checkedAt} in ${st.ms} ms)`, table(rows)];
  for (const g of st.gateways) for (const p of g.problems) out.push(`  ${g.id}: ${p}`);
  for (const o of st.others) out.push(`  also: container ${o.name} (${o.status})${o.gateway ? ` of ${o.gateway}` : ""} is not a current gateway container`);
  if (st.interrupted) out.push(`warning: ${st.interrupted.message}`, `  ${st.interrupted.next}`);
  if (st.next) out.push(`Next: ${st.next}`);
  return `${out.join("\n")}\n`;
}

/** Poll once (or, with --watch, again and again), print each result, return the exit code of the last. */
async function show<S extends { ok: boolean }>(poll: () => Promise<S>, render: (st: S) => string, opts: { watch?: boolean; interval?: number; count?: number; json?: boolean }): Promise<number> {
  if (!opts.watch) {
    const st = await poll();
    if (opts.json) printJson(st);
    else write(render(st));
    return st.ok ? EXIT.ok : EXIT.unhealthy;
  }
  const intr = interruptSignal();
  const tty = process.stdout.isTTY && !opts.json;
  let code: number = EXIT.ok;
  try {
    for (let n = 1; ; n++) {
      const st = await poll();
      code = st.ok ? EXIT.ok : EXIT.unhealthy;
      if (opts.json) write(`${JSON.stringify(st)}\n`);
      else write(`${tty ? "\x1b[H\x1b[2J" : n > 1 ? "\n" : ""}${render(st)}`);
      if ((opts.count && n >= opts.count) || intr.signal.aborted) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, opts.interval ?? 2000);
        intr.signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
      });
      if (intr.signal.aborted) break;
    }
  } finally {
    intr.dispose();
  }
  return code;
}

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("Show every gateway: container state, restarts, image and OpenClaw version, uptime, /healthz, /startupz and /readyz, published URL.")
    .argument("<spec>", "federation spec")
    .option("-o, --out <dir>", "output folder (default: out/<federation name>)")
    .option("--only <ids>", "only these gateways (comma-separated)", listArg)
    .option("--ready", "count a gateway as healthy only when /readyz passes too (channels included)")
    .option("--probe-timeout <duration>", "how long each probe may take (default 2s)", durationArg)
    .option("-w, --watch", "poll again and again until interrupted")
    .option("--interval <duration>", "time between polls with --watch (default 2s)", durationArg)
    .option("--count <n>", "with --watch: stop after n polls", countArg)
    .addOption(new Option("--target <target>", "compose (default) or swarm (a Docker Swarm stack: services and tasks through the Engine API)").choices(["compose", "swarm"]).default("compose"))
    .option("--json", "print JSON (with --watch: one JSON document per line and poll)")
    .addHelpText(
      "after",
      "\nHealthy means: the container runs, /healthz answers {\"status\":\"live\"} and /startupz {\"status\":\"started\"} (with --ready, /readyz {\"ready\":true} too)." +
        "\nAll gateways are probed concurrently on their published 127.0.0.1 ports." +
        "\nExit codes: 0 all healthy, 1 invalid spec, 2 bad usage (e.g. an unknown --only id), 3 Docker unreachable, 4 some gateway is not healthy (with --watch: as of the last poll).",
    )
    .action(
      action(async (spec: string, opts: { out?: string; only?: string[]; ready?: boolean; probeTimeout?: number; watch?: boolean; interval?: number; count?: number; json?: boolean; target?: string }) => {
        if (opts.target === "swarm") {
          const swarm = await import("./swarm.js");
          return show(await swarm.swarmStatusPoll(spec, opts), swarm.renderSwarmStatus, opts);
        }
        const ops = await clawfed();
        return show(() => ops.status(spec, { out: opts.out, requireReady: opts.ready, probeTimeoutMs: opts.probeTimeout, only: opts.only }), renderStatus, opts);
      }),
    );
}
