// The operation journal: pure record logic, the 0600 atomic writer, the guard every changing
// command runs, and resume/abort of a rollout frozen at every step boundary (in-memory engine;
// the same thing runs for real with SIGKILL in test/e2e/journal.test.ts).
import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { LABELS } from "../../src/vocabulary/labels.js";
import { appendSteps, describeJournal, JOURNAL_PATH, markStep, newJournal, parseJournal, stoppedAt } from "../../src/vocabulary/journal.js";
import { readJournal, removeJournal, writeJournal } from "../../src/emit/journal-file.js";
import { RuntimeError } from "../../src/errors.js";
import { generate } from "../../src/ops/generate.js";
import { openFederation } from "../../src/ops/context.js";
import type { ClawfedDeps } from "../../src/ops/deps.js";
import { assertNoJournal, journalWarning, setBoundaryHook, startJournal } from "../../src/ops/journal.js";
import { recover } from "../../src/ops/recover.js";
import { rollout } from "../../src/ops/rollout.js";
import { restoreSteps } from "../../src/ops/restore.js";
import { COMPOSE_CONFIG_HASH_LABEL, COMPOSE_PROJECT_LABEL, PREVIOUS_SUFFIX } from "../../src/runtime/containers.js";
import { MemoryEngine } from "../helpers/memory-engine.js";

