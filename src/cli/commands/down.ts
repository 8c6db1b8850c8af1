import { Command, Option } from "commander";
import { clawfed } from "../clawfed.js";
import { reporter } from "../format.js";
import { action, clean, printJson, write } from "../output.js";

export function registerDown(program: Command): void {
  program
    .command("down")
    .description("Stop and remove the federation's containers and networks.")
    .argument("<spec>", "federation spec")
    .option("-o, --out <dir>", "output folder (default: out/<federation name>)")
    .option("--volumes", "also delete the gateways' state: named state volumes, state/<id> folders of sandboxed gateways, rollout snapshots")
    .addOption(new Option("--target <target>", "compose (default) or swarm (a Docker Swarm stack: services and tasks through the Engine API)").choices(["compose", "swarm"]).default("compose"))
    .option("--json", "print the result as JSON")
    .addHelpText("after", "\nExit codes: 0 done, 1 invalid spec, 2 bad usage, 3 Docker/compose failed.")
    .action(
      action(async (spec: string, opts: { out?: string; volumes?: boolean; json?: boolean; target?: string }) => {
        if (opts.target === "swarm") return (await import("./swarm.js")).swarmDownCommand(spec, opts);
        const report = await reporter({ plain: opts.json, clean });
        const res = await (await clawfed()).down(spec, { out: opts.out, volumes: opts.volumes, onProgress: report.line }).finally(() => report.done());
        if (opts.json) printJson(res);
        else write(`${res.federation}: removed ${res.containers.length} container(s)${opts.volumes ? `, ${res.volumes.length} volume(s), emptied ${res.stateDirs.length} state folder(s)` : ""}\n`);
      }),
    );
}
