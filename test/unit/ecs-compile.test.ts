// The ecs target without CDK: what compileEcs writes, the rules it adds, Fargate sizes, names,
// which gateway reads which secret, and the pinned versions of the generated app.
import { readFile } from "node:fs/promises";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadSpecFile, loadSpecText } from "../../src/federation/load.js";
import { compile } from "../../src/targets/registry.js";
import { SpecError } from "../../src/errors.js";
import { ECS_APP_SOURCES, ECS_APP_VERSIONS } from "../../src/targets/ecs/index.js";
import { describeEcs } from "../../src/targets/ecs/describe.js";
import type { EcsFederationDescription as Ours } from "../../src/targets/ecs/description.js";
import type { EcsFederationDescription as Apps } from "../../templates/ecs/lib/description.js";
import { fargatePairs, fargateSize, memoryMiB } from "../../src/targets/ecs/fargate.js";
import { accessPointId, knowledgeRoot, mailboxRoot, secretName, stateRoot, taskFamily } from "../../src/targets/ecs/names.js";
import { secretShape } from "../../src/federation/schema.js";
import { fitsFargate } from "../../src/federation/ecs-rules.js";

const korax = async () => (await loadSpecFile("federations/korax.yaml", { target: "ecs" })).federation;

// Type-level: the app reads exactly the shape clawfed writes (both directions assignable).
const toApp = (d: Ours): Apps => d;
const toOurs = (d: Apps): Ours => d;

describe("compileEcs", () => {
  it("writes the CDK app, its federation.json, and no .env slot", async () => {
    const res = compile(await korax(), "ecs");
    const paths = res.artifacts.map((a) => a.path).sort();
    expect(paths).toEqual(["README.md", "cdk.json", "federation.json", "package.json", "tsconfig.json", ...ECS_APP_SOURCES].sort());
    expect(res.env).toEqual([]);
    const d = JSON.parse(res.artifacts.find((a) => a.path === "federation.json")!.kind === "file" ? (res.artifacts.find((a) => a.path === "federation.json") as { content: string }).content : "");
    expect(toOurs(toApp(d)).gateways.map((g) => g.id)).toEqual(["goreos", "korax", "medico"]);
    const cdkJson = JSON.parse((res.artifacts.find((a) => a.path === "cdk.json") as { content: string }).content);
    expect(cdkJson.app).toBe("node --import tsx bin/app.ts");
  });

  it("ships the app's description type as an exact copy of clawfed's", async () => {
    expect(await readFile("templates/ecs/lib/description.ts", "utf8")).toBe(await readFile("src/targets/ecs/description.ts", "utf8"));
  });

  it("pins in the generated package.json the versions clawfed itself tests with", async () => {
    const pkg = JSON.parse(await readFile("package.json", "utf8")) as { devDependencies: Record<string, string>; dependencies: Record<string, string> };
    for (const name of ["aws-cdk-lib", "constructs", "cdk-nag", "aws-cdk", "tsx"] as const) {
      expect(pkg.devDependencies[name], name).toBe(ECS_APP_VERSIONS[name]);
      // Never a runtime dependency of the CLI.
      expect(pkg.dependencies[name], name).toBeUndefined();
    }
    expect(ECS_APP_VERSIONS["aws-cdk-lib"]).toMatch(/^2\./);
  });

  it("compiles byte-identically twice", async () => {
    const a = compile(await korax(), "ecs").artifacts;
    const b = compile(await korax(), "ecs").artifacts;
    expect(b).toEqual(a);
  });
});

