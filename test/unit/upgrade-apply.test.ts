// The upgrade use case against the in-memory engine (real spec files, real generate()): the four
// steps in order, a failed rehearsal (a crashing image, a doctor error) that changes nothing of the
// running federation and removes its scratch, and a downgrade refused before anything is asked.
// The same behaviours run for real against Docker in test/e2e/upgrade.test.ts.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseDocument } from "yaml";
import { afterEach, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { LABELS } from "../../src/vocabulary/labels.js";
import { generate } from "../../src/ops/generate.js";
import { openFederation, type FederationContext } from "../../src/ops/context.js";
import type { ClawfedDeps } from "../../src/ops/deps.js";
import { upgrade } from "../../src/ops/upgrade.js";
import { COMPOSE_CONFIG_HASH_LABEL, COMPOSE_PROJECT_LABEL } from "../../src/runtime/containers.js";
import { MemoryEngine } from "../helpers/memory-engine.js";

const OLD = "openclaw:2026.9.5-local";
const SPEC = `# upgrade apply unit federation
name: cfupa
gateways:
  hub: { role: hub, port: 28290, description: Hub., model: anthropic/claude-sonnet-4-6 }
  alpha: { role: spoke, port: 28291, description: Spoke., model: anthropic/claude-sonnet-4-6 }
links:
  - { from: hub, to: alpha }
`;

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function world(): Promise<{ spec: string; ctx: FederationContext; eng: MemoryEngine; deps: ClawfedDeps; live: (id: string) => Map<string, string> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "cfupa-unit-"));
  dirs.push(dir);
  const spec = path.join(dir, "fed.yaml");
  await writeFile(spec, SPEC);
  const outDir = path.join(dir, "out");
  await generate({ spec, outDir, image: OLD });
  const ctx = await openFederation(spec, { outDir });
  const eng = new MemoryEngine();
  const version = (ref: string, v: string, b: "ok" | "crash" = "ok") => {
    eng.addImage(ref, b);
    eng.images.get(ref)!.labels = { "ai.clawfed.openclaw-version": v };
  };
  version(OLD, "2026.9.5");
  version("openclaw:2026.9.6-local", "2026.9.6");
  version("openclaw:2026.9.7-local", "2026.9.7", "crash");
  for (const g of ctx.fed.gateways) {
    const state = { kind: "volume" as const, name: `cfupa_${g.id}-state` };
    const labels = { [LABELS.federation]: "cfupa", [LABELS.managed]: "true", [LABELS.gateway]: g.id, [LABELS.role]: g.role, [COMPOSE_PROJECT_LABEL]: "cfupa", [COMPOSE_CONFIG_HASH_LABEL]: "old" };
    eng.addContainer({ name: `cfupa_${g.id}_1`, image: OLD, labels, port: g.port, state });
    eng.dataOf(state).set("marker.txt", `${g.id} under 2026.9.5`);
  }
  const deps: ClawfedDeps = {
    engine: eng,
    get: eng.get,
    clock: eng.clock,
    wallNow: () => Date.UTC(2026, 11, 1, 3, 0, 0),
    compose: async () => ({ code: 0, stdout: "", stderr: "" }),
    configHash: async (_p, _t, service) => `hash-${service}`,
  };
  return { spec, ctx, eng, deps, live: (id) => eng.dataOf({ kind: "volume", name: `cfupa_${id}-state` }) };
}

const mutating = (calls: string[]) => calls.filter((c) => /^(stop|rename|create) /.test(c) || /^start cfupa_[a-z]+_1$/.test(c));

