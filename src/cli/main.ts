/**
 * The `clawfed` command. Each command lives in commands/<name>.ts and registers itself here;
 * commands that touch Docker or processes import their runtime code lazily, so `generate` and
 * `validate` start fast.
 */
import { Command, CommanderError } from "commander";
import { EXIT } from "./output.js";
import { registerGenerate } from "./commands/generate.js";
import { registerValidate } from "./commands/validate.js";
import { registerSchema } from "./commands/schema.js";
import { registerUp } from "./commands/up.js";
import { registerStatus } from "./commands/status.js";
import { registerLogs } from "./commands/logs.js";
import { registerRollout } from "./commands/rollout.js";
import { registerUpgrade } from "./commands/upgrade.js";
import { registerDown } from "./commands/down.js";
import { registerBackup } from "./commands/backup.js";
import { registerRestore } from "./commands/restore.js";
import { registerNative } from "./commands/native.js";
import { registerAudit } from "./commands/audit.js";
import { registerAsk } from "./commands/ask.js";
import { registerImage } from "./commands/image.js";
import { registerRecover } from "./commands/recover.js";
import { registerRotate } from "./commands/rotate.js";
import { registerPlan } from "./commands/plan.js";
import { registerDoctor } from "./commands/doctor.js";
import { registerAdd, registerRemove } from "./commands/members.js";
import { registerEcs } from "./commands/ecs.js";

export const VERSION = "0.1.0";

export function buildProgram(): Command {
  const program = new Command("clawfed")
    .description("Compile one federation spec into a running federation of OpenClaw gateways, and operate it.")
    .version(VERSION)
    .showHelpAfterError("(run with --help for usage)")
    // `clawfed --version` only before a command, so a command may have its own --version
    // (`clawfed image build --version 2026.9.6`).
    .enablePositionalOptions()
    .exitOverride();
  registerGenerate(program);
  registerValidate(program);
  registerSchema(program);
  registerUp(program);
  registerStatus(program);
  registerLogs(program);
  registerRollout(program);
  registerUpgrade(program);
  registerDown(program);
  registerBackup(program);
  registerRestore(program);
  registerNative(program);
  registerAudit(program);
  registerAsk(program);
  registerImage(program);
  registerRecover(program);
  registerRotate(program);
  registerPlan(program);
  registerDoctor(program);
  registerAdd(program);
  registerRemove(program);
  registerEcs(program);
  // More commands register here (one line each).
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // `clawfed … | head` closes the pipe early: that is the reader's choice, not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; usage mistakes exit 2.
      // A command whose 2 means something else (plan: changes) sets its own code for bad usage.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : ((err as CommanderError & { clawfedExit?: number }).clawfedExit ?? EXIT.usage);
      return;
    }
    throw err;
  }
}

await main(process.argv);
