/**
 * `ecs run-task`: the RunTask input of one gateway of a federation generated with `--target ecs`
 * (seed 002: one task definition per gateway, per-run overrides). Loads the spec for the ecs
 * target (its rules apply), checks the overrides, and builds the input with the pure
 * targets/ecs/run-task.ts. Never calls AWS.
 */
import type { RunTaskCommandInput } from "@aws-sdk/client-ecs";
import { UsageError } from "../errors.js";
import { TagKey, TagValue } from "../federation/ecs-schema.js";
import { loadSpecFile } from "../federation/load.js";
import { runTaskInput } from "../targets/ecs/run-task.js";
import { stackName } from "../targets/ecs/names.js";
import { pickGateways } from "./context.js";

/** What a run may override, as given on the command line (all optional: the spec's values otherwise). */
export interface EcsRunTaskOptions {
  /** Cores, a positive number (a string is parsed: the CLI passes the flag as typed). */
  cpus?: number | string;
  /** Memory like `4g` or `1536m`. */
  memory?: string;
  /** Extra cost tags of this run: `Key=Value` pairs, or a record; checked with the spec's tag rules. */
  tags?: readonly string[] | Record<string, string>;
  /** Private subnets (stack output PrivateSubnets); placeholders when empty. */
  subnets?: readonly string[];
  /** The gateway's security group (stack output); a placeholder when empty. */
  securityGroups?: readonly string[];
}

/** The RunTask input (`aws ecs run-task --cli-input-json`), and `next` when it still holds placeholders. */
export interface EcsRunTaskResult {
  ok: true;
  input: RunTaskCommandInput;
  /** How to get the values that are placeholders in `input` (subnets, security group), when some are. */
  next?: string;
  gateways: Array<{ id: string }>;
  ms: number;
}

const TAG_HINT = "e.g. --tag CostCenter=ClientA";

/**
 * `Key=Value` pairs (or a record), each checked with the spec's own tag rules; every bad tag is
 * reported at once. @throws UsageError
 */
function parseTags(tags: EcsRunTaskOptions["tags"]): Record<string, string> {
  const pairs: Array<[string, string]> = [];
  const problems: string[] = [];
  if (Array.isArray(tags)) {
    for (const p of tags as readonly string[]) {
      const i = p.indexOf("=");
      if (i <= 0) problems.push(`--tag ${JSON.stringify(p)} is not Key=Value`);
      else pairs.push([p.slice(0, i), p.slice(i + 1)]);
    }
  } else pairs.push(...Object.entries((tags as Record<string, string> | undefined) ?? {}));
  for (const [key, value] of pairs) {
    const issues = [...(TagKey.safeParse(key).error?.issues ?? []), ...(TagValue.safeParse(value).error?.issues ?? [])];
    if (issues.length) problems.push(`--tag ${JSON.stringify(`${key}=${value}`)}: ${issues.map((x) => x.message).join("; ")}`);
  }
  if (problems.length) throw new UsageError(problems.join("\n"), { hint: TAG_HINT });
  return Object.fromEntries(pairs);
}

/** `--cpus` as a positive number of cores. @throws UsageError */
function parseCpus(cpus: EcsRunTaskOptions["cpus"]): number | undefined {
  if (cpus === undefined) return undefined;
  const n = typeof cpus === "number" ? cpus : cpus.trim() === "" ? Number.NaN : Number(cpus);
  if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`--cpus must be a positive number of cores, got ${JSON.stringify(cpus)}`);
  return n;
}

/**
 * The RunTask input that starts one task of `gateway` with the given overrides.
 * @throws UsageError for an unknown gateway, a bad --cpus/--memory/--tag, or a size no Fargate
 *   task has (checked before the spec is read, except the gateway id); SpecError for an invalid spec.
 */
export async function ecsRunTask(spec: string, gateway: string, opts: EcsRunTaskOptions = {}): Promise<EcsRunTaskResult> {
  const t0 = performance.now();
  const cpus = parseCpus(opts.cpus);
  const tags = parseTags(opts.tags);
  const loaded = await loadSpecFile(spec, { target: "ecs" });
  const fed = loaded.federation;
  pickGateways(fed, [gateway], "<gateway>");
  const subnets = [...(opts.subnets ?? [])];
  const securityGroups = [...(opts.securityGroups ?? [])];
  const input = runTaskInput(fed, gateway, { cpus, memory: opts.memory, tags, subnets, securityGroups });
  const stack = stackName(fed.name);
  const next =
    subnets.length && securityGroups.length
      ? undefined
      : `subnets and security group are placeholders; pass --subnet and --security-group (outputs of stack ${stack}: aws cloudformation describe-stacks --stack-name ${stack} --query 'Stacks[0].Outputs')`;
  return { ok: true, input, ...(next ? { next } : {}), gateways: [{ id: gateway }], ms: Math.round(performance.now() - t0) };
}
