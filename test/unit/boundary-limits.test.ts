// Issue 9, class 8 (spec side): resource limits that would silently remove a limit or cannot run
// a gateway are refused with a reason, and free text has a length cap, said in the message and in
// the JSON Schema, so a spec cannot amplify into huge generated files.
import fc from "fast-check";
import { stringify as stringifyYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/targets/registry.js";
import { SpecError } from "../../src/errors.js";
import { loadSpecText } from "../../src/federation/load.js";
import {
  AGENT_NAME_MAX,
  FEDERATION_DESCRIPTION_MAX,
  GATEWAY_DESCRIPTION_MAX,
  KNOWLEDGE_DESCRIPTION_MAX,
  MAX_MEMORY_MIB,
  MIN_CPUS,
  MIN_MEMORY_MIB,
  memoryProblem,
  specJsonSchema,
} from "../../src/federation/schema.js";

function spec(over: { resources?: Record<string, unknown>; gateway?: string; knowledge?: string; federation?: string; agentName?: string } = {}) {
  return {
    name: "limits",
    ...(over.federation !== undefined ? { description: over.federation } : {}),
    knowledge: { docs: { path: "/srv/docs", ...(over.knowledge !== undefined ? { description: over.knowledge } : {}) } },
    gateways: {
      hub: {
        role: "hub",
        port: 18789,
        description: over.gateway ?? "The hub.",
        model: "anthropic/claude-sonnet-4-6",
        knowledge: ["docs"],
        ...(over.resources ? { resources: over.resources } : {}),
        ...(over.agentName !== undefined ? { agent: { name: over.agentName } } : {}),
      },
    },
  };
}

const load = (s: object) => loadSpecText(stringifyYaml(s), "federations/limits.yaml");

async function issuesOf(s: object): Promise<Array<{ path: string; message: string; hint?: string; line: number }>> {
  const err = await load(s).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "the spec is refused").toBeInstanceOf(SpecError);
  return (err as SpecError).issues;
}

/** compose's mem_limit syntax in bytes (docker/go-units RAMInBytes, the units clawfed allows). */
function bytes(size: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg])$/i.exec(size)!;
  return Number(m[1]) * 1024 ** { k: 1, m: 2, g: 3 }[m[2]!.toLowerCase() as "k" | "m" | "g"];
}