describe("upgrade (in-memory engine)", () => {
  it("image, rehearse, rollout, record: spokes first, state kept, the spec records the version", async () => {
    const w = await world();
    const lines: string[] = [];
    const res = await upgrade(w.ctx, w.deps, { to: "2026.9.6", pull: "never", onProgress: (l) => lines.push(l) });
    expect(res).toMatchObject({ ok: true, to: "2026.9.6", image: "openclaw:2026.9.6-local", imageSource: "present", steps: ["image", "rehearse", "rollout", "record"] });
    expect(res.gateways.map((g) => [g.id, g.fromVersion, g.outcome, g.rehearsal?.ok, g.rehearsal?.version])).toEqual([
      ["alpha", "2026.9.5", "updated", true, "2026.9.6"],
      ["hub", "2026.9.5", "updated", true, "2026.9.6"],
    ]);
    // Every step announced before it ran, in order; both rehearsals before the first rollout.
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const order = [at(/step 1\/4 image/), at(/step 2\/4 rehearse/), at(/hub: rehearsal: passed/), at(/step 3\/4 rollout/), at(/alpha: updated/), at(/step 4\/4 record/)];
    expect(order[0]).toBe(0);
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expect(new Set(order).size).toBe(order.length);
    // The scratch containers ran on copies and are gone; so are their volumes.
    expect(w.eng.calls.filter((c) => c.startsWith("scratch "))).toEqual(["scratch cfupa_alpha_1.clawfed-rehearsal openclaw:2026.9.6-local", "scratch cfupa_hub_1.clawfed-rehearsal openclaw:2026.9.6-local"]);
    expect([...w.eng.containers.values()].map((c) => c.info.name).sort()).toEqual(["cfupa_alpha_1", "cfupa_hub_1"]);
    expect([...w.eng.volumeLabels.values()].filter((l) => l[LABELS.kind] === "rehearsal")).toEqual([]);
    expect([...w.eng.createdNetworks.keys()]).toEqual([]);
    expect(w.eng.calls.filter((c) => c.startsWith("network create"))).toEqual(["network create cfupa_alpha_1.clawfed-rehearsal", "network create cfupa_hub_1.clawfed-rehearsal"]);
    expect([...w.eng.containers.values()].map((c) => c.info.image)).toEqual(["openclaw:2026.9.6-local", "openclaw:2026.9.6-local"]);
    expect(w.live("alpha").get("marker.txt")).toBe("alpha under 2026.9.5");
    const spec = await readFile(w.spec, "utf8");
    expect(parseDocument(spec).toJS()).toMatchObject({ openclaw: { version: "2026.9.6", image: "openclaw:2026.9.6-local" } });
    expect(spec).toContain("# upgrade apply unit federation");
    expect(res.record).toMatchObject({ changes: ["openclaw.version = 2026.9.6", "openclaw.image = openclaw:2026.9.6-local"], written: ["docker-compose.yml"] });
  });

  it("a rehearsal that cannot start changes nothing and removes its scratch", async () => {
    const w = await world();
    const specBefore = await readFile(w.spec, "utf8");
    const composeBefore = await readFile(path.join(w.ctx.outDir, "docker-compose.yml"), "utf8");
    const res = await upgrade(w.ctx, w.deps, { to: "2026.9.7", pull: "never" });
    expect(res).toMatchObject({ ok: false, failedStep: "rehearse", image: "openclaw:2026.9.7-local", steps: ["image"] });
    expect(res.message).toMatch(/^the rehearsal of alpha on openclaw:2026\.9\.7-local failed: the scratch gateway exited with code 1 before it started\. Nothing in the running federation changed/);
    expect(res.gateways.map((g) => [g.id, g.outcome, g.rehearsal?.ok])).toEqual([
      ["alpha", "not-touched", false],
      ["hub", "not-touched", undefined],
    ]);
    expect(res.gateways[0]!.rehearsal!.logTail).toContain("fatal: cannot start");
    expect(mutating(w.eng.calls)).toEqual([]);
    // The crashing image wrote into the copy, never into the live state.
    expect([...w.live("alpha").keys()]).toEqual(["marker.txt"]);
    expect([...w.eng.containers.values()].map((c) => [c.info.name, c.info.image, c.info.running]).sort()).toEqual([
      ["cfupa_alpha_1", OLD, true],
      ["cfupa_hub_1", OLD, true],
    ]);
    expect([...w.eng.volumeLabels.keys()]).toEqual([]);
    expect(await readFile(w.spec, "utf8")).toBe(specBefore);
    expect(await readFile(path.join(w.ctx.outDir, "docker-compose.yml"), "utf8")).toBe(composeBefore);
  });

  it("an error from openclaw doctor fails the rehearsal, naming the finding", async () => {
    const w = await world();
    w.eng.doctorFindings = [{ checkId: "core/doctor/state-migration", severity: "error", message: "state schema 19 is newer than this build" }];
    const res = await upgrade(w.ctx, w.deps, { to: "2026.9.6", pull: "never" });
    expect(res.ok).toBe(false);
    expect(res.gateways[0]!.rehearsal).toMatchObject({ ok: false, doctor: { checksRun: 3, errors: w.eng.doctorFindings } });
    expect(res.message).toMatch(/openclaw doctor reports 1 error\(s\): core\/doctor\/state-migration: state schema 19 is newer than this build/);
    expect(mutating(w.eng.calls)).toEqual([]);
  });

  it("a downgrade is refused before any engine call, unless allowed", async () => {
    const w = await world();
    await expect(upgrade(w.ctx, w.deps, { to: "2026.9.4" })).rejects.toThrow(UsageError);
    expect(w.eng.calls).toEqual([]);
    // Allowed: it goes on to the image step (no image for 2026.9.4 here, and pull is never).
    w.eng.addImage("openclaw:2026.9.4-local");
    w.eng.images.get("openclaw:2026.9.4-local")!.labels = { "ai.clawfed.openclaw-version": "2026.9.4" };
    const res = await upgrade(w.ctx, w.deps, { to: "2026.9.4", allowDowngrade: true, pull: "never" });
    expect(res).toMatchObject({ ok: true, image: "openclaw:2026.9.4-local", plan: { downgrades: ["alpha", "hub"] } });
  });
});
