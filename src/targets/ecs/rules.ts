/**
 * Rules of the ecs target (applied by federation/rules.ts when the target is `ecs`), so that every
 * problem is reported at once with `file:line:col` before anything is written.
 */
import type { SpecParsed } from "../../federation/schema.js";
import type { Federation } from "../../federation/normalize.js";
import type { RuleContext, RuleIssue } from "../../federation/rules.js";
import { fargateSize } from "./fargate.js";

/** Size of a task definition's plain environment ECS accepts, with room for the rest (the limit is 64 KiB per task definition). */
export const MAX_ENVIRONMENT_BYTES = 48 * 1024;

/**
 * - sandbox mode non-main or all needs a Docker socket, which Fargate does not have: refused
 *   unless the gateway says `ecs.sandbox: off`;
 * - resources must fit a Fargate size (at most 16 vCPU and 120 GiB).
 */
export function ecsRules(spec: SpecParsed, fed: Federation, ctx: RuleContext): RuleIssue[] {
  if (ctx.target !== "ecs") return [];
  const out: RuleIssue[] = [];
  for (const g of fed.gateways) {
    const raw = spec.gateways[g.id];
    if (!raw) continue;
    if (g.sandbox.mode !== "off" && raw.ecs?.sandbox !== "off") {
      out.push({
        path: ["gateways", g.id, "sandbox", "mode"],
        message: `sandbox mode ${g.sandbox.mode} starts sandbox containers through a Docker socket, which AWS Fargate does not have`,
        hint: `for --target ecs add "ecs: { sandbox: off }" to gateway ${g.id} (its Fargate micro-VM is then its only isolation), or run this gateway with --target compose`,
      });
    }
    if (!fargateSize(g.resources.cpus, g.resources.memory)) {
      out.push({
        path: ["gateways", g.id, "resources"],
        message: `${g.resources.cpus} cores and ${g.resources.memory} are more than the largest Fargate task (16 vCPU, 120 GiB)`,
        hint: "lower resources.cpus or resources.memory, or use --target compose on a larger host",
      });
    }
  }
  return out;
}
