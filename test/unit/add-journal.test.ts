// `clawfed add`, journaled, without Docker: an add frozen at each of its step boundaries (as a
// SIGKILL would leave it), then `resume` or `abort`; the federation must end as after the add
// (resume) or byte for byte as before it (abort: spec, .env, compose file; no container, network,
// volume or folder of the new gateway left; the hub on a container of the previous generation).
// Also: the start and the recreation are one compose call; a failed add is rolled back in-process
// and leaves no journal. In-memory engine + fake compose (test/helpers/fake-compose.ts).
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { generate } from "../../src/ops/generate.js";
import { applyAdd, planAdd } from "../../src/ops/add.js";
import { openFederation } from "../../src/ops/context.js";
import type { ClawfedDeps } from "../../src/ops/deps.js";
import { assertNoJournal, setBoundaryHook } from "../../src/ops/journal.js";
import { recover } from "../../src/ops/recover.js";
import { readJournal } from "../../src/emit/journal-file.js";
import { COMPOSE_CONFIG_HASH_LABEL } from "../../src/runtime/containers.js";
import { LABELS } from "../../src/vocabulary/labels.js";
import { serviceName, workspaceDir } from "../../src/vocabulary/names.js";
import { MemoryEngine } from "../helpers/memory-engine.js";
import { fakeCompose, serviceHash } from "../helpers/fake-compose.js";
import { tempDir } from "../helpers/tmp.js";

const FED = "cfaddj";
const SPEC = `# hub and one spoke
name: ${FED}
gateways:
  hub: { role: hub, port: 28260, description: Hub., model: anthropic/claude-sonnet-4-6 }
  alpha: { port: 28261, description: Alpha., model: anthropic/claude-sonnet-4-6 }  # first spoke
links:
  - { from: hub, to: alpha }
`;

afterEach(() => setBoundaryHook(undefined));

/** A running hub and alpha (brought up by the fake compose from generated files). */
async function world(o: { fail?: (service: string) => boolean; imageOf?: (service: string, image: string) => string } = {}) {
  const dir = await tempDir("add-journal");
  const spec = path.join(dir, "fed.yaml");
  const outDir = path.join(dir, "out");
  await writeFile(spec, SPEC);
  await generate({ spec, outDir, image: "img:a" });
  const eng = new MemoryEngine();
  eng.addImage("img:a");
  eng.addImage("img:crash", "crash");
  const calls: string[][] = [];
  const compose = fakeCompose(eng, outDir, FED, { calls, fail: o.fail, imageOf: o.imageOf });
  const deps: ClawfedDeps = { engine: eng, get: eng.get, clock: eng.clock, wallNow: () => Date.UTC(2026, 11, 1, 5), compose, configHash: async () => undefined };
  await compose({ dir: outDir, name: FED }, ["up", "-d", "--no-deps", serviceName("hub"), serviceName("alpha")]);
  calls.length = 0;
  const before = {
    env: await readFile(path.join(outDir, ".env"), "utf8"),
    compose: await readFile(path.join(outDir, "docker-compose.yml"), "utf8"),
    hubHash: await serviceHash(outDir, serviceName("hub")),
    networks: [...eng.createdNetworks.keys()].sort(),
    volumes: [...eng.volumeLabels.keys()].sort(),
  };
  return { spec, outDir, eng, deps, calls, before };
}

type World = Awaited<ReturnType<typeof world>>;

/** Running containers of the federation as `id hash-is-current`. */
async function running(w: World): Promise<string[]> {
  const out: string[] = [];
  for (const c of await w.eng.listContainers({ [LABELS.federation]: FED })) {
    const id = c.labels[LABELS.gateway]!;
    out.push(`${id} ${c.status} ${c.labels[COMPOSE_CONFIG_HASH_LABEL] === (await serviceHash(w.outDir, serviceName(id))) ? "current" : "stale"}`);
  }
  return out.sort();
}

async function expectAsBefore(w: World): Promise<void> {
  expect(await readFile(w.spec, "utf8")).toBe(SPEC);
  expect(await readFile(path.join(w.outDir, ".env"), "utf8")).toBe(w.before.env);
  expect(await readFile(path.join(w.outDir, "docker-compose.yml"), "utf8")).toBe(w.before.compose);
  expect(await running(w)).toEqual(["alpha running current", "hub running current"]);
  expect([...w.eng.createdNetworks.keys()].sort()).toEqual(w.before.networks);
  expect([...w.eng.volumeLabels.keys()].sort()).toEqual(w.before.volumes);
  expect(existsSync(path.join(w.outDir, workspaceDir("beta")))).toBe(false);
  expect(existsSync(path.join(w.outDir, "gateways", "beta"))).toBe(false);
  expect(await readJournal(w.outDir)).toEqual({ kind: "none" });
}

async function expectAdded(w: World): Promise<void> {
  const spec = await readFile(w.spec, "utf8");
  expect(spec).toContain("beta:");
  expect(spec.startsWith(SPEC.split("links:")[0]!)).toBe(true);
  expect(await running(w)).toEqual(["alpha running current", "beta running current", "hub running current"]);
  expect(await serviceHash(w.outDir, serviceName("hub"))).not.toBe(w.before.hubHash);
  expect(await readFile(path.join(w.outDir, ".env"), "utf8")).toMatch(/^A2A_BETA__HUB_TOKEN=./m);
  expect(await readJournal(w.outDir)).toEqual({ kind: "none" });
}

