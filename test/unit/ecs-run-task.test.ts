// `clawfed ecs run-task <spec> <gateway> --print`: the RunTask input of the seed-002 flow (one task
// definition per gateway, per-run overrides). Typed by @aws-sdk/client-ecs: the type-level checks
// below are enforced by `tsc --noEmit` (the project's typecheck includes test/).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { RunTaskCommandInput } from "@aws-sdk/client-ecs";
import { describe, expect, expectTypeOf, it } from "vitest";
import { loadSpecFile } from "../../src/federation/load.js";
import { runTaskInput, GATEWAY_CONTAINER } from "../../src/targets/ecs/run-task.js";
import { describeEcs } from "../../src/targets/ecs/describe.js";
import { UsageError } from "../../src/errors.js";
import { createClawfed } from "../../src/ops/index.js";

const run = promisify(execFile);
const korax = async () => (await loadSpecFile("federations/korax.yaml", { target: "ecs" })).federation;

/**
 * Seed 002, "Parámetros Sobrescritos en Runtime (Overrides)": CPU/memory, environment variables
 * with the agent's identifiers (AGENT_ID, WORKSPACE_ID), and tags for billing (CostCenter).
 */
const SEED_OVERRIDES = { cpuMemory: ["cpu", "memory"], environment: ["AGENT_ID", "WORKSPACE_ID"], tags: ["CostCenter"] } as const;

describe("runTaskInput", () => {
  it("is a RunTaskCommandInput (type level)", async () => {
    const input = runTaskInput(await korax(), "goreos");
    expectTypeOf(input).toEqualTypeOf<RunTaskCommandInput>();
    expectTypeOf(runTaskInput).returns.toMatchTypeOf<RunTaskCommandInput>();
    // The SDK's types are real, not `any`: a wrong launch type or a numeric cpu does not compile.
    // @ts-expect-error launchType is an enum of the SDK
    const bad1: RunTaskCommandInput = { taskDefinition: "x", launchType: "SPACESHIP" };
    // @ts-expect-error overrides.cpu is a string in the API
    const bad2: RunTaskCommandInput = { taskDefinition: "x", overrides: { cpu: 1024 } };
    expect([bad1, bad2]).toHaveLength(2);
  });

  it("covers the seed's override list: CPU/memory, AGENT_ID/WORKSPACE_ID, cost tags", async () => {
    const fed = await korax();
    const input = runTaskInput(fed, "goreos", { cpus: 4, memory: "10g", tags: { Run: "nightly" } });
    for (const k of SEED_OVERRIDES.cpuMemory) expect(input.overrides?.[k], k).toMatch(/^\d+$/);
    expect(input.overrides).toMatchObject({ cpu: "4096", memory: "10240" });
    const container = input.overrides!.containerOverrides!.find((c) => c.name === GATEWAY_CONTAINER)!;
    expect(container.environment!.map((e) => e.name)).toEqual([...SEED_OVERRIDES.environment]);
    expect(container.environment).toEqual([
      { name: "AGENT_ID", value: "goreos" },
      { name: "WORKSPACE_ID", value: "korax" },
    ]);
    const tags = Object.fromEntries(input.tags!.map((t) => [t.key, t.value]));
    for (const k of SEED_OVERRIDES.tags) expect(tags[k], k).toBe("gore-nuble");
    expect(tags).toMatchObject({ Run: "nightly", "clawfed:federation": "korax", "clawfed:gateway": "goreos" });
    // A secret can never be an override: ContainerOverride has no `secrets`, and no value is here.
    expect(JSON.stringify(input)).not.toMatch(/TOKEN|API_KEY/);
  });

  it("names the cluster and task definition family the stack creates, in private subnets without public IPs", async () => {
    const fed = await korax();
    const d = describeEcs(fed, "h");
    const input = runTaskInput(fed, "medico", { subnets: ["subnet-1", "subnet-2"], securityGroups: ["sg-1"] });
    expect(input.cluster).toBe(d.clusterName);
    expect(input.taskDefinition).toBe(d.gateways.find((g) => g.id === "medico")!.family);
    expect(input.launchType).toBe("FARGATE");
    expect(input.networkConfiguration!.awsvpcConfiguration).toEqual({ subnets: ["subnet-1", "subnet-2"], securityGroups: ["sg-1"], assignPublicIp: "DISABLED" });
    // The spec's size by default (2 cores, 2g → the smallest Fargate size that holds both).
    expect(input.overrides).toMatchObject({ cpu: "2048", memory: "4096" });
  });

  it("refuses an unknown gateway and sizes no Fargate task holds", async () => {
    const fed = await korax();
    expect(() => runTaskInput(fed, "nope")).toThrow(UsageError);
    expect(() => runTaskInput(fed, "korax", { cpus: 64 })).toThrow(/no Fargate size/);
  });
});

