/**
 * Rules of the ecs target (AWS ECS Fargate), applied by rules.ts when the target is `ecs`, so that
 * every problem is reported at once with `file:line:col` before anything is written. Kept apart
 * from rules.ts (which imports this file) and free of imports from it: no cycle.
 */
import type { SpecParsed } from "./schema.js";
import type { Federation } from "./normalize.js";

/** Largest Fargate task: 16 vCPU, 120 GiB (AWS docs: Amazon ECS Developer Guide, "Task CPU and memory"). */
export const FARGATE_MAX = { cpus: 16, memoryMiB: 120 * 1024 } as const;

/** `2g` → 2048 MiB (the spec's memory syntax, already validated by the schema), rounded up. */
function mib(size: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg])$/i.exec(size);
  return m ? Math.ceil(Number(m[1]) * { k: 1 / 1024, m: 1, g: 1024 }[m[2]!.toLowerCase() as "k" | "m" | "g"]) : Number.NaN;
}

/** Whether some Fargate size holds `cpus` cores and `memory` (every size up to the largest one is reachable by rounding up). */
export function fitsFargate(cpus: number, memory: string): boolean {
  return Math.ceil(cpus * 1024) <= FARGATE_MAX.cpus * 1024 && mib(memory) <= FARGATE_MAX.memoryMiB;
}

/**
 * - sandbox mode non-main or all needs a Docker socket, which Fargate does not have: refused
 *   unless the gateway says `ecs.sandbox: off`;
 * - resources must fit a Fargate size (at most 16 vCPU and 120 GiB).
 */
export function ecsRules(spec: SpecParsed, fed: Federation, ctx: { target: string }): Array<{ path: ReadonlyArray<string | number>; message: string; hint?: string }> {
  if (ctx.target !== "ecs") return [];
  const out: Array<{ path: ReadonlyArray<string | number>; message: string; hint?: string }> = [];
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
    if (!fitsFargate(g.resources.cpus, g.resources.memory)) {
      out.push({
        path: ["gateways", g.id, "resources"],
        message: `${g.resources.cpus} cores and ${g.resources.memory} are more than the largest Fargate task (${FARGATE_MAX.cpus} vCPU, ${FARGATE_MAX.memoryMiB / 1024} GiB)`,
        hint: "lower resources.cpus or resources.memory, or use --target compose on a larger host",
      });
    }
  }
  const e = spec.ecs;
  if (e?.knowledgeFileSystem && !e.vpc) {
    out.push({ path: ["ecs", "knowledgeFileSystem"], message: "an existing file system is reachable only from its own VPC, and the stack would create a new one", hint: "add ecs.vpc with the ids of the VPC that holds its mount targets" });
  }
  if (e?.vpc && e.vpc.availabilityZones.length !== e.vpc.privateSubnets.length) {
    out.push({ path: ["ecs", "vpc", "privateSubnets"], message: `${e.vpc.privateSubnets.length} private subnets for ${e.vpc.availabilityZones.length} availability zones`, hint: "give one private subnet per availability zone, in the same order" });
  }
  if (e?.vpc && new Set(e.vpc.availabilityZones).size !== e.vpc.availabilityZones.length) {
    out.push({ path: ["ecs", "vpc", "availabilityZones"], message: "names an availability zone twice (EFS has one mount target per zone)", hint: "one subnet per availability zone" });
  }
  return out;
}