// write-spec and generate: 2 boundaries each; then beta:start and hub:recreate begin (1 each),
// one compose call, both gates, and both end (1 each).
const BOUNDARIES = 8;

describe("add, journaled", () => {
  it(`has ${BOUNDARIES} boundaries; starts beta and recreates the hub in ONE compose call; leaves no journal`, async () => {
    const w = await world();
    const seen: string[] = [];
    setBoundaryHook((_i, what) => void seen.push(what));
    const res = await applyAdd(await planAdd(w.spec, "beta", { links: ["hub"], port: "auto", outDir: w.outDir }), w.deps);
    expect(res.ok).toBe(true);
    expect(seen).toEqual(["write-spec started", "write-spec ran", "generate started", "generate ran", "beta:start started", "hub:recreate started", "beta:start ran", "hub:recreate ran"]);
    expect(w.calls).toEqual([["up", "-d", "--no-deps", serviceName("beta"), serviceName("hub")]]);
    expect(res.started).toMatchObject({ id: "beta", ok: true });
    expect(res.recreated.map((r) => [r.id, r.ok])).toEqual([["hub", true]]);
    await expectAdded(w);
  });

  it("a compose failure for the new gateway is rolled back in-process: everything as before, the hub recreated from the previous files, no journal", async () => {
    const w = await world({ fail: (s) => s === serviceName("beta") });
    const res = await applyAdd(await planAdd(w.spec, "beta", { links: ["hub"], port: "auto", outDir: w.outDir }), w.deps);
    expect(res.ok).toBe(false);
    expect(res.rolledBack).toMatchObject({ step: { kind: "start", id: "beta" }, problems: [] });
    expect(w.calls).toEqual([
      ["up", "-d", "--no-deps", serviceName("beta"), serviceName("hub")],
      ["up", "-d", "--no-deps", serviceName("hub")],
    ]);
    await expectAsBefore(w);
  });

  it("a new gateway that crash-loops fails its gate: rolled back, the hub recreated twice (with the new peer, then from the previous files)", async () => {
    const w = await world({ imageOf: (s, image) => (s === serviceName("beta") ? "img:crash" : image) });
    const from = w.eng.calls.length;
    const res = await applyAdd(await planAdd(w.spec, "beta", { links: ["hub"], port: "auto", outDir: w.outDir }), w.deps);
    expect(res.ok).toBe(false);
    expect(res.rolledBack).toMatchObject({ step: { kind: "start", id: "beta" }, problems: [] });
    expect(res.rolledBack?.reason).toMatch(/beta did not start: .*crash loop/);
    expect(res.recreated.map((r) => [r.id, r.ok])).toEqual([["hub", true]]);
    expect(w.eng.calls.slice(from).filter((c) => c.startsWith("compose create"))).toEqual(["compose create beta", "compose create hub", "compose create hub"]);
    await expectAsBefore(w);
  });

  for (const action of ["resume", "abort"] as const) {
    for (let n = 1; n <= BOUNDARIES; n++) {
      it(`frozen at boundary ${n}, then ${action}: ${action === "resume" ? "added, every container current" : "byte for byte as before, nothing of beta left"}`, async () => {
        const w = await world();
        let frozen!: () => void;
        let at = "";
        const reached = new Promise<void>((r) => (frozen = r));
        setBoundaryHook((i, what) => {
          if (i !== n) return;
          at = what;
          frozen();
          return new Promise<void>(() => undefined);
        });
        void applyAdd(await planAdd(w.spec, "beta", { links: ["hub"], port: "auto", outDir: w.outDir }), w.deps);
        await reached;
        setBoundaryHook(undefined);
        const ctx = await openFederation(w.spec, { outDir: w.outDir });
        await expect(assertNoJournal(ctx, "add"), at).rejects.toThrow(/add refused: an unfinished add of cfaddj/);
        const res = await recover(ctx, w.deps, action);
        expect(res, at).toMatchObject({ ok: true, operation: "add", action });
        if (action === "resume") await expectAdded(w);
        else await expectAsBefore(w);
        // Running it again finds nothing to do.
        expect(await recover(await openFederation(w.spec, { outDir: w.outDir }), w.deps, action)).toMatchObject({ ok: true, operation: "none" });
      });
    }
  }

  it("abort refuses when the spec was edited since the add stopped, and keeps the journal", async () => {
    const w = await world();
    let frozen!: () => void;
    const reached = new Promise<void>((r) => (frozen = r));
    setBoundaryHook((_i, what) => {
      if (what !== "generate started") return;
      frozen();
      return new Promise<void>(() => undefined);
    });
    void applyAdd(await planAdd(w.spec, "beta", { links: ["hub"], port: "auto", outDir: w.outDir }), w.deps);
    await reached;
    setBoundaryHook(undefined);
    await writeFile(w.spec, `${await readFile(w.spec, "utf8")}# edited by hand\n`);
    await expect(recover(await openFederation(w.spec, { outDir: w.outDir }), w.deps, "abort")).rejects.toThrow(/was changed since the add of beta stopped/);
    expect((await readJournal(w.outDir)).kind).toBe("journal");
  });
});
