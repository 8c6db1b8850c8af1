// clawfed add / remove without Docker: the spec edits (yaml Document API) as properties over any
// valid spec, nextPort, the .env `forget` option, and the use cases with an in-memory engine and a
// fake compose: a refused add writes nothing, a failed step rolls everything back byte for byte,
// the hub cannot be removed. Real containers and gateways: test/e2e/members.test.ts.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import fc from "fast-check";
import { parse as parseDotenv } from "dotenv";
import { Document, parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { addGatewayText, linkedGatewaysText, nextPort, removeGatewayText } from "../../src/federation/spec-edit.js";
import { loadSpecText } from "../../src/federation/load.js";
import { SpecError, UsageError } from "../../src/errors.js";
import { renderEnv } from "../../src/emit/env-file.js";
import { generate } from "../../src/ops/generate.js";
import { applyAdd, planAdd } from "../../src/ops/add.js";
import { planRemove } from "../../src/ops/remove.js";
import type { ClawfedDeps } from "../../src/ops/deps.js";
import { egressNetwork, linkNetwork, projectResource, serviceName } from "../../src/vocabulary/names.js";
import { federationArb, gatewayIdArb, type SpecShape } from "../helpers/spec-arb.js";
import { MemoryEngine } from "../helpers/memory-engine.js";
import { fakeCompose } from "../helpers/fake-compose.js";
import { tempDir } from "../helpers/tmp.js";

/** The spec as YAML with a comment on every gateway, every link and the document: `# c:<owner>:<n>`. */
function commented(shape: SpecShape): { text: string; comments: Map<string, string> } {
  const doc = new Document(shape);
  const comments = new Map<string, string>();
  let n = 0;
  const tag = (owner: string) => {
    const c = ` c:${owner}:${n++}`;
    comments.set(c, owner);
    return c;
  };
  doc.commentBefore = tag("doc");
  const gws = doc.get("gateways", true) as import("yaml").YAMLMap;
  for (const p of gws.items) {
    const id = String((p.key as { value: unknown }).value);
    (p.key as { commentBefore?: string }).commentBefore = tag(id);
    (p.value as { comment?: string }).comment = undefined;
  }
  const links = doc.get("links", true) as import("yaml").YAMLSeq;
  links.items.forEach((l, i) => ((l as { commentBefore?: string }).commentBefore = tag(`link${i}`)));
  doc.comment = tag("end");
  return { text: doc.toString(), comments };
}

/** Whether `small`'s lines appear in `big` in the same order (only lines were added). */
function isSubsequence(small: string[], big: string[]): boolean {
  let j = 0;
  for (const line of big) if (j < small.length && line === small[j]) j++;
  return j === small.length;
}

describe("spec edits keep the user's text", () => {
  it("property: adding a gateway to any valid spec gives a spec that loads, has it linked, and keeps every original line (comments, order) in place", async () => {
    await fc.assert(
      fc.asyncProperty(federationArb, gatewayIdArb, fc.nat(), async (shape, id, pick) => {
        fc.pre(!(id in shape.gateways));
        const { text } = commented(shape);
        const ids = Object.keys(shape.gateways);
        const link = ids[pick % ids.length]!;
        const port = nextPort(Object.values(shape.gateways).map((g) => g.port as number))!;
        const edited = addGatewayText(text, { id, role: "spoke", port, description: `gateway ${id}`, model: "anthropic/claude-sonnet-4-6", links: [link] });
        const loaded = await loadSpecText(edited, "edited.yaml");
        expect(loaded.federation.gateways.map((g) => g.id).sort()).toEqual([...ids, id].sort());
        expect(loaded.federation.routes.some((r) => r.from === link && r.to === id)).toBe(true);
        // Every line stays, except an empty `links: []`, which now has items.
        expect(isSubsequence(text.split("\n").filter((l) => l !== "links: []"), edited.split("\n"))).toBe(true);
        expect(linkedGatewaysText(edited, id)).toEqual([link]);
        // remove undoes add, byte for byte (an emptied link list is written `links: []` again).
        expect(removeGatewayText(edited, id)).toBe(text);
      }),
      { numRuns: 60 },
    );
  });

  it("property: removing any gateway gives a spec that loads, without it or its links, keeping every comment that is not its own", async () => {
    await fc.assert(
      fc.asyncProperty(federationArb.filter((s) => Object.keys(s.gateways).length > 2), fc.nat(), async (shape, pick) => {
        const { text, comments } = commented(shape);
        const ids = Object.keys(shape.gateways);
        const id = ids[pick % ids.length]!;
        const edited = removeGatewayText(text, id);
        const loaded = await loadSpecText(edited, "edited.yaml");
        expect(loaded.federation.gateways.map((g) => g.id).sort()).toEqual(ids.filter((g) => g !== id).sort());
        expect(loaded.federation.routes.filter((r) => r.from === id || r.to === id)).toEqual([]);
        const goneLinks = new Set(shape.links.map((l, i) => (l.from === id || l.to === id ? `link${i}` : "")).filter(Boolean));
        for (const [c, owner] of comments) {
          if (owner === id || goneLinks.has(owner)) continue;
          expect(edited, `comment ${c}`).toContain(`#${c}`);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("korax: add inserts lines only, copies the linked gateway's model as written, and only its models' provider keys", async () => {
    const text = await readFile("federations/korax.yaml", "utf8");
    const plan = await planAdd("federations/korax.yaml", "legal", { links: ["korax"], port: 19149, outDir: await tempDir("add-korax") });
    expect(plan.after).not.toBe(text);
    expect(isSubsequence(text.split("\n"), plan.after.split("\n"))).toBe(true);
    const legal = (parseYaml(plan.after) as { gateways: Record<string, Record<string, unknown>> }).gateways.legal!;
    expect(legal).toMatchObject({ role: "spoke", port: 19149, model: { primary: "anthropic/claude-sonnet-4-6", fallbacks: ["openai/gpt-5.4-mini"] } });
    expect(plan.after).toContain("      fallbacks: [openai/gpt-5.4-mini]\n    secrets: [ANTHROPIC_API_KEY, OPENAI_API_KEY]\n\nlinks:");
    expect(plan.steps.map((s) => s.kind)).toEqual(["write-spec", "generate", "start", "recreate"]);
    expect(removeGatewayText(plan.after, "legal")).toBe(text);
    expect(plan.newTokens.sort()).toEqual(["A2A_KORAX__LEGAL_TOKEN", "A2A_LEGAL__KORAX_TOKEN", "LEGAL_GATEWAY_TOKEN", "LEGAL_OPERATOR_TOKEN"]);
  });

  it("edits refuse an existing id and an unknown link, naming them", () => {
    const text = "name: x\ngateways:\n  a: { role: hub, port: 20000, description: A, model: anthropic/claude-sonnet-4-6 }\n";
    expect(() => addGatewayText(text, { id: "a", role: "spoke", port: 1, description: "d", links: ["a"] })).toThrow(/"a" is already a gateway/);
    expect(() => addGatewayText(text, { id: "b", role: "spoke", port: 1, description: "d", links: ["zz"] })).toThrow(/"zz"/);
    expect(() => removeGatewayText(text, "zz")).toThrow(SpecError);
    // No links list yet: one is created.
    const added = addGatewayText(text, { id: "b", role: "spoke", port: 20120, description: "B", links: ["a"] });
    expect(parseYaml(added).links).toEqual([{ from: "a", to: "b" }]);
  });
});

describe("nextPort", () => {
  it("continues the spacing of the spec's ports, skips taken ones, and gives up past 65535", () => {
    expect(nextPort([18789, 18909, 19029])).toBe(19149);
    expect(nextPort([19029, 18789, 18909], (p) => p === 19149)).toBe(19269);
    expect(nextPort([20000])).toBe(20120);
    expect(nextPort([20000, 20200, 20300])).toBe(20400);
    expect(nextPort([65500, 65530])).toBeUndefined();
  });
  it("property: the port is above every spec port, never taken, and ≤ 65535", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1024, max: 60000 }), { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1024, max: 65535 })), (ports, taken) => {
        const p = nextPort(ports, (q) => taken.includes(q));
        if (p === undefined) return;
        expect(p).toBeGreaterThan(Math.max(...ports));
        expect(taken).not.toContain(p);
        expect(p).toBeLessThanOrEqual(65535);
      }),
    );
  });
});

