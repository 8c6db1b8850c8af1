import { Command, Option } from "commander";
import { clawfed } from "../clawfed.js";
import { action, write, clean } from "../output.js";
import { countArg, durationArg, interruptSignal } from "./runtime-args.js";

export function registerLogs(program: Command): void {
  program
    .command("logs")
    .description("Print (or follow) a gateway's container logs, with every secret of the federation's .env replaced by <redacted>.")
    .argument("<spec>", "federation spec")
    .argument("<gateway>", "gateway id")
    .option("-o, --out <dir>", "output folder (default: out/<federation name>)")
    .option("-f, --follow", "keep streaming new lines until interrupted")
    .option("-n, --tail <lines>", "only the last N lines", countArg)
    .option("--since <duration>", "only lines from this long ago (e.g. 10m)", durationArg)
    .option("-t, --timestamps", "prefix each line with its time")
    .addOption(new Option("--target <target>", "compose (default) or swarm (a Docker Swarm stack: services and tasks through the Engine API)").choices(["compose", "swarm"]).default("compose"))
    .addHelpText("after", "\nExit codes: 0 done, 1 invalid spec, 2 bad usage (e.g. an unknown gateway), 3 the gateway has no container or Docker failed.")
    .action(
      action(async (spec: string, gateway: string, opts: { out?: string; follow?: boolean; tail?: number; since?: number; timestamps?: boolean; target?: string }) => {
        if (opts.target === "swarm") return (await import("./swarm.js")).swarmLogsCommand(spec, gateway, opts);
        const intr = interruptSignal();
        try {
          // The stream is redacted line by line already (StreamRedactor); `clean` is the shared last pass.
          const sink = { stdout: (t: string) => write(t), stderr: (t: string) => void process.stderr.write(clean(t)) };
          await (await clawfed()).logs(spec, { gateway, sink, out: opts.out, follow: opts.follow, tail: opts.tail, sinceMs: opts.since, timestamps: opts.timestamps, signal: intr.signal, onProgress: (l) => process.stderr.write(`${l}\n`) });
        } finally {
          intr.dispose();
        }
      }),
    );
}
