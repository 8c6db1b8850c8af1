import { Command, Option } from "commander";
import { action, printJson, progress } from "../output.js";

export function registerDown(program: Command): void {
  program
    .command("down")
    .description("Stop and remove the federation's containers and networks.")
    .argument("<spec>", "federation spec")
    .option("-o, --out <dir>", "output directory (default: out/<federation name>)")
    .option("--volumes", "also delete the gateways' state: named state volumes, state/<id> folders of sandboxed gateways, rollout snapshots")
    .addOption(new Option("--target <target>", "compose (default) or swarm (a Docker Swarm stack through the Engine API)").choices(["compose", "swarm"]).default("compose"))
    .option("--json", "print the result as JSON")
    .addHelpText("after", "\nExit codes: 0 done, 1 invalid spec, 2 bad usage, 3 Docker/compose failed.")
    .action(
      action(async (spec: string, opts: { out?: string; volumes?: boolean; json?: boolean; target?: string }) => {
        if (opts.target === "swarm") {
          const { swarmDownCommand } = await import("./swarm.js");
          return swarmDownCommand(spec, opts);
        }
        const { openFederation } = await import("../../runtime/context.js");
        const { down } = await import("../../runtime/down.js");
        const { defaultDeps } = await import("../../runtime/status.js");
        const ctx = await openFederation(spec, { outDir: opts.out });
        const res = await down(ctx, defaultDeps(), { volumes: opts.volumes, onProgress: progress });
        if (opts.json) printJson({ ok: true, ...res });
        else {
          process.stdout.write(`${res.federation}: removed ${res.containers.length} container(s)${opts.volumes ? `, ${res.volumes.length} volume(s), emptied ${res.stateDirs.length} state folder(s)` : ""}\n`);
        }
      }),
    );
}
