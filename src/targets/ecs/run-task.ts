/**
 * The seed-002 flow as data: one task definition per gateway (the template) and per-run overrides
 * at `RunTask` (CPU/memory, `AGENT_ID`/`WORKSPACE_ID`, cost tags). Pure: builds the ECS `RunTask`
 * input (API reference: RunTask; `aws ecs run-task --cli-input-json` reads the same shape); nothing
 * here calls AWS. Types come from `@aws-sdk/client-ecs` (a devDependency: types only).
 */
import type { RunTaskCommandInput } from "@aws-sdk/client-ecs";
import type { Federation } from "../../federation/normalize.js";
import { UsageError } from "../../errors.js";
import { fargatePairs, fargateSize } from "./fargate.js";
import { clusterName, stackName, taskFamily } from "./names.js";

/** Container name in every gateway task definition (templates/ecs/lib/gateway.ts). */
export const GATEWAY_CONTAINER = "gateway";

/** What a run may override (the seed's list), all optional: the spec's values otherwise. */
export interface RunTaskOverrides {
  /** Cores (rounded up with memory to a Fargate size). */
  cpus?: number;
  /** Memory size like `4g` or `1536m`. */
  memory?: string;
  agentId?: string;
  workspaceId?: string;
  /** Extra cost tags of this run (added to the spec's). */
  tags?: Record<string, string>;
  /** Private subnets (stack output PrivateSubnets); placeholders when absent. */
  subnets?: string[];
  /** The gateway's security group (stack output Gateway-<id>/SecurityGroupId); a placeholder when absent. */
  securityGroups?: string[];
}

/** Placeholders for values only the deployed stack knows; `ecs run-task` says how to get them. */
export function placeholders(fed: string, gw: string): { subnet: string; securityGroup: string } {
  return { subnet: `<PrivateSubnets output of stack ${stackName(fed)}>`, securityGroup: `<SecurityGroupId output of ${gw} in stack ${stackName(fed)}>` };
}

/**
 * The `RunTask` input that starts one task of gateway `gw` with the given overrides.
 * @throws UsageError for an unknown gateway, or cpus/memory that no Fargate size holds.
 */
export function runTaskInput(fed: Federation, gw: string, o: RunTaskOverrides = {}): RunTaskCommandInput {
  const g = fed.gateways.find((x) => x.id === gw);
  if (!g) throw new UsageError(`${gw} is not a gateway of ${fed.name}`, { hint: `use one of: ${fed.gateways.map((x) => x.id).join(", ")}` });
  let size: { cpu: number; memoryMiB: number } | undefined;
  try {
    size = fargateSize(o.cpus ?? g.resources.cpus, o.memory ?? g.resources.memory);
  } catch {
    throw new UsageError(`--memory ${o.memory}: not a size like 4g or 1536m`);
  }
  if (!size) {
    const max = fargatePairs().at(-1)!;
    throw new UsageError(`no Fargate size holds ${o.cpus ?? g.resources.cpus} cores and ${o.memory ?? g.resources.memory}`, { hint: `at most ${max.cpu / 1024} vCPU and ${max.memoryMiB / 1024} GiB` });
  }
  const ph = placeholders(fed.name, gw);
  const tags = { ...fed.tags, ...g.tags, ...o.tags, "clawfed:federation": fed.name, "clawfed:gateway": g.id };
  return {
    cluster: clusterName(fed.name),
    taskDefinition: taskFamily(fed.name, g.id),
    launchType: "FARGATE",
    platformVersion: "LATEST",
    count: 1,
    startedBy: "clawfed",
    networkConfiguration: {
      awsvpcConfiguration: { subnets: o.subnets?.length ? o.subnets : [ph.subnet], securityGroups: o.securityGroups?.length ? o.securityGroups : [ph.securityGroup], assignPublicIp: "DISABLED" },
    },
    overrides: {
      cpu: String(size.cpu),
      memory: String(size.memoryMiB),
      containerOverrides: [
        {
          name: GATEWAY_CONTAINER,
          environment: [
            { name: "AGENT_ID", value: o.agentId ?? g.agentId },
            { name: "WORKSPACE_ID", value: o.workspaceId ?? fed.name },
          ],
        },
      ],
    },
    enableECSManagedTags: true,
    propagateTags: "TASK_DEFINITION",
    tags: Object.entries(tags)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => ({ key, value })),
  };
}