it(".env: forget drops the named unused variables and keeps every other one", async () => {
  const res = await renderEnv([], { OLD_TOKEN: "x", USER_THING: "y" }, { specFile: "s.yaml", forget: ["OLD_TOKEN"] });
  expect(parseDotenv(res.text)).toEqual({ USER_THING: "y" });
});

const SPEC = `# the hub and two spokes
name: cfmem
gateways:
  hub: { role: hub, port: 28250, description: Hub., model: anthropic/claude-sonnet-4-6 }
  alpha: { port: 28400, description: Alpha., model: anthropic/claude-sonnet-4-6 }  # first spoke
links:
  - { from: hub, to: alpha }
`;

function deps(eng: MemoryEngine, failService?: string): { deps: ClawfedDeps; calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    deps: {
      engine: eng,
      get: eng.get,
      clock: eng.clock,
      wallNow: () => Date.UTC(2026, 11, 1),
      compose: async (_p, args) => (calls.push(args), args.includes(failService ?? "\0") ? { code: 1, stdout: "", stderr: "no such image" } : { code: 0, stdout: "", stderr: "" }),
      configHash: async () => undefined,
    },
  };
}

describe("add and remove use cases (in-memory engine, fake compose)", () => {
  it("a refused add (port taken by another gateway) writes nothing: the spec stays byte-identical", async () => {
    const dir = await tempDir("add-refused");
    const spec = path.join(dir, "cfmem.yaml");
    await writeFile(spec, SPEC);
    const err = await planAdd(spec, "beta", { links: ["hub"], port: 28400, outDir: path.join(dir, "out") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpecError);
    expect(String((err as Error).message)).toMatch(/gateways\.beta\.port: 28400 is already used by alpha/);
    expect(await readFile(spec, "utf8")).toBe(SPEC);
    await expect(planAdd(spec, "alpha", { links: ["hub"], outDir: path.join(dir, "out") })).rejects.toThrow(UsageError);
    await expect(planAdd(spec, "beta", { links: ["nope"], outDir: path.join(dir, "out") })).rejects.toThrow(UsageError);
  });

  it("a new gateway that cannot start is rolled back: spec and .env byte-identical, its networks removed, the hub recreated from the previous files", async () => {
    const dir = await tempDir("add-rollback");
    const spec = path.join(dir, "cfmem.yaml");
    const out = path.join(dir, "out");
    await writeFile(spec, SPEC);
    await generate({ spec, outDir: out, image: "img:a" });
    const envBefore = await readFile(path.join(out, ".env"), "utf8");
    const composeBefore = await readFile(path.join(out, "docker-compose.yml"), "utf8");
    const eng = new MemoryEngine();
    eng.addImage("img:a");
    const calls: string[][] = [];
    const compose = fakeCompose(eng, out, "cfmem", { calls, fail: (s) => s === serviceName("beta") });
    await compose({ dir: out, name: "cfmem" }, ["up", "-d", "--no-deps", serviceName("hub"), serviceName("alpha")]);
    calls.length = 0;
    const d: ClawfedDeps = { ...deps(eng).deps, compose };
    const plan = await planAdd(spec, "beta", { links: ["hub"], port: "auto", outDir: out });
    expect(plan.gateway.port).toBe(28550);
    const res = await applyAdd(plan, d);
    expect(res.ok).toBe(false);
    expect(res.rolledBack).toMatchObject({ step: { kind: "start", id: "beta" }, problems: [] });
    expect(await readFile(spec, "utf8")).toBe(SPEC);
    expect(await readFile(path.join(out, ".env"), "utf8")).toBe(envBefore);
    expect(await readFile(path.join(out, "docker-compose.yml"), "utf8")).toBe(composeBefore);
    // One compose call for beta and the hub (it failed), then the hub from the previous files (a no-op for compose: its container is current).
    expect(calls).toEqual([
      ["up", "-d", "--no-deps", serviceName("beta"), serviceName("hub")],
      ["up", "-d", "--no-deps", serviceName("hub")],
    ]);
    expect(eng.calls.filter((c) => c.startsWith("network rm")).sort()).toEqual([egressNetwork("beta"), linkNetwork("hub", "beta")].map((n) => `network rm ${projectResource("cfmem", n)}`).sort());
    expect(eng.calls.filter((c) => c.startsWith("compose create"))).toEqual(["compose create hub", "compose create alpha"]);
  });

  it("remove refuses the hub and an unknown id (usage errors), and plans the spoke's tokens and folders", async () => {
    const dir = await tempDir("remove-plan");
    const spec = path.join(dir, "cfmem.yaml");
    await writeFile(spec, SPEC);
    await expect(planRemove(spec, "hub", { outDir: path.join(dir, "out") })).rejects.toThrow(/hub .* does not remove the hub/);
    await expect(planRemove(spec, "nope", { outDir: path.join(dir, "out") })).rejects.toThrow(UsageError);
    const plan = await planRemove(spec, "alpha", { outDir: path.join(dir, "out") });
    expect(plan.gateway.linked).toEqual(["hub"]);
    expect(plan.goneTokens.sort()).toEqual(["A2A_ALPHA__HUB_TOKEN", "A2A_HUB__ALPHA_TOKEN", "ALPHA_GATEWAY_TOKEN", "ALPHA_OPERATOR_TOKEN"]);
    expect(plan.after).toContain("# the hub and two spokes");
    expect(plan.after).not.toContain("alpha");
    // Flow maps keep their padding, and remove of what add wrote gives the text back.
    const added = addGatewayText(SPEC, { id: "beta", role: "spoke", port: 28550, description: "Beta.", links: ["hub"] });
    expect(added).toContain("  - { from: hub, to: alpha }\n  - { from: hub, to: beta }\n");
    expect(added).toContain("  hub: { role: hub, port: 28250, description: Hub., model: anthropic/claude-sonnet-4-6 }\n");
    expect(removeGatewayText(added, "beta")).toBe(SPEC);
  });
});