describe("Clawfed.ecs.runTask (what the CLI calls)", () => {
  const ops = createClawfed();
  it("parses the flags as typed, merges the run's tags and says when subnets and security group are placeholders", async () => {
    const res = await ops.ecs.runTask("federations/korax.yaml", "medico", { cpus: "4", memory: "8g", tags: ["CostCenter=ClientA", "Run=nightly"] });
    expect(res.ok).toBe(true);
    expect(res.gateways).toEqual([{ id: "medico" }]);
    expect(res.input.overrides).toMatchObject({ cpu: "4096", memory: "8192" });
    expect(res.input.tags).toEqual(expect.arrayContaining([{ key: "CostCenter", value: "ClientA" }, { key: "Run", value: "nightly" }, { key: "clawfed:gateway", value: "medico" }]));
    expect(res.next).toMatch(/--subnet and --security-group .*describe-stacks --stack-name clawfed-korax/);
    const given = await ops.ecs.runTask("federations/korax.yaml", "medico", { subnets: ["subnet-a", "subnet-b"], securityGroups: ["sg-a"] });
    expect(given.next).toBeUndefined();
    expect(given.input.networkConfiguration?.awsvpcConfiguration).toMatchObject({ subnets: ["subnet-a", "subnet-b"], securityGroups: ["sg-a"] });
  });

  it("refuses bad flags before reading the spec, and an unknown gateway the way every command does", async () => {
    // A spec that does not exist: the usage errors come first.
    await expect(ops.ecs.runTask("no/such/spec.yaml", "korax", { cpus: "x" })).rejects.toThrow(new UsageError('--cpus must be a positive number of cores, got "x"'));
    await expect(ops.ecs.runTask("no/such/spec.yaml", "korax", { cpus: 0 })).rejects.toThrow(UsageError);
    await expect(ops.ecs.runTask("no/such/spec.yaml", "korax", { tags: ["bad"] })).rejects.toThrow(/--tag "bad" is not Key=Value/);
    await expect(ops.ecs.runTask("no/such/spec.yaml", "korax", { tags: ["aws:x=y"] })).rejects.toThrow(/reserved by AWS/);
    await expect(ops.ecs.runTask("federations/korax.yaml", "nope")).rejects.toThrow(/<gateway> names "nope", which is not a gateway of korax/);
  });
});

describe("clawfed ecs run-task (CLI)", () => {
  it("prints the JSON with --print and refuses to run without it", async () => {
    const { stdout } = await run("node", ["bin/clawfed.js", "ecs", "run-task", "federations/korax.yaml", "korax", "--print", "--subnet", "subnet-a", "--security-group", "sg-a", "--tag", "CostCenter=ClientA"]);
    const input = JSON.parse(stdout) as RunTaskCommandInput;
    expect(input.taskDefinition).toBe("clawfed-korax--korax");
    expect(input.tags).toContainEqual({ key: "CostCenter", value: "ClientA" });
    const err = await run("node", ["bin/clawfed.js", "ecs", "run-task", "federations/korax.yaml", "korax"]).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr).toContain("--print");
    const badTag = await run("node", ["bin/clawfed.js", "ecs", "run-task", "federations/korax.yaml", "korax", "--print", "--tag", "aws:x=y"]).catch((e: { code: number }) => e);
    expect((badTag as { code: number }).code).toBe(2);
  });
});
