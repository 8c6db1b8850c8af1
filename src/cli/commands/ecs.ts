/**
 * `clawfed ecs run-task <spec> <gateway> --print`: the RunTask input of one gateway's task
 * definition with per-run overrides (seed 002), as JSON for `aws ecs run-task --cli-input-json`.
 * clawfed never calls AWS: --print is the only mode.
 */
import { Command } from "commander";
import { UsageError } from "../../errors.js";
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

/** `--tag Key=Value` pairs, checked with the spec's own tag rules. @throws UsageError */
async function parseTags(pairs: string[]): Promise<Record<string, string>> {
  const { Tags } = await import("../../federation/schema.js");
  const raw: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf("=");
    if (i <= 0) throw new UsageError(`--tag ${JSON.stringify(p)} is not Key=Value`, { hint: "e.g. --tag CostCenter=ClientA" });
    raw[p.slice(0, i)] = p.slice(i + 1);
  }
  const parsed = Tags.safeParse(raw);
  if (!parsed.success) throw new UsageError(`--tag: ${parsed.error.issues.map((x) => x.message).join("; ")}`, { hint: "e.g. --tag CostCenter=ClientA" });
  return parsed.data;
}

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
        const cpus = opts.cpus === undefined ? undefined : Number(opts.cpus);
        if (cpus !== undefined && !(cpus > 0)) throw new UsageError(`--cpus must be a positive number of cores, got ${JSON.stringify(opts.cpus)}`);
        const tags = await parseTags(opts.tag);
        const { loadSpecFile } = await import("../../federation/load.js");
        const { runTaskInput } = await import("../../targets/ecs/run-task.js");
        const loaded = await loadSpecFile(spec, { target: "ecs" });
        const input = runTaskInput(loaded.federation, gateway, { cpus, memory: opts.memory, tags, subnets: opts.subnet, securityGroups: opts.securityGroup });
        if (!opts.subnet.length || !opts.securityGroup.length) {
          progress(`note: subnets and security group are placeholders; pass --subnet and --security-group (outputs of stack clawfed-${loaded.federation.name}: aws cloudformation describe-stacks --stack-name clawfed-${loaded.federation.name} --query 'Stacks[0].Outputs')`);
        }
        printJson(input);
      }),
    );
}
