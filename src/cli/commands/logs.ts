import { Command, Option } from "commander";
import { action } from "../output.js";
import { countArg, durationArg, interruptSignal } from "./runtime-args.js";

export function registerLogs(program: Command): void {
  program
    .command("logs")
    .description("Print (or follow) a gateway's container logs, with every secret of the federation's .env replaced by <redacted>.")
    .argument("<spec>", "federation spec")
    .argument("<gateway>", "gateway id")
    .option("-o, --out <dir>", "output directory (default: out/<federation name>)")
    .option("-f, --follow", "keep streaming new lines until interrupted")
    .option("-n, --tail <lines>", "only the last N lines", countArg)
    .option("--since <duration>", "only lines from this long ago (e.g. 10m)", durationArg)
    .option("-t, --timestamps", "prefix each line with its time")
    .addOption(new Option("--target <target>", "compose (default) or swarm (a Docker Swarm stack through the Engine API)").choices(["compose", "swarm"]).default("compose"))
    .addHelpText("after", "\nExit codes: 0 done, 1 invalid spec, 2 bad usage, 3 no such gateway/container or Docker failed.")
    .action(
      action(async (spec: string, gateway: string, opts: { out?: string; follow?: boolean; tail?: number; since?: number; timestamps?: boolean; target?: string }) => {
        if (opts.target === "swarm") {
          const { swarmLogsCommand } = await import("./swarm.js");
          return swarmLogsCommand(spec, gateway, opts);
        }
        const { openFederation } = await import("../../runtime/context.js");
        const { streamLogs } = await import("../../runtime/logs.js");
        const { createDockerEngine } = await import("../../runtime/engine.js");
        const ctx = await openFederation(spec, { outDir: opts.out });
        const intr = interruptSignal();
        try {
          await streamLogs(
            ctx,
            createDockerEngine(),
            gateway,
            { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) },
            { follow: opts.follow, tail: opts.tail, sinceMs: opts.since, timestamps: opts.timestamps, signal: intr.signal },
          );
        } finally {
          intr.dispose();
        }
      }),
    );
}
