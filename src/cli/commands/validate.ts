import { Command } from "commander";
import { action, printJson, write } from "../output.js";

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description("Check a federation spec and report every problem as file:line:col key: message (hint).")
    .argument("<spec>", "federation spec")
    .option("-t, --target <target>", "also apply the rules of this target (native targets need spaced ports)", "compose")
    .option("--json", "print the result as JSON")
    .addHelpText("after", "\nExit codes: 0 valid, 1 invalid, 2 bad usage.")
    .action(
      action(async (spec: string, opts: { target: string; json?: boolean }) => {
        const { loadSpecFile } = await import("../../federation/load.js");
        const loaded = await loadSpecFile(spec, { target: opts.target });
        const f = loaded.federation;
        if (opts.json) printJson({ ok: true, file: loaded.file, federation: f.name, gateways: f.gateways.map((g) => g.id), routes: f.routes });
        else write(`${loaded.file}: valid (${f.gateways.length} gateways, ${f.routes.length} link directions)\n`);
      }),
    );
}