const dirs: string[] = [];
afterEach(async () => {
  setBoundaryHook(undefined);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
const tmp = async () => {
  const d = await mkdtemp(path.join(tmpdir(), "cfj-unit-"));
  dirs.push(d);
  return d;
};

const base = { operation: "rollout", federation: "f", spec: "f.yaml", pid: 1, host: "h", startedAt: "2026-12-01T03:00:00.000Z", args: { image: "img:b" } };
const steps = [
  { key: "a:stop", gateway: "a", action: "stop", rollback: "start it" },
  { key: "a:swap", gateway: "a", action: "swap", rollback: "swap back" },
];

describe("journal records (pure)", () => {
  it("starts pending, moves forward only, merges data, names where it stopped", () => {
    let j = newJournal({ ...base, steps });
    expect(j.steps.map((s) => s.status)).toEqual(["pending", "pending"]);
    expect(stoppedAt(j)?.key).toBe("a:stop");
    j = markStep(j, "a:stop", "started", { x: 1 });
    j = markStep(j, "a:stop", "done", { y: "2" });
    expect(j.steps[0]).toMatchObject({ status: "done", data: { x: 1, y: "2" } });
    expect(() => markStep(j, "a:stop", "started")).toThrow(/cannot go from done back to started/);
    expect(() => markStep(j, "nope", "started")).toThrow(/no step nope/);
    j = markStep(j, "a:swap", "started");
    expect(describeJournal(j)).toBe("an unfinished rollout of f, started 2026-12-01T03:00:00.000Z by process 1 on h; stopped at a: swap (started)");
  });

  it("says what really happened: no step yet, none begun, after a done step (pending steps an operation skips are passed over)", () => {
    const head = "an unfinished upgrade of f, started 2026-12-01T03:00:00.000Z by process 1 on h; ";
    // An upgrade's journal starts with no step: its rollout appends them once it begins.
    const fresh = newJournal({ ...base, operation: "upgrade", steps: [] });
    expect(describeJournal(fresh)).toBe(`${head}it stopped before its first step: no step was planned or begun yet, so it changed nothing`);
    expect(describeJournal(newJournal({ ...base, operation: "upgrade", steps }))).toBe(`${head}stopped at a: stop (pending), before any step began: it changed nothing`);
    // An upgrade leaves each gateway's own rollout record step pending (it records once at the end).
    let j = newJournal({ ...base, operation: "upgrade", steps: [...["stop", "record", "cleanup"].map((a) => ({ key: `a:${a}`, gateway: "a", action: a, rollback: "-" })), { key: "b:stop", gateway: "b", action: "stop", rollback: "-" }] });
    for (const k of ["a:stop", "a:cleanup"]) j = markStep(markStep(j, k, "started"), k, "done");
    expect(describeJournal(j)).toBe(`${head}stopped after a: cleanup (done), before b: stop (pending)`);
    j = markStep(markStep(j, "b:stop", "started"), "b:stop", "done");
    expect(describeJournal(j)).toBe(`${head}every step done, only the cleanup of the journal is left`);
  });

  it("refuses duplicate keys, also when steps are appended", () => {
    expect(() => newJournal({ ...base, steps: [...steps, steps[0]!] })).toThrow(/used twice/);
    const j = newJournal({ ...base, steps });
    expect(() => appendSteps(j, [steps[1]!])).toThrow(/used twice/);
    expect(appendSteps(j, [{ key: "b:stop", action: "stop", rollback: "-" }]).steps.map((s) => [s.key, s.status])).toEqual([
      ["a:stop", "pending"],
      ["a:swap", "pending"],
      ["b:stop", "pending"],
    ]);
  });

  it("parses what it writes and says what is wrong with anything else", () => {
    const j = markStep(newJournal({ ...base, steps }), "a:stop", "started");
    expect(parseJournal(JSON.stringify(j))).toEqual({ ok: true, journal: j });
    expect(parseJournal("{")).toMatchObject({ ok: false, error: expect.stringMatching(/^not JSON/) });
    const bad = parseJournal(JSON.stringify({ ...j, format: 2, steps: [{ ...j.steps[0], status: "half" }] }));
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/format/);
    expect(!bad.ok && bad.error).toMatch(/steps\.0\.status/);
  });
});

describe("journal file", () => {
  it("is written atomically with mode 0600 under .clawfed/, read back, and removed", async () => {
    const out = path.join(await tmp(), "out");
    expect(await readJournal(out)).toEqual({ kind: "none" });
    const j = newJournal({ ...base, steps });
    await writeJournal(out, j);
    const st = await lstat(path.join(out, JOURNAL_PATH));
    expect(st.mode & 0o777).toBe(0o600);
    expect(await readJournal(out)).toMatchObject({ kind: "journal", journal: j });
    await writeFile(path.join(out, JOURNAL_PATH), "garbage");
    expect(await readJournal(out)).toMatchObject({ kind: "unreadable", error: expect.stringMatching(/not JSON/) });
    expect(await removeJournal(out)).toBe(true);
    expect(await removeJournal(out)).toBe(false);
  });

  it("never follows a link planted at its place", async () => {
    const d = await tmp();
    const out = path.join(d, "out");
    await mkdir(path.join(out, ".clawfed"), { recursive: true });
    await writeFile(path.join(d, "elsewhere"), "x");
    await symlink(path.join(d, "elsewhere"), path.join(out, JOURNAL_PATH));
    await expect(readJournal(out)).rejects.toThrow(/symbolic link/);
    await expect(writeJournal(out, newJournal({ ...base, steps }))).rejects.toThrow(/symbolic link/);
    expect(await readFile(path.join(d, "elsewhere"), "utf8")).toBe("x");
  });
});

const SPEC = `name: cfjunit
gateways:
  hub: { role: hub, port: 28160, description: Hub., model: anthropic/claude-sonnet-4-6 }
  beta: { role: spoke, port: 28162, description: Spoke., model: anthropic/claude-sonnet-4-6 }
links:
  - { from: hub, to: beta }
`;
const SPEC2 = SPEC.replace("links:", "  delta: { role: spoke, port: 28163, description: Spoke 2., model: anthropic/claude-sonnet-4-6 }\nlinks:\n  - { from: hub, to: delta }");

async function world(text = SPEC) {
  const dir = await tmp();
  const spec = path.join(dir, "fed.yaml");
  await writeFile(spec, text);
  const outDir = path.join(dir, "out");
  await generate({ spec, outDir, image: "img:a" });
  const ctx = await openFederation(spec, { outDir });
  const eng = new MemoryEngine();
  eng.addImage("img:a");
  eng.addImage("img:b");
  const states = new Map<string, { kind: "volume"; name: string }>();
  for (const g of ctx.fed.gateways) {
    const state = { kind: "volume" as const, name: `cfjunit_${g.id}-state` };
    states.set(g.id, state);
    const labels = { [LABELS.federation]: "cfjunit", [LABELS.managed]: "true", [LABELS.gateway]: g.id, [LABELS.role]: g.role, [COMPOSE_PROJECT_LABEL]: "cfjunit", [COMPOSE_CONFIG_HASH_LABEL]: "h" };
    eng.addContainer({ name: `cfjunit_${g.id}_1`, image: "img:a", labels, port: g.port, state });
    eng.dataOf(state).set("marker", `${g.id} v1`);
  }
  const deps: ClawfedDeps = {
    engine: eng,
    get: eng.get,
    clock: eng.clock,
    wallNow: () => Date.UTC(2026, 11, 1, 3, 0, 0),
    compose: async () => ({ code: 0, stdout: "", stderr: "" }),
    configHash: async (_p, _t, service) => `hash-${service}`,
  };
  return { spec, outDir, ctx, eng, deps, stateOf: (id: string) => eng.dataOf(states.get(id)!) };
}

/** Spec image recorded for beta, or undefined. */
const specImage = async (spec: string) => (parseYaml(await readFile(spec, "utf8")) as { gateways: Record<string, { image?: string }> }).gateways.beta!.image;

describe("guard", () => {
  it("refuses a changing command over an unfinished journal, naming resume and abort; read-only commands get a warning", async () => {
    const w = await world();
    await assertNoJournal(w.ctx, "up");
    expect(await journalWarning(w.ctx)).toBeUndefined();
    const j = await startJournal(w.ctx, { operation: "rollout", args: {}, steps });
    // Written by this very process: not "running elsewhere", so it counts as interrupted.
    const err = await assertNoJournal(w.ctx, "up").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toMatch(/^up refused: an unfinished rollout of cfjunit, started .* stopped at a: stop \(pending\)/);
    expect((err as RuntimeError).next).toMatch(/clawfed resume .*fed\.yaml --out .*; or roll it back: clawfed abort /);
    await j.finish();
    await assertNoJournal(w.ctx, "up");
  });

  it("a just-started upgrade journal (no step yet) is described as such for status, the refusal and abort", async () => {
    const w = await world();
    await startJournal(w.ctx, { operation: "upgrade", args: { to: "2026.9.6", image: "img:b", moving: ["beta"] }, steps: [] });
    const warning = await journalWarning(w.ctx);
    expect(warning?.message).toMatch(/^an unfinished upgrade of cfjunit, started .*; it stopped before its first step: no step was planned or begun yet, so it changed nothing$/);
    await expect(assertNoJournal(w.ctx, "up")).rejects.toThrow(/up refused: .*it stopped before its first step/);
    const lines: string[] = [];
    const res = await recover(w.ctx, w.deps, "abort", { onProgress: (l) => lines.push(l) });
    expect(lines[0]).toMatch(/^rolling back the upgrade started .* \(it stopped before its first step: no step was planned or begun yet, so it changed nothing\)$/);
    expect(res).toMatchObject({ ok: true, operation: "upgrade", gateways: [] });
    expect(await readJournal(w.outDir)).toEqual({ kind: "none" });
  });

  it("says an operation is still running when its writer process is alive on this host", async () => {
    const w = await world();
    await writeJournal(w.outDir, newJournal({ ...base, federation: "cfjunit", pid: process.ppid, host: hostname(), steps }));
    await expect(assertNoJournal(w.ctx, "down")).rejects.toThrow(/a rollout of cfjunit is running right now \(process \d+\)/);
    await expect(recover(w.ctx, w.deps, "abort")).rejects.toThrow(/still running/);
  });
});

// One gateway's rollout has 6 steps: stop, snapshot, swap, gate, record, cleanup; 2 boundaries each.
const BOUNDARIES = 12;

describe("a rollout frozen at every step boundary", () => {
  for (const action of ["resume", "abort"] as const) {
    for (let n = 1; n <= BOUNDARIES; n++) {
      it(`${action} after boundary ${n}: one container on one image, recorded in the spec, state kept, nothing left over`, async () => {
        const w = await world();
        let frozenAt = "";
        let frozen!: () => void;
        const reached = new Promise<void>((r) => (frozen = r));
        setBoundaryHook((i, what) => {
          // The new container writes into the state once it runs (what a restore must undo).
          if (what === "beta:gate started") w.stateOf("beta").set("written-by-b", "1");
          if (i !== n) return;
          frozenAt = what;
          frozen();
          return new Promise<void>(() => undefined);
        });
        void rollout(w.ctx, w.deps, { image: "img:b", only: ["beta"], record: true });
        await reached;
        setBoundaryHook(undefined);
        await expect(assertNoJournal(w.ctx, "rollout")).rejects.toThrow(/refused/);
        const ctx = await openFederation(w.spec, { outDir: w.outDir });
        const res = await recover(ctx, w.deps, action);
        expect(res).toMatchObject({ ok: true, operation: "rollout", action });
        expect(await readJournal(w.outDir)).toEqual({ kind: "none" });
        const beta = (await w.eng.listContainers({ [LABELS.gateway]: "beta" })).filter((c) => !c.labels[LABELS.kind]);
        expect(beta.map((c) => [c.name, c.status])).toEqual([["cfjunit_beta_1", "running"]]);
        // resume always ends on the new image; abort keeps it only past the point of no return (record).
        const pastRecord = /^beta:(record|cleanup)/.test(frozenAt);
        const want = action === "resume" || pastRecord ? "img:b" : "img:a";
        expect(beta[0]!.image, frozenAt).toBe(want);
        expect((await specImage(w.spec)) ?? "img:a").toBe(want);
        expect(w.stateOf("beta").get("marker")).toBe("beta v1");
        if (want === "img:a") expect(w.stateOf("beta").has("written-by-b")).toBe(false);
        expect(await w.eng.listVolumes({ [LABELS.federation]: "cfjunit" })).toEqual([]);
        expect((await w.eng.inspect(`cfjunit_beta_1${PREVIOUS_SUFFIX}`)) ?? null).toBeNull();
        expect((await w.eng.inspect("cfjunit_hub_1"))!.image).toBe("img:a");
      });
    }
  }

  it("has exactly 12 boundaries for one gateway", async () => {
    const w = await world();
    const seen: string[] = [];
    setBoundaryHook((_i, what) => void seen.push(what));
    const res = await rollout(w.ctx, w.deps, { image: "img:b", only: ["beta"], record: true });
    expect(res.ok).toBe(true);
    expect(seen.length).toBe(BOUNDARIES);
    expect(seen.slice(0, 3)).toEqual(["beta:stop started", "beta:stop ran", "beta:snapshot started"]);
    expect(await readJournal(w.outDir)).toEqual({ kind: "none" });
    expect(await specImage(w.spec)).toBe("img:b");
  });

  it("two spokes, frozen while the second runs its gate: abort keeps the first (recorded), puts the second back", async () => {
    const w = await world(SPEC2);
    let frozen!: () => void;
    const reached = new Promise<void>((r) => (frozen = r));
    setBoundaryHook((_i, what) => {
      if (what !== "delta:gate started") return;
      frozen();
      return new Promise<void>(() => undefined);
    });
    void rollout(w.ctx, w.deps, { image: "img:b", record: true });
    await reached;
    setBoundaryHook(undefined);
    const res = await recover(await openFederation(w.spec, { outDir: w.outDir }), w.deps, "abort");
    expect(res.gateways.map((g) => [g.id, g.outcome])).toEqual([
      ["beta", "kept"],
      ["delta", "rolled-back"],
    ]);
    const img = async (id: string) => (await w.eng.inspect(`cfjunit_${id}_1`))!.image;
    expect([await img("beta"), await img("delta"), await img("hub")]).toEqual(["img:b", "img:a", "img:a"]);
    const gws = (parseYaml(await readFile(w.spec, "utf8")) as { gateways: Record<string, { image?: string }> }).gateways;
    expect([gws.beta!.image, gws.delta!.image]).toEqual(["img:b", undefined]);
    expect(await readJournal(w.outDir)).toEqual({ kind: "none" });
  });

  it("two spokes, frozen at the first one's swap: resume rolls it back, then rolls out both", async () => {
    const w = await world(SPEC2);
    let frozen!: () => void;
    const reached = new Promise<void>((r) => (frozen = r));
    setBoundaryHook((_i, what) => {
      if (what !== "beta:swap ran") return;
      frozen();
      return new Promise<void>(() => undefined);
    });
    void rollout(w.ctx, w.deps, { image: "img:b", record: true });
    await reached;
    setBoundaryHook(undefined);
    const res = await recover(await openFederation(w.spec, { outDir: w.outDir }), w.deps, "resume");
    expect(res.ok).toBe(true);
    expect(res.rollout?.gateways.map((g) => [g.id, g.outcome])).toEqual([
      ["beta", "updated"],
      ["delta", "updated"],
    ]);
    const gws = (parseYaml(await readFile(w.spec, "utf8")) as { gateways: Record<string, { image?: string }> }).gateways;
    expect([gws.beta!.image, gws.delta!.image]).toEqual(["img:b", "img:b"]);
    expect((await w.eng.listContainers({ [LABELS.federation]: "cfjunit" })).filter((c) => !c.labels[LABELS.kind]).map((c) => `${c.name} ${c.image} ${c.status}`).sort()).toEqual([
      "cfjunit_beta_1 img:b running",
      "cfjunit_delta_1 img:b running",
      "cfjunit_hub_1 img:a running",
    ]);
  });

  it("nothing to do without a journal", async () => {
    const w = await world();
    expect(await recover(w.ctx, w.deps, "resume")).toMatchObject({ ok: true, operation: "none" });
  });
});

describe("an interrupted restore", () => {
  const journalFor = async (w: Awaited<ReturnType<typeof world>>, upTo: "stage" | "swap-files") => {
    const beta = (await w.eng.inspect("cfjunit_beta_1"))!;
    await w.eng.stop(beta.id);
    let j = newJournal({ ...base, operation: "restore", federation: "cfjunit", pid: 1, host: "elsewhere", args: { from: "/nowhere.tar.gz", force: true, withKnowledge: false }, steps: restoreSteps([{ id: beta.id, name: beta.name, image: "img:a", status: "running", labels: { [LABELS.gateway]: "beta" } }]) });
    j = markStep(markStep(j, "beta:stop", "started"), "beta:stop", "done");
    j = markStep(j, "stage", "started");
    if (upTo === "swap-files") j = markStep(markStep(j, "stage", "done"), "swap-files", "started");
    await writeJournal(w.outDir, j);
    return beta.id;
  };

  it("abort before any file was replaced starts what it stopped", async () => {
    const w = await world();
    const id = await journalFor(w, "stage");
    const res = await recover(w.ctx, w.deps, "abort");
    expect(res).toMatchObject({ ok: true, operation: "restore", gateways: [{ id: "beta", outcome: "rolled-back" }] });
    expect((await w.eng.inspect(id))!.running).toBe(true);
    expect(await readJournal(w.outDir)).toEqual({ kind: "none" });
  });

  it("abort after files were replaced finishes the restore instead (there is no way back); with its archive gone that fails, and the journal stays", async () => {
    const w = await world();
    await journalFor(w, "swap-files");
    const lines: string[] = [];
    const err = await recover(w.ctx, w.deps, "abort", { onProgress: (l) => lines.push(l) }).catch((e: unknown) => e);
    expect(lines).toContain("the restore already replaced host files or states: there is no way back short of another archive, so it is finished instead");
    expect((err as Error).message).toMatch(/nowhere\.tar\.gz/);
    expect((await readJournal(w.outDir)).kind).toBe("journal");
  });
});
