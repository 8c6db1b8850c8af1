import { Command } from "commander";
import { action, printJson, progress } from "../output.js";
import { durationArg } from "./runtime-args.js";

export function registerAsk(program: Command): void {
  program
    .command("ask")
    .description("Send a task to a gateway over A2A as the host operator and print its answer (the operator token stays in the federation's .env).")
    .argument("<spec>", "federation spec")
    .argument("<gateway>", "gateway id")
    .argument("<text>", "the task")
    .option("-o, --out <dir>", "output directory with the .env (default: out/<federation name>)")
    .option("--timeout <duration>", "how long to wait for the answer (default 120s)", durationArg)
    .option("--context <id>", "continue an A2A conversation (contextId printed by --json); default a new one")
    .option("--json", "print {gateway, state, taskId, contextId, answer, ms} as JSON")
    .addHelpText("after", "\nExit codes: 0 answered, 1 invalid spec, 2 unknown gateway or bad flag, 3 gateway down, timed out or failed (the next command is printed).")
    .action(
      action(async (spec: string, gateway: string, text: string, opts: { out?: string; timeout?: number; context?: string; json?: boolean }) => {
        const { ask } = await import("../../runtime/a2a-client.js");
        if (!opts.json) progress(`asking ${gateway}…`);
        const res = await ask(spec, gateway, text, { outDir: opts.out, timeoutMs: opts.timeout, contextId: opts.context });
        if (opts.json) printJson(res);
        else process.stdout.write(`${res.answer}\n`);
        return res.state === "TASK_STATE_COMPLETED" ? 0 : 3;
      }),
    );
}
