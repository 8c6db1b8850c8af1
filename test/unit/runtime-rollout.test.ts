// Rollout branching logic against the in-memory engine (real spec files and real generate()).
// The same behaviours run for real against Docker in test/e2e/rollout.test.ts.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LABELS } from "../../src/vocabulary/labels.js";
import { RuntimeError } from "../../src/errors.js";
import { generate } from "../../src/ops/generate.js";
import { openFederation, type FederationContext } from "../../src/ops/context.js";
import type { ClawfedDeps } from "../../src/ops/deps.js";
import { recordImages } from "../../src/ops/record.js";
import { planFor, rollout, selectTargets } from "../../src/ops/rollout.js";
import { COMPOSE_CONFIG_HASH_LABEL, COMPOSE_PROJECT_LABEL, PREVIOUS_SUFFIX } from "../../src/runtime/containers.js";
import { UsageError } from "../../src/errors.js";
import { MemoryEngine } from "../helpers/memory-engine.js";

const SPEC = `# unit-test federation
name: cfrunit
gateways:
  hub:
    role: hub
    port: 28150
    description: Hub.
    model: anthropic/claude-sonnet-4-6
  alpha:
    role: spoke
    port: 28151
    description: Sandboxed spoke.
    model: anthropic/claude-sonnet-4-6
    sandbox: { mode: all, workspaceAccess: rw }
  beta:
    role: spoke
    port: 28152
    description: Plain spoke.
    model: anthropic/claude-sonnet-4-6
links:
  - { from: hub, to: alpha }
  - { from: hub, to: beta }
`;

interface World {
  dir: string;
  spec: string;
  ctx: FederationContext;
  eng: MemoryEngine;
  deps: ClawfedDeps;
  /** compose text the config hash was asked for, per service. */
  hashed: Map<string, string>;
  ids: Record<string, string>;
  stateOf: (id: string) => Map<string, string>;
}

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function world(opts: { labels?: (id: string) => Record<string, string>; stopTimeoutS?: number } = {}): Promise<World> {
  const dir = await mkdtemp(path.join(tmpdir(), "cfr-unit-"));
  dirs.push(dir);
  const spec = path.join(dir, "fed.yaml");
  await writeFile(spec, SPEC);
  const outDir = path.join(dir, "out");
  await generate({ spec, outDir, image: "img:a" });
  const ctx = await openFederation(spec, { outDir });
  const eng = new MemoryEngine();
  eng.addImage("img:a");
  eng.addImage("img:b");
  eng.addImage("img:bad", "crash");
  eng.addImage("img:hang", "hang");
  const ids: Record<string, string> = {};
  const states: Record<string, { kind: "volume"; name: string } | { kind: "bind"; path: string }> = {};
  for (const g of ctx.fed.gateways) {
    const state = g.sandboxed ? { kind: "bind" as const, path: path.join(outDir, "state", g.id) } : { kind: "volume" as const, name: `cfrunit_${g.id}-state` };
    states[g.id] = state;
    const labels = opts.labels?.(g.id) ?? {
      [LABELS.federation]: "cfrunit",
      [LABELS.managed]: "true",
      [LABELS.gateway]: g.id,
      [LABELS.role]: g.role,
      [COMPOSE_PROJECT_LABEL]: "cfrunit",
      [COMPOSE_CONFIG_HASH_LABEL]: "oldhash",
    };
    ids[g.id] = eng.addContainer({ name: `cfrunit_${g.id}_1`, image: "img:a", labels, port: g.port, state, stopTimeoutS: opts.stopTimeoutS });
    eng.dataOf(state).set("db.sqlite", `${g.id} v1`);
  }
  const hashed = new Map<string, string>();
  const deps: ClawfedDeps = {
    engine: eng,
    get: eng.get,
    clock: eng.clock,
    wallNow: () => Date.UTC(2026, 8, 18, 10, 0, 0),
    compose: async () => ({ code: 0, stdout: "", stderr: "" }),
    configHash: async (_p, text, service) => (hashed.set(service, text), `hash-${service}`),
    configHashes: async () => new Map(),
  };
  return { dir, spec, ctx, eng, deps, hashed, ids, stateOf: (id) => eng.dataOf(states[id]!) };
}

