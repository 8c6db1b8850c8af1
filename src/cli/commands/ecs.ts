/**
 * `clawfed ecs run-task <spec> <gateway> --print`: the RunTask input of one gateway's task
 * definition with per-run overrides (seed 002), as JSON for `aws ecs run-task --cli-input-json`.
 * clawfed never calls AWS: --print is the only mode. Thin: flags → ops `ecs.runTask` → JSON.
 */
import { Command } from "commander";
import { UsageError } from "../../errors.js";
import { clawfed } from "../clawfed.js";
import { action, printJson, progress } from "../output.js";

interface RunTaskFlags {
  print?: boolean;
  json?: boolean;
  cpus?: string;
  memory?: string;
  tag: string[];
  subnet: string[];
  securityGroup: string[];
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerEcs(program: Command): void {
  const ecs = program.command("ecs").description("AWS ECS Fargate helpers for a federation generated with --target ecs (nothing here calls AWS).");
  ecs
    .command("run-task")
    .description("Print the ECS RunTask input that starts one task of a gateway's task definition, with per-run overrides.")
    .argument("<spec>", "federation spec, e.g. federations/korax.yaml")
    .argument("<gateway>", "gateway id")
    .option("--print", "print the RunTask input as JSON (the only mode: clawfed never calls AWS)")
    .option("--json", "same as --print (errors as JSON too)")
    .option("--cpus <n>", "override the CPU (cores), rounded up with memory to a Fargate size")
    .option("--memory <size>", "override the memory, e.g. 4g or 1536m")
    .option("--tag <Key=Value>", "cost tag of this run (repeatable), added to the spec's tags", collect, [])
    .option("--subnet <id>", "private subnet (repeatable; stack output PrivateSubnets)", collect, [])
    .option("--security-group <id>", "the gateway's security group (stack output SecurityGroupId)", collect, [])
    .addHelpText(
      "after",
      "\nUse: clawfed ecs run-task federations/korax.yaml goreos --print > run.json && aws ecs run-task --cli-input-json file://run.json\n" +
        "A gateway is the single writer of its state: scale its service to 0 before running it as a task.\n" +
        "Exit codes: 0 printed, 1 invalid spec, 2 bad usage (unknown gateway, bad size or tag, no --print).",
    )
    .action(
      action(async (spec: string, gateway: string, opts: RunTaskFlags) => {
        if (!opts.print && !opts.json) throw new UsageError("clawfed does not call AWS: add --print and pass the JSON to `aws ecs run-task --cli-input-json`");
        const res = await (await clawfed()).ecs.runTask(spec, gateway, { cpus: opts.cpus, memory: opts.memory, tags: opts.tag, subnets: opts.subnet, securityGroups: opts.securityGroup });
        if (res.interrupted) progress(`warning: ${res.interrupted.message} (${res.interrupted.next})`);
        if (res.next) progress(`note: ${res.next}`);
        printJson(res.input);
      }),
    );
}
