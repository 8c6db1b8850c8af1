// recordImages (src/ops/record.ts) as a rollout uses it: one gateway at a time, with the context
// loaded before the first record. The default image of `up --image` must survive every record.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { openFederation } from "../../src/ops/context.js";
import { generate } from "../../src/ops/generate.js";
import { recordImages } from "../../src/ops/record.js";

const SPEC = `name: rec
gateways:
  hub:
    role: hub
    port: 28900
    description: The hub.
    model: anthropic/claude-sonnet-4-6
  alpha:
    port: 28920
    description: A spoke.
    model: anthropic/claude-sonnet-4-6
  beta:
    port: 28940
    description: Another spoke.
    model: anthropic/claude-sonnet-4-6
links:
  - { from: hub, to: alpha }
  - { from: hub, to: beta }
`;

let dir: string;
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("recordImages, one gateway at a time", () => {
  it("keeps the default image the federation was generated with for the gateways not rolled out", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "cfr-record-"));
    const spec = path.join(dir, "rec.yaml");
    const outDir = path.join(dir, "out");
    await writeFile(spec, SPEC);
    await generate({ spec, outDir, target: "compose", image: "openclaw:test-a" });
    const ctx = await openFederation(spec, { outDir });
    await recordImages(ctx, [{ id: "alpha", image: "openclaw:test-b" }]);
    await recordImages(ctx, [{ id: "beta", image: "openclaw:test-b" }]);
    const services = parse(await readFile(path.join(outDir, "docker-compose.yml"), "utf8")).services as Record<string, { image: string }>;
    expect(Object.fromEntries(Object.entries(services).map(([k, v]) => [k, v.image]))).toEqual({ alpha: "openclaw:test-b", beta: "openclaw:test-b", hub: "openclaw:test-a" });
  });
});