describe("secrets", () => {
  it("each gateway reads only its own secrets: its tokens, the link tokens it uses, its own copy of user secrets", async () => {
    const fed = await korax();
    const d = describeEcs(fed, "h");
    for (const g of d.gateways) {
      for (const name of Object.values(g.secrets)) {
        const s = d.secrets.find((x) => x.name === name)!;
        expect(s.readers).toContain(g.id);
        if (!s.generated) expect(s.name).toBe(secretName("korax", g.id, s.env));
      }
    }
    expect(d.gateways.find((g) => g.id === "goreos")!.secrets).toEqual({
      A2A_GOREOS__KORAX_TOKEN: "/openclaw/korax/korax/A2A_GOREOS__KORAX_TOKEN",
      A2A_KORAX__GOREOS_TOKEN: "/openclaw/korax/goreos/A2A_KORAX__GOREOS_TOKEN",
      ANTHROPIC_API_KEY: "/openclaw/korax/goreos/ANTHROPIC_API_KEY",
      GOREOS_GATEWAY_TOKEN: "/openclaw/korax/goreos/GOREOS_GATEWAY_TOKEN",
      GOREOS_HOOKS_TOKEN: "/openclaw/korax/goreos/GOREOS_HOOKS_TOKEN",
      // The token of the host operator's A2A peer (`clawfed ask`, issue 11): goreos's own.
      GOREOS_OPERATOR_TOKEN: "/openclaw/korax/goreos/GOREOS_OPERATOR_TOKEN",
      // The link korax <-> goreos carries hooks both ways: goreos may call korax's /hooks.
      KORAX_HOOKS_TOKEN: "/openclaw/korax/korax/KORAX_HOOKS_TOKEN",
    });
    // Spokes never read each other's secrets.
    expect(Object.values(d.gateways.find((g) => g.id === "goreos")!.secrets).some((n) => n.includes("/medico/"))).toBe(false);
  });

  it("puts no value that looks like a secret anywhere in federation.json", async () => {
    const res = compile(await korax(), "ecs");
    const text = (res.artifacts.find((a) => a.path === "federation.json") as { content: string }).content;
    const strings: string[] = [];
    JSON.parse(text, (_k, v) => (typeof v === "string" && strings.push(v), v));
    for (const s of strings) for (const piece of s.split(/[\s"'`,;:=()[\]{}/]+/)) expect(secretShape(piece), piece).toBeUndefined();
  });
});

describe("ecs rules", () => {
  const spec = (sandbox: string, ecs = "") => `name: fed
gateways:
  one:
    role: hub
    port: 18789
    description: One.
    model: anthropic/claude-sonnet-4-6
    sandbox: { mode: ${sandbox} }
${ecs}
`;
  it.each(["all", "non-main"])("refuses sandbox mode %s on --target ecs, naming the alternative, with its place", async (mode) => {
    const err = await loadSpecText(spec(mode), "fed.yaml", { target: "ecs" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpecError);
    const issue = (err as SpecError).issues.find((i) => i.path === "gateways.one.sandbox.mode")!;
    expect(issue.message).toContain("Docker socket");
    expect(issue.hint).toContain("ecs: { sandbox: off }");
    expect(issue.hint).toContain("--target compose");
    expect(issue.line).toBeGreaterThan(0);
    // The same spec is fine for compose.
    await expect(loadSpecText(spec(mode), "fed.yaml", { target: "compose" })).resolves.toBeDefined();
  });

  it("accepts it with ecs.sandbox: off, and the generated config has no sandbox", async () => {
    const loaded = await loadSpecText(spec("all", '    ecs: { sandbox: "off" }'), "fed.yaml", { target: "ecs" });
    const d = describeEcs(loaded.federation, "h");
    const config = JSON.parse(JSON.parse(d.gateways[0]!.environment.CLAWFED_FILES!)["/tmp/clawfed/openclaw.json"].replace(/^\/\/.*\n/, ""));
    expect(config.agents.defaults.sandbox).toBeUndefined();
  });

  it("refuses resources larger than any Fargate task", async () => {
    const text = spec("off").replace("    sandbox: { mode: off }", "    resources: { cpus: 32, memory: 64g }");
    const err = await loadSpecText(text, "fed.yaml", { target: "ecs" }).catch((e: unknown) => e);
    expect((err as SpecError).issues.map((i) => i.path)).toContain("gateways.one.resources");
  });
});

describe("Fargate sizes", () => {
  it("rounds up to the smallest valid pair that holds both (property)", () => {
    const pairs = fargatePairs();
    fc.assert(
      fc.property(fc.double({ min: 0.25, max: 20, noNaN: true }), fc.integer({ min: 512, max: 140000 }), (cpus, mib) => {
        const got = fargateSize(cpus, `${mib}m`);
        // The spec rule (federation layer) and the target agree on what fits.
        expect(fitsFargate(cpus, `${mib}m`)).toBe(got !== undefined);
        if (!got) return;
        expect(pairs).toContainEqual(got);
        expect(got.cpu).toBeGreaterThanOrEqual(Math.ceil(cpus * 1024));
        expect(got.memoryMiB).toBeGreaterThanOrEqual(mib);
        // Minimal: no valid pair that also holds both comes earlier.
        const first = pairs.find((p) => p.cpu >= Math.ceil(cpus * 1024) && p.memoryMiB >= mib);
        expect(got).toEqual(first);
      }),
    );
    expect(fargateSize(2, "2g")).toEqual({ cpu: 2048, memoryMiB: 4096 });
    expect(fargateSize(0.25, "512m")).toEqual({ cpu: 256, memoryMiB: 512 });
    expect(fargateSize(17, "2g")).toBeUndefined();
    expect(memoryMiB("1.5g")).toBe(1536);
  });
});

describe("names", () => {
  const id = fc.stringMatching(/^[a-z0-9]{1,6}(?:-[a-z0-9]{1,6}){0,2}$/);
  it("access point roots and ids never collide, whatever the ids (property)", () => {
    fc.assert(
      fc.property(id, fc.uniqueArray(id, { minLength: 1, maxLength: 5 }), (fed, ids) => {
        const roots: string[] = [];
        const apIds: string[] = [];
        for (const a of ids) {
          roots.push(stateRoot(fed, a), knowledgeRoot(fed, a));
          apIds.push(accessPointId.state(a), accessPointId.knowledge(a));
          for (const b of ids) if (a !== b) (roots.push(mailboxRoot(fed, a, b)), apIds.push(accessPointId.mailbox(a, b)));
        }
        expect(new Set(roots).size).toBe(roots.length);
        expect(new Set(apIds).size).toBe(apIds.length);
        // No root lies inside another one (a gateway's tree holds only its own state).
        for (const r of roots) for (const s of roots) if (r !== s) expect(s.startsWith(`${r}/`)).toBe(false);
      }),
    );
    expect(taskFamily("korax", "goreos")).toBe("clawfed-korax--goreos");
  });
});

describe("optional dependencies", () => {
  it("a missing CDK package is a RuntimeError that says how to install it", async () => {
    const { loadOptional } = await import("../../src/targets/ecs/synth.js");
    const { RuntimeError } = await import("../../src/errors.js");
    const err = await loadOptional("aws-cdk-lib-not-installed-here").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toContain("aws-cdk-lib-not-installed-here");
    expect((err as Error).message).toContain("npm install --save-dev aws-cdk-lib@2");
  });

  it("the CLI never loads aws-cdk-lib: compile, generate and run-task stay free of it", async () => {
    const sources = await Promise.all(["src/targets/ecs/index.ts", "src/targets/ecs/describe.ts", "src/targets/ecs/run-task.ts", "src/cli/commands/ecs.ts"].map((f) => readFile(f, "utf8")));
    for (const s of sources) expect(s).not.toMatch(/from "(aws-cdk-lib|cdk-nag|constructs)/);
  });
});

describe("generate --target ecs", () => {
  it("refuses --rotate (Secrets Manager keeps the tokens), writing nothing", async () => {
    const { generate } = await import("../../src/ops/generate.js");
    const { UsageError } = await import("../../src/errors.js");
    const err = await generate({ spec: "federations/korax.yaml", target: "ecs", rotate: "all", outDir: "/nonexistent/never-written" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain("Secrets Manager");
  });
});
