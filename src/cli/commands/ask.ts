import { Command } from "commander";
import { clawfed } from "../clawfed.js";
import { action, printJson, progress, write } from "../output.js";
import { durationArg } from "./runtime-args.js";

export function registerAsk(program: Command): void {
  program
    .command("ask")
    .description("Send a task to a gateway over A2A as the host operator and print its answer (the operator token stays in the federation's .env).")
    .argument("<spec>", "federation spec")
    .argument("<gateway>", "gateway id")
    .argument("<text>", "the task")
    .option("-o, --out <dir>", "output folder with the .env (default: out/<federation name>)")
    .option("--timeout <duration>", "how long to wait for the answer (default 120s)", durationArg)
    .option("--context <id>", "continue an A2A conversation (contextId printed by --json); default a new one")
    .option("--json", "print {ok, gateway, state, taskId, contextId, answer, ms} as JSON")
    .addHelpText("after", "\nExit codes: 0 answered, 1 invalid spec, 2 unknown gateway or bad flag, 3 gateway down, timed out or failed (the next command is printed).")
    .action(
      action(async (spec: string, gateway: string, text: string, opts: { out?: string; timeout?: number; context?: string; json?: boolean }) => {
        if (!opts.json) progress(`asking ${gateway}…`);
        const res = await (await clawfed()).ask(spec, { gateway, text, out: opts.out, timeoutMs: opts.timeout, contextId: opts.context });
        if (opts.json) printJson(res);
        else {
          write(`${res.answer}\n`);
          if (!res.ok) progress(`task ended ${res.state}; next: ${res.next}`);
        }
        return res.ok ? 0 : 3;
      }),
    );
}
