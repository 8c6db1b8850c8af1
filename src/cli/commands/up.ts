import { Command, Option } from "commander";
import { action, EXIT, printJson, progress } from "../output.js";
import { durationArg, interruptSignal } from "./runtime-args.js";

export function registerUp(program: Command): void {
  program
    .command("up")
    .description("Generate if needed, start the federation with compose, and wait until every gateway is healthy.")
    .argument("<spec>", "federation spec, e.g. federations/korax.yaml")
    .option("-o, --out <dir>", "output directory (default: out/<federation name>)")
    .option("--image <ref>", "image for every gateway the spec does not give its own (e.g. a locally built openclaw:2026.9.6-local)")
    .option("--timeout <duration>", "how long to wait for all gateways (e.g. 180s, 3m)", durationArg)
    .option("--ready", "also wait for /readyz (channels pass their checks), not only /startupz")
    .option("--force", "generate into a non-empty output folder clawfed did not create")
    .addOption(new Option("--target <target>", "compose (default) or swarm (a Docker Swarm stack through the Engine API)").choices(["compose", "swarm"]).default("compose"))
    .option("--json", "print the result as JSON on stdout (progress stays on stderr)")
    .addHelpText(
      "after",
      "\nA gateway counts as up when its container runs and /startupz answers {\"status\":\"started\"} on its published 127.0.0.1 port." +
        "\nExit codes: 0 all up, 1 invalid spec (nothing started), 2 bad usage, 3 a gateway did not come up or Docker/compose failed.",
    )
    .action(
      action(async (spec: string, opts: { out?: string; image?: string; timeout?: number; ready?: boolean; force?: boolean; json?: boolean; target?: string }) => {
        if (opts.target === "swarm") {
          const { swarmUpCommand } = await import("./swarm.js");
          return swarmUpCommand(spec, opts);
        }
        const { up } = await import("../../runtime/up.js");
        const { defaultDeps } = await import("../../runtime/status.js");
        const { formatMs } = await import("../../runtime/clock.js");
        const intr = interruptSignal(() => progress("interrupted: stopping the wait (the gateways keep running)"));
        try {
          const res = await up(spec, defaultDeps(), { outDir: opts.out, image: opts.image, timeoutMs: opts.timeout, requireReady: opts.ready, force: opts.force, onProgress: progress, signal: intr.signal });
          if (opts.json) printJson(res);
          else {
            for (const g of res.gateways) process.stdout.write(`${g.ok ? "ok  " : "FAIL"} ${g.id}: ${g.reason}${g.ok ? ` after ${formatMs(g.ms)}` : ""}\n`);
            if (res.ok) process.stdout.write(`${res.federation}: all ${res.gateways.length} gateway(s) up in ${formatMs(res.ms)}\n`);
            else {
              const bad = res.gateways.filter((g) => !g.ok).map((g) => g.id);
              process.stderr.write(`error: ${bad.join(", ")} did not come up\nNext: ${res.next}\n`);
            }
          }
          return res.ok ? EXIT.ok : EXIT.runtime;
        } finally {
          intr.dispose();
        }
      }),
    );
}