describe("memory", () => {
  it.each([
    [0, /0 would remove the memory limit/],
    ["0", /a size like 2g or 1536m/],
    ["0m", /would remove the memory limit/],
    ["0g", /would remove the memory limit/],
    ["0.0g", /would remove the memory limit/],
    ["0k", /would remove the memory limit/],
    ["1k", /below the minimum of 512m.*Docker itself refuses limits under 6m/],
    ["5m", /below the minimum of 512m.*Docker itself refuses/],
    ["6m", /below the minimum of 512m/],
    ["511m", /below the minimum of 512m/],
    ["0.4g", /below the minimum of 512m/],
    [2048, /with a unit/],
    ["2 g", /a size like 2g/],
    ["-1g", /a size like 2g/],
    ["2000g", /more than 1 TiB/],
    ["99999999999999999g", /more than 1 TiB/],
  ])("memory: %j is refused (%s)", async (memory, why) => {
    const issue = (await issuesOf(spec({ resources: { memory } }))).find((i) => i.path === "gateways.hub.resources.memory");
    expect(issue).toBeDefined();
    expect(issue!.message).toMatch(why);
    expect(issue!.line).toBeGreaterThan(0);
  });

  it("the hint of a limit that is too small says what a gateway needs", async () => {
    const [issue] = await issuesOf(spec({ resources: { memory: "0m" } }));
    expect(issue!.hint).toMatch(/about 1 GB.*2g/);
  });

  it.each(["512m", "1g", "1536m", "2g", "2G", "1.5g", "1048576k", "1024g"])("memory: %s is accepted and reaches compose as written", async (memory) => {
    const loaded = await load(spec({ resources: { memory } }));
    const compose = compile(loaded.federation, "compose").artifacts.find((a) => a.path === "docker-compose.yml");
    expect(compose && "content" in compose ? compose.content : "").toContain(`mem_limit: ${memory.toLowerCase()}`);
  });

  it("any size the schema accepts is a real limit between the minimum and 1 TiB", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5_000_000 }), fc.constantFrom("k", "m", "g", "K", "M", "G"), fc.option(fc.integer({ min: 0, max: 99 }), { nil: undefined }), (n, unit, frac) => {
        const size = `${n}${frac === undefined ? "" : `.${frac}`}${unit}`;
        if (memoryProblem(size) !== undefined) return;
        expect(bytes(size)).toBeGreaterThanOrEqual(MIN_MEMORY_MIB * 1024 ** 2);
        expect(bytes(size)).toBeLessThanOrEqual(MAX_MEMORY_MIB * 1024 ** 2);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("cpus and pids", () => {
  it.each([
    [{ cpus: 0 }, "cpus", /at least 0.25 cores.*"no limit"/],
    [{ cpus: 0.01 }, "cpus", /at least 0.25/],
    [{ cpus: 0.2 }, "cpus", /at least 0.25/],
    [{ cpus: -1 }, "cpus", /at least 0.25/],
    [{ cpus: 513 }, "cpus", /512/],
    [{ cpus: Infinity }, "cpus", /number|512/],
    [{ pids: 0 }, "pids", /64/],
    [{ pids: -1 }, "pids", /64/],
    [{ pids: 63 }, "pids", /64/],
    [{ pids: 100.5 }, "pids", /int/],
    [{ pids: 1_000_001 }, "pids", /1000000/],
  ])("%j is refused", async (resources, key, why) => {
    const issue = (await issuesOf(spec({ resources }))).find((i) => i.path === `gateways.hub.resources.${key}`);
    expect(issue).toBeDefined();
    expect(issue!.message).toMatch(why);
  });

  it.each([{ cpus: MIN_CPUS }, { cpus: 0.5 }, { cpus: 512 }, { pids: 64 }, { pids: 1_000_000 }])("%j is accepted", async (resources) => {
    await expect(load(spec({ resources }))).resolves.toBeDefined();
  });
});

describe("free-text length caps", () => {
  const cases = [
    ["gateway description", "gateway", GATEWAY_DESCRIPTION_MAX, "gateways.hub.description"],
    ["knowledge description", "knowledge", KNOWLEDGE_DESCRIPTION_MAX, "knowledge.docs.description"],
    ["federation description", "federation", FEDERATION_DESCRIPTION_MAX, "description"],
    ["agent name", "agentName", AGENT_NAME_MAX, "gateways.hub.agent.name"],
  ] as const;

  it("the caps are the documented ones", () => {
    expect([GATEWAY_DESCRIPTION_MAX, KNOWLEDGE_DESCRIPTION_MAX, FEDERATION_DESCRIPTION_MAX, AGENT_NAME_MAX]).toEqual([500, 500, 1000, 64]);
  });

  for (const [label, key, max, path] of cases) {
    it(`${label}: ${max} characters (code points, not UTF-16 units) are accepted, ${max + 1} refused with the limit in the message`, async () => {
      await expect(load(spec({ [key]: "é".repeat(max - 1) + "🛰" }))).resolves.toBeDefined();
      const issue = (await issuesOf(spec({ [key]: "x".repeat(max + 1) }))).find((i) => i.path === path);
      expect(issue).toBeDefined();
      expect(issue!.message).toContain(`${max + 1} characters long; the limit is ${max}`);
      expect(issue!.hint).toMatch(/shorten it/);
    });
  }

  it("surrounding whitespace does not count (it is trimmed)", async () => {
    await expect(load(spec({ gateway: `  ${"x".repeat(GATEWAY_DESCRIPTION_MAX)}\n` }))).resolves.toBeDefined();
  });

  it("an empty or blank gateway description or agent name is refused", async () => {
    expect((await issuesOf(spec({ gateway: "   " }))).map((i) => i.path)).toContain("gateways.hub.description");
    expect((await issuesOf(spec({ agentName: "" }))).map((i) => i.path)).toContain("gateways.hub.agent.name");
  });

  it("the JSON Schema tells editors the caps (maxLength and the description text)", () => {
    const schema = specJsonSchema() as any;
    const gw = schema.properties.gateways.additionalProperties.properties;
    expect(gw.description).toMatchObject({ maxLength: GATEWAY_DESCRIPTION_MAX });
    expect(gw.description.description).toContain(`at most ${GATEWAY_DESCRIPTION_MAX} characters`);
    expect(gw.agent.properties.name).toMatchObject({ maxLength: AGENT_NAME_MAX });
    expect(schema.properties.description).toMatchObject({ maxLength: FEDERATION_DESCRIPTION_MAX });
    expect(schema.properties.knowledge.additionalProperties.properties.description).toMatchObject({ maxLength: KNOWLEDGE_DESCRIPTION_MAX });
    expect(gw.resources.properties.memory.description).toContain(`from ${MIN_MEMORY_MIB}m`);
  });

  it("a gateway's Markdown grows with its links' descriptions, bounded by the cap", async () => {
    // 30 spokes with the longest descriptions: the hub lists them all, each spoke only the hub.
    const long = "d".repeat(GATEWAY_DESCRIPTION_MAX);
    const gateways: Record<string, unknown> = { hub: { role: "hub", port: 20000, description: long, model: "anthropic/claude-sonnet-4-6" } };
    const links = [];
    for (let i = 0; i < 30; i++) {
      gateways[`s${i}`] = { port: 20001 + i, description: long, model: "anthropic/claude-sonnet-4-6" };
      links.push({ from: "hub", to: `s${i}` });
    }
    const loaded = await load({ name: "big", gateways, links });
    const files = compile(loaded.federation, "compose").artifacts.filter((a) => a.kind === "file" && a.path.endsWith(".md"));
    for (const f of files) {
      const size = "content" in f ? Buffer.byteLength(f.content) : 0;
      // Each description appears a few times (table, list), plus the template's own text.
      expect(size, f.path).toBeLessThan(8_000 + 3 * 31 * (GATEWAY_DESCRIPTION_MAX + 200));
    }
  });
});
