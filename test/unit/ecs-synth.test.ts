// The ecs target's CloudFormation, synthesized offline in this process with aws-cdk-lib (a
// devDependency; without it synthEcs throws a RuntimeError saying how to install it), and checked
// with aws-cdk-lib/assertions and cdk-nag's AwsSolutions pack. CDK's built-in template validation
// runs in ecs-app.test.ts (the real `cdk synth` of the generated app).
import { readFile } from "node:fs/promises";
import { Template } from "aws-cdk-lib/assertions";
import { Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { loadSpecFile } from "../../src/federation/load.js";
import { generatedHeader } from "../../src/vocabulary/names.js";
import { describeEcs } from "../../src/targets/ecs/describe.js";
import type { EcsFederationDescription } from "../../src/targets/ecs/description.js";
import { stateRoot } from "../../src/targets/ecs/names.js";
import { synthEcs, type EcsSynthResult } from "../../src/targets/ecs/synth.js";
import { secretShape } from "../../src/federation/schema.js";
import type { Federation } from "../../src/federation/normalize.js";

type Resource = { Type: string; Properties: Record<string, unknown> };
type Json = Record<string, unknown>;

const cases: Array<{ spec: string; fed?: Federation; d?: EcsFederationDescription; res?: EcsSynthResult }> = [
  { spec: "federations/korax.yaml" },
  { spec: "federations/lab.yaml" },
];

beforeAll(async () => {
  for (const c of cases) {
    c.fed = (await loadSpecFile(c.spec, { target: "ecs" })).federation;
    c.d = describeEcs(c.fed, generatedHeader(c.spec));
    c.res = await synthEcs(c.d, { nag: true, validate: false });
  }
}, 120_000);

const resources = (t: Json) => t.Resources as Record<string, Resource>;
const ofType = (t: Json, type: string) => Object.entries(resources(t)).filter(([, r]) => r.Type === type);
/** Logical id behind `{Ref: id}` or `{"Fn::GetAtt": [id, attr]}`. */
const refOf = (v: unknown): string | undefined => {
  const o = v as Json;
  if (o && typeof o.Ref === "string") return o.Ref;
  const ga = o?.["Fn::GetAtt"] as unknown[] | undefined;
  return Array.isArray(ga) ? String(ga[0]) : undefined;
};
/** Every logical id `{Ref}`-ed anywhere inside `v` (e.g. an ARN built with Fn::Join). */
const refsIn = (v: unknown): string[] => {
  const out: string[] = [];
  JSON.stringify(v, (k, x) => (k === "Ref" && typeof x === "string" && out.push(x), x));
  return out;
};
const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Gateway id → its task definition, execution role, task role and security group logical ids. */
function gatewayResources(t: Json, d: EcsFederationDescription) {
  const out = new Map<string, { td: string; exec: string; task: string; sg: string }>();
  for (const g of d.gateways) {
    const [td, res] = ofType(t, "AWS::ECS::TaskDefinition").find(([, r]) => r.Properties.Family === g.family)!;
    const [, svc] = ofType(t, "AWS::ECS::Service").find(([, r]) => refOf(r.Properties.TaskDefinition) === td)!;
    const sgs = ((svc.Properties.NetworkConfiguration as Json).AwsvpcConfiguration as Json).SecurityGroups as unknown[];
    expect(sgs).toHaveLength(1);
    out.set(g.id, { td, exec: refOf(res.Properties.ExecutionRoleArn)!, task: refOf(res.Properties.TaskRoleArn)!, sg: refOf(sgs[0])! });
  }
  return out;
}

/** Statements of every AWS::IAM::Policy attached to `role`. */
function statementsOf(t: Json, role: string): Json[] {
  return ofType(t, "AWS::IAM::Policy")
    .filter(([, p]) => asArray(p.Properties.Roles).some((r) => refOf(r) === role))
    .flatMap(([, p]) => asArray((p.Properties.PolicyDocument as Json).Statement as Json[]));
}

describe.each(cases.map((c) => [c.spec, c] as const))("%s on ECS", (_spec, c) => {
  it("synthesizes offline, with one Fargate service per gateway and one state access point per gateway", () => {
    const t = c.res!.template;
    const template = Template.fromJSON(t);
    template.resourceCountIs("AWS::ECS::Service", c.d!.gateways.length);
    template.resourceCountIs("AWS::EFS::AccessPoint", c.d!.accessPoints.length);
    template.resourceCountIs("AWS::EFS::FileSystem", 1);
    template.hasResourceProperties("AWS::EFS::FileSystem", { Encrypted: true });
    for (const g of c.d!.gateways) {
      const states = ofType(t, "AWS::EFS::AccessPoint").filter(([, r]) => (r.Properties.RootDirectory as Json).Path === stateRoot(c.fed!.name, g.id));
      expect(states, g.id).toHaveLength(1);
      expect(states[0]![1].Properties).toMatchObject({ PosixUser: { Uid: "1000", Gid: "1000" }, RootDirectory: { CreationInfo: { OwnerUid: "1000", OwnerGid: "1000", Permissions: "700" } } });
    }
    template.allResourcesProperties("AWS::ECS::Service", {
      DesiredCount: 1,
      LaunchType: "FARGATE",
      DeploymentConfiguration: { MinimumHealthyPercent: 0, MaximumPercent: 100, DeploymentCircuitBreaker: { Enable: true, Rollback: true } },
    });
    for (const [, td] of ofType(t, "AWS::ECS::TaskDefinition")) {
      for (const v of asArray((td.Properties as Json).Volumes as Json[])) {
        expect((v.EFSVolumeConfiguration as Json).TransitEncryption).toBe("ENABLED");
        expect(((v.EFSVolumeConfiguration as Json).AuthorizationConfig as Json).IAM).toBe("ENABLED");
      }
    }
  });

  it("holds no secret value: every secret is generated by Secrets Manager, and no string looks like a credential", () => {
    const t = c.res!.template;
    const secrets = ofType(t, "AWS::SecretsManager::Secret");
    expect(secrets).toHaveLength(c.d!.secrets.length);
    for (const [, s] of secrets) {
      expect(s.Properties.SecretString).toBeUndefined();
      expect(s.Properties.GenerateSecretString).toBeDefined();
      expect(String(s.Properties.Name)).toMatch(new RegExp(`^/openclaw/${c.fed!.name}/[a-z0-9-]+/[A-Z0-9_]+$`));
    }
    // Every string value, except references to the template's own logical ids (hash-suffixed names).
    const ids = new Set([...Object.keys(resources(t)), ...Object.keys((t.Parameters as Json) ?? {})]);
    const strings: string[] = [];
    JSON.parse(JSON.stringify(t), (_k, v) => (typeof v === "string" && strings.push(v), v));
    for (const s of strings) {
      for (const piece of s.split(/[\s"'`,;:=()[\]{}/.]+/)) if (!ids.has(piece)) expect(secretShape(piece), piece).toBeUndefined();
    }
    // No secret's variable is in a plain environment: they come only through `secrets`.
    const secretEnv = new Set(c.d!.secrets.map((s) => s.env));
    for (const [, td] of ofType(t, "AWS::ECS::TaskDefinition")) {
      for (const cd of (td.Properties.ContainerDefinitions as Json[]) ?? []) {
        for (const e of asArray(cd.Environment as Json[])) expect(secretEnv.has(String(e.Name)), String(e.Name)).toBe(false);
      }
    }
  });

  it("gives each execution role exactly its own gateway's secrets, and each task role only its own access points", () => {
    const t = c.res!.template;
    const byId = gatewayResources(t, c.d!);
    const secretNames = new Map(ofType(t, "AWS::SecretsManager::Secret").map(([id, r]) => [id, String(r.Properties.Name)]));
    const apRoots = new Map(ofType(t, "AWS::EFS::AccessPoint").map(([id, r]) => [id, String((r.Properties.RootDirectory as Json).Path)]));
    for (const g of c.d!.gateways) {
      const ids = byId.get(g.id)!;
      const readable = new Set<string>();
      for (const st of statementsOf(t, ids.exec)) {
        if (!asArray(st.Action as string[]).some((a) => a.startsWith("secretsmanager:"))) continue;
        for (const r of asArray(st.Resource)) {
          const ref = refOf(r);
          expect(ref && secretNames.has(ref), `${g.id}: ${JSON.stringify(r)}`).toBe(true);
          readable.add(secretNames.get(ref!)!);
        }
      }
      expect([...readable].sort(), g.id).toEqual(Object.values(g.secrets).sort());
      // The task role: only mount (and write) its own access points.
      const mine = new Set(g.mounts.map((m) => c.d!.accessPoints.find((a) => a.id === m.accessPoint)!.rootDirectory));
      const taskStatements = statementsOf(t, ids.task);
      for (const st of taskStatements) {
        for (const a of asArray(st.Action as string[])) expect(["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]).toContain(a);
        const aps = refsIn(((st.Condition as Json).StringEquals as Json)["elasticfilesystem:AccessPointArn"]).filter((r) => apRoots.has(r));
        expect(aps, JSON.stringify(st.Condition)).toHaveLength(1);
        expect(mine.has(apRoots.get(aps[0]!)!), `${g.id} may mount ${apRoots.get(aps[0]!)}`).toBe(true);
      }
      expect(taskStatements.length).toBe(g.mounts.length);
      // No managed policy unless the spec names one (ecs.taskRolePolicies).
      expect(resources(t)[ids.task]!.Properties.ManagedPolicyArns, g.id).toBeUndefined();
    }
  });

  it("opens port 18789 from a to b if and only if the spec links a to b", () => {
    const t = c.res!.template;
    const byId = gatewayResources(t, c.d!);
    const sgOwner = new Map([...byId].map(([id, r]) => [r.sg, id]));
    const open = new Set<string>();
    for (const [, r] of ofType(t, "AWS::EC2::SecurityGroupIngress")) {
      const to = sgOwner.get(refOf(r.Properties.GroupId)!);
      if (!to) continue;
      const from = sgOwner.get(refOf(r.Properties.SourceSecurityGroupId)!);
      expect(from, `ingress into ${to} from a non-gateway`).toBeDefined();
      expect([r.Properties.FromPort, r.Properties.ToPort]).toEqual([18789, 18789]);
      open.add(`${from}>${to}`);
    }
    for (const [sgId, id] of sgOwner) {
      // No CIDR ingress at all on a gateway's security group.
      expect(asArray(resources(t)[sgId]!.Properties.SecurityGroupIngress), id).toEqual([]);
    }
    const ids = c.d!.gateways.map((g) => g.id);
    for (const a of ids) {
      for (const b of ids) {
        if (a === b) continue;
        const linked = c.fed!.routes.some((r) => r.from === a && r.to === b);
        expect(open.has(`${a}>${b}`), `${a} -> ${b}`).toBe(linked);
      }
    }
  });

  it("passes cdk-nag's AwsSolutions pack: no unacknowledged finding", () => {
    expect(c.res!.findings.filter((f) => f.level === "error")).toEqual([]);
    expect(c.res!.findings).toEqual([]);
  });

  it("acknowledges only with a reason", () => {
    const stack = c.res!.stack as IConstruct;
    const acks = stack.node
      .findAll()
      .flatMap((n) => n.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => ({ path: n.node.path, data: m.data as unknown })));
    expect(acks.length).toBeGreaterThan(0);
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) {
      // { ruleId: reason }: clawfed's own (AwsSolutions-*, E1029) and CDK's built-in ones.
      for (const [rule, reason] of Object.entries(a.data as Record<string, unknown>)) expect(String(reason), `${a.path} ${rule}`).toMatch(/\w{3,}.{40,}/);
    }
    const ours = acks.flatMap((a) => Object.keys(a.data as Json));
    expect(new Set(ours)).toEqual(new Set(["CloudFormation-Validate::W3010", "CloudFormation-Validate::F3002", "CloudFormation-Validate::F3003", "Annotation::AwsSolutions-ECS2", "Annotation::AwsSolutions-SMG4", "CloudFormation-Validate::E1029"]));
  });
});

it("attaches the task role policies a spec asks for, and only to that gateway", async () => {
  const text = `name: pol
gateways:
  hub:
    role: hub
    port: 18789
    description: The hub.
    model: anthropic/claude-sonnet-4-6
    ecs:
      taskRolePolicies: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess, arn:aws:iam::123456789012:policy/reports-read]
  spoke:
    port: 18909
    description: A spoke.
    model: anthropic/claude-sonnet-4-6
links:
  - { from: hub, to: spoke }
`;
  const { loadSpecText } = await import("../../src/federation/load.js");
  const fed = (await loadSpecText(text, "pol.yaml", { target: "ecs" })).federation;
  const d = describeEcs(fed, "h");
  const res = await synthEcs(d, { nag: true, validate: false });
  const byId = gatewayResources(res.template, d);
  const arns = resources(res.template)[byId.get("hub")!.task]!.Properties.ManagedPolicyArns;
  expect(arns).toEqual(["arn:aws:iam::123456789012:policy/reports-read", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]);
  expect(resources(res.template)[byId.get("spoke")!.task]!.Properties.ManagedPolicyArns).toBeUndefined();
  expect(res.findings).toEqual([]);
  const { SpecError } = await import("../../src/errors.js");
  await expect(loadSpecText(text.replace("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "AdministratorAccess"), "pol.yaml", { target: "ecs" })).rejects.toBeInstanceOf(SpecError);
}, 60_000);

it("uses an existing VPC and knowledge file system by their ids, with no lookup", async () => {
  const { loadSpecText } = await import("../../src/federation/load.js");
  const text = (await readFile("federations/korax.yaml", "utf8")).replace(
    "\ngateways:\n",
    `\necs:
  vpc: { id: vpc-0123456789abcdef0, availabilityZones: [eu-west-1a, eu-west-1b], privateSubnets: [subnet-0aaaaaaaaaaaaaaa1, subnet-0bbbbbbbbbbbbbbb2] }
  knowledgeFileSystem: { id: fs-0123456789abcdef0, securityGroup: sg-0123456789abcdef0 }
gateways:\n`,
  );
  const fed = (await loadSpecText(text, "korax.yaml", { target: "ecs" })).federation;
  const d = describeEcs(fed, "h");
  const res = await synthEcs(d, { nag: true, validate: false });
  const t = res.template;
  expect(res.findings).toEqual([]);
  expect(ofType(t, "AWS::EC2::VPC")).toEqual([]);
  expect(ofType(t, "AWS::EC2::NatGateway")).toEqual([]);
  for (const [, svc] of ofType(t, "AWS::ECS::Service")) {
    expect(((svc.Properties.NetworkConfiguration as Json).AwsvpcConfiguration as Json).Subnets).toEqual(["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]);
  }
  expect(ofType(t, "AWS::EFS::MountTarget").map(([, r]) => r.Properties.SubnetId).sort()).toEqual(["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]);
  for (const [, ap] of ofType(t, "AWS::EFS::AccessPoint")) {
    const knowledge = String((ap.Properties.RootDirectory as Json).Path).includes("--knowledge/");
    if (knowledge) expect(ap.Properties.FileSystemId).toBe("fs-0123456789abcdef0");
    else expect(refOf(ap.Properties.FileSystemId)).toBeDefined();
  }
  // NFS into the existing file system's security group, from exactly the gateways that read knowledge.
  const byId = gatewayResources(t, d);
  const sgOwner = new Map([...byId].map(([id, r]) => [r.sg, id]));
  const nfs = ofType(t, "AWS::EC2::SecurityGroupIngress").filter(([, r]) => r.Properties.GroupId === "sg-0123456789abcdef0");
  expect(nfs.map(([, r]) => [sgOwner.get(refOf(r.Properties.SourceSecurityGroupId)!), r.Properties.FromPort]).sort()).toEqual([
    ["goreos", 2049],
    ["korax", 2049],
    ["medico", 2049],
  ]);
  // Refused: an existing file system without the VPC it lives in, and subnets that do not match the zones.
  const { SpecError } = await import("../../src/errors.js");
  const noVpc = text.replace(/\n  vpc: [^\n]*/, "");
  const e1 = await loadSpecText(noVpc, "korax.yaml", { target: "ecs" }).catch((e: unknown) => e);
  expect((e1 as InstanceType<typeof SpecError>).issues.map((i) => i.path)).toContain("ecs.knowledgeFileSystem");
  const e2 = await loadSpecText(text.replace(", subnet-0bbbbbbbbbbbbbbb2", ""), "korax.yaml", { target: "ecs" }).catch((e: unknown) => e);
  expect((e2 as InstanceType<typeof SpecError>).issues.map((i) => i.path)).toContain("ecs.vpc.privateSubnets");
}, 60_000);

it("every acknowledge() call in the app's code carries a reason", async () => {
  const text = await readFile("templates/ecs/lib/nag.ts", "utf8");
  const calls = text.split("acknowledge({").slice(1);
  expect(calls.length).toBeGreaterThan(0);
  for (const c of calls) expect(c.slice(0, c.indexOf("});"))).toMatch(/reason:\s*(\w+\s*\?\s*)?["`]/);
});