describe("rollout (in-memory engine)", () => {
  it("updates the spokes one at a time, keeps the hub, labels compose's config hash; the record step writes the spec", async () => {
    const w = await world();
    const specBefore = await readFile(w.spec, "utf8");
    const composeBefore = await readFile(path.join(w.ctx.outDir, "docker-compose.yml"), "utf8");
    const res = await rollout(w.ctx, w.deps, { image: "img:b" });
    expect(res.ok).toBe(true);
    expect(res.updated).toEqual([
      { id: "alpha", image: "img:b" },
      { id: "beta", image: "img:b" },
    ]);
    // The hash was asked for the compiled compose text with the new image, not read from disk.
    expect(w.hashed.get("alpha")).toMatch(/ {2}alpha:\n(?: {4}.*\n)*? {4}image: img:b\n/);
    // Applying changes neither the spec nor the generated files: recording is its own step.
    expect(await readFile(w.spec, "utf8")).toBe(specBefore);
    expect(await readFile(path.join(w.ctx.outDir, "docker-compose.yml"), "utf8")).toBe(composeBefore);
    const rec = await recordImages(w.ctx, res.updated);
    expect(rec).toMatchObject({ ok: true, gateways: res.updated, written: ["docker-compose.yml"] });
    expect(res.gateways.map((g) => [g.id, g.outcome])).toEqual([
      ["alpha", "updated"],
      ["beta", "updated"],
    ]);
    // alpha completely before beta; the hub never touched
    const calls = w.eng.calls.filter((c) => /^(stop|create|start|remove) /.test(c));
    expect(calls).toEqual([
      "stop cfrunit_alpha_1",
      "create cfrunit_alpha_1 img:b",
      "start cfrunit_alpha_1",
      `remove cfrunit_alpha_1${PREVIOUS_SUFFIX}`,
      "stop cfrunit_beta_1",
      "create cfrunit_beta_1 img:b",
      "start cfrunit_beta_1",
      `remove cfrunit_beta_1${PREVIOUS_SUFFIX}`,
    ]);
    const containers = await w.eng.listContainers({});
    expect(containers.map((c) => [c.name, c.image, c.status]).sort()).toEqual([
      ["cfrunit_alpha_1", "img:b", "running"],
      ["cfrunit_beta_1", "img:b", "running"],
      ["cfrunit_hub_1", "img:a", "running"],
    ]);
    expect((await w.eng.inspect("cfrunit_beta_1"))!.labels[COMPOSE_CONFIG_HASH_LABEL]).toBe("hash-beta");
    // the state was snapshotted (bind folder and named volume), and the snapshots removed after success
    expect(w.eng.calls.filter((c) => c.startsWith("copy "))).toEqual([
      expect.stringMatching(/^copy .*\/out\/state\/alpha -> cfrunit_alpha-state\.snapshot-20260918t100000z$/),
      "copy cfrunit_beta-state -> cfrunit_beta-state.snapshot-20260918t100000z",
    ]);
    expect(await w.eng.listVolumes({ [LABELS.kind]: "snapshot" })).toEqual([]);
    // the spec records the image (only two lines added), the compose file follows
    const specAfter = await readFile(w.spec, "utf8");
    expect(specAfter.split("\n").filter((l) => !specBefore.split("\n").includes(l))).toEqual(["    image: img:b", "    image: img:b"]);
    expect(specAfter.startsWith("# unit-test federation\n")).toBe(true);
    const compose = await readFile(path.join(w.ctx.outDir, "docker-compose.yml"), "utf8");
    expect(compose).toMatch(/ {2}alpha:\n(?: {4}.*\n)*? {4}image: img:b\n/);
    expect(compose).toMatch(/ {2}hub:\n(?: {4}.*\n)*? {4}image: img:a\n/);
  });

  it("stops the old gateway with its container's grace, and says when it had to be killed", async () => {
    // A gateway closing a Telegram channel that cannot reach Telegram does not finish its shutdown;
    // the engine kills it after the grace (exit 137). Its successor can start only because compose
    // gives every container of a gateway the same hostname (see test/unit/generate.test.ts).
    const w = await world({ stopTimeoutS: 30 });
    w.eng.shutdownS = 45;
    const lines: string[] = [];
    const res = await rollout(w.ctx, w.deps, { image: "img:b", only: ["beta"], onProgress: (l) => lines.push(l) });
    expect(res.ok).toBe(true);
    expect(w.eng.stops).toEqual([{ name: "cfrunit_beta_1", timeoutS: 30, exitCode: 137 }]);
    expect(lines.join("\n")).toContain("beta: warning: the gateway did not finish its shutdown within 30 s and was killed");
    // A clean stop says nothing of the kind.
    const w2 = await world({ stopTimeoutS: 30 });
    const lines2: string[] = [];
    await rollout(w2.ctx, w2.deps, { image: "img:b", only: ["beta"], onProgress: (l) => lines2.push(l) });
    expect(w2.eng.stops[0]).toMatchObject({ timeoutS: 30, exitCode: 0 });
    expect(lines2.join("\n")).not.toContain("was killed");
  });

  it("rolls back a gateway that crashes: state restored, old container back, spec restored, the rest not touched", async () => {
    const w = await world();
    const specBefore = await readFile(w.spec, "utf8");
    const composeBefore = await readFile(path.join(w.ctx.outDir, "docker-compose.yml"), "utf8");
    const res = await rollout(w.ctx, w.deps, { image: "img:bad" });
    expect(res.ok).toBe(false);
    expect(res.gateways.map((g) => [g.id, g.outcome])).toEqual([
      ["alpha", "rolled-back"],
      ["beta", "not-touched"],
    ]);
    const alpha = res.gateways[0]!;
    expect(alpha.reason).toMatch(/crash loop|exited/);
    expect(alpha.logTail?.length).toBeGreaterThan(0);
    expect(alpha.logTail!.every((l) => l === "fatal: cannot start")).toBe(true);
    expect(res.message).toMatch(/alpha did not come up on img:bad.*rolled back to img:a.*Not touched: beta/s);
    expect(res.next).toMatch(/fix the image.*clawfed rollout .*fed.yaml --image <ref> --out .*\/out$/);
    // the old container (same id) runs again under its own name, with the state from before
    const info = await w.eng.inspect(w.ids.alpha!);
    expect(info).toMatchObject({ name: "cfrunit_alpha_1", image: "img:a", running: true });
    expect([...w.stateOf("alpha").entries()]).toEqual([["db.sqlite", "alpha v1"]]);
    expect(w.eng.calls.some((c) => c.includes("beta"))).toBe(false);
    expect(await readFile(w.spec, "utf8")).toBe(specBefore);
    expect(await readFile(path.join(w.ctx.outDir, "docker-compose.yml"), "utf8")).toBe(composeBefore);
    expect((await w.eng.listContainers({})).length).toBe(3);
    expect(await w.eng.listVolumes({ [LABELS.kind]: "snapshot" })).toEqual([]);
  });

  it("rolls back a gateway that never reports started, after the health timeout", async () => {
    const w = await world();
    const t0 = w.eng.clock.now();
    const res = await rollout(w.ctx, w.deps, { image: "img:hang", only: ["beta"], healthTimeoutMs: 30_000 });
    expect(res.gateways).toMatchObject([{ id: "beta", outcome: "rolled-back", reason: expect.stringMatching(/not started after 30\.0 s/) }]);
    expect(w.eng.clock.now() - t0).toBeGreaterThanOrEqual(30_000);
    expect((await w.eng.inspect(w.ids.beta!))!.running).toBe(true);
  });

  it("reports a failed rollback and keeps the snapshot when the state cannot be restored", async () => {
    const w = await world();
    w.eng.failAt.set("runJob", { n: 2, err: new Error("disk full") });
    const res = await rollout(w.ctx, w.deps, { image: "img:bad" });
    const alpha = res.gateways[0]!;
    expect(alpha.outcome).toBe("rollback-failed");
    expect(alpha.reason).toMatch(/restore the state snapshot: .*disk full/);
    expect(alpha.snapshotKept).toBe(true);
    expect(await w.eng.listVolumes({ [LABELS.kind]: "snapshot" })).toHaveLength(1);
    expect(res.next).toMatch(/kept in volume cfrunit_alpha-state\.snapshot-/);
  });

  it("rolls back when creating the new container fails midway", async () => {
    const w = await world();
    w.eng.failAt.set("createLike", { n: 1, err: new Error("conflict") });
    const res = await rollout(w.ctx, w.deps, { image: "img:b" });
    expect(res.gateways[0]).toMatchObject({ id: "alpha", outcome: "rolled-back", reason: expect.stringMatching(/conflict/) });
    expect(await w.eng.inspect(w.ids.alpha!)).toMatchObject({ name: "cfrunit_alpha_1", running: true, image: "img:a" });
  });

  it("keeps a passed update when only the cleanup fails, and says what to remove", async () => {
    const w = await world();
    w.eng.failAt.set("remove", { n: 1, err: new Error("device busy") });
    const res = await rollout(w.ctx, w.deps, { image: "img:b", only: ["beta"] });
    expect(res.ok).toBe(true);
    expect(res.gateways[0]).toMatchObject({ outcome: "updated", reason: expect.stringMatching(/device busy.*docker rm cfrunit_beta_1\.clawfed-previous/) });
    expect((await w.eng.inspect("cfrunit_beta_1"))!.image).toBe("img:b");
  });

  it("refuses containers without clawfed's ownership labels, before changing anything", async () => {
    const w = await world({ labels: (id) => ({ [LABELS.federation]: "cfrunit", [LABELS.gateway]: id, [COMPOSE_PROJECT_LABEL]: "cfrunit" }) });
    await expect(rollout(w.ctx, w.deps, { image: "img:b" })).rejects.toThrow(/has no container/);
    expect(w.eng.calls).toEqual([]);
  });

  it("refuses a leftover of an interrupted rollout", async () => {
    const w = await world();
    w.eng.addContainer({
      name: `cfrunit_alpha_1${PREVIOUS_SUFFIX}`,
      image: "img:a",
      labels: { [LABELS.federation]: "cfrunit", [LABELS.managed]: "true", [LABELS.gateway]: "alpha", [COMPOSE_PROJECT_LABEL]: "cfrunit" },
      port: 1,
      state: { kind: "volume", name: "x" },
      running: false,
    });
    await expect(rollout(w.ctx, w.deps, { image: "img:b" })).rejects.toThrow(/interrupted.*docker rm cfrunit_alpha_1\.clawfed-previous/s);
    expect(w.eng.calls.filter((c) => !c.startsWith("volume"))).toEqual([]);
  });

  it("needs the image under the pull policy; nothing changes when it cannot be had", async () => {
    const w = await world();
    await expect(rollout(w.ctx, w.deps, { image: "img:none", pull: "never" })).rejects.toThrow(/not present locally and --pull is never/);
    const err = await rollout(w.ctx, w.deps, { image: "img:none" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).message).toMatch(/cannot pull img:none: .*no such host/);
    expect((err as RuntimeError).next).toMatch(/build or load the image locally \(for OpenClaw: clawfed image build --version <openclaw version> --tag img:none;/);
    expect(w.eng.calls).toEqual(["pull img:none"]);
    w.eng.pullable.set("img:new", { id: "sha256:new", behaviour: "ok" });
    const res = await rollout(w.ctx, w.deps, { image: "img:new", only: ["beta"] });
    expect(res.ok).toBe(true);
    expect(w.eng.calls).toContain("pull img:new");
  });

  it("refuses an unhealthy starting point", async () => {
    const w = await world();
    await w.eng.stop(w.ids.beta!);
    w.eng.calls.length = 0;
    await expect(rollout(w.ctx, w.deps, { image: "img:b" })).rejects.toThrow(/beta is not running/);
    expect(w.eng.calls).toEqual([]);
  });

  it("leaves gateways already on the image alone, and rolls to the spec's image by default", async () => {
    const w = await world();
    const res = await rollout(w.ctx, w.deps, {});
    expect(res.gateways.map((g) => g.outcome)).toEqual(["unchanged", "unchanged"]);
    expect(res.updated).toEqual([]);
    expect(w.eng.calls).toEqual([]);
  });

  it("plans without touching anything: spokes in order, the hub last when asked, the spec's image or the running one", async () => {
    const w = await world();
    const plan = await planFor(w.ctx, w.deps, { includeHub: true });
    expect(plan.steps.map((s) => [s.id, s.image])).toEqual([
      ["alpha", "img:a"],
      ["beta", "img:a"],
      ["hub", "img:a"],
    ]);
    expect((await planFor(w.ctx, w.deps, { image: "img:b", only: ["hub"] })).steps.map((s) => [s.id, s.image])).toEqual([["hub", "img:b"]]);
    await expect(planFor(w.ctx, w.deps, { only: ["nope"] })).rejects.toBeInstanceOf(UsageError);
    expect(w.eng.calls).toEqual([]);
  });
});

describe("selectTargets", () => {
  const gws = [
    { id: "hub", role: "hub" as const },
    { id: "a", role: "spoke" as const },
    { id: "b", role: "spoke" as const },
  ];
  it("takes the spokes, and the hub last only when asked or named", () => {
    expect(selectTargets(gws, {}, "f").map((g) => g.id)).toEqual(["a", "b"]);
    expect(selectTargets(gws, { includeHub: true }, "f").map((g) => g.id)).toEqual(["a", "b", "hub"]);
    expect(selectTargets(gws, { only: ["hub", "b"] }, "f").map((g) => g.id)).toEqual(["b", "hub"]);
  });
  it("names unknown gateways and the valid ones", () => {
    expect(() => selectTargets(gws, { only: ["x"] }, "f")).toThrow(/"x", which is not a gateway of f[\s\S]*hub, a, b/);
    expect(() => selectTargets(gws, { only: ["x"] }, "f")).toThrow(UsageError);
  });
});
