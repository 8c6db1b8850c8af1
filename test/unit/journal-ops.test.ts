// Interrupted `remove` and `upgrade`, frozen at every step boundary (setBoundaryHook: a promise that
// never settles stands for the SIGKILL), then `resume` or `abort` in a fresh context: the
// federation ends with exactly one container per gateway on one image, states intact, the spec
// naming what runs, and no journal, snapshot or previous container left. In-memory engine, a fake
// compose that creates/starts/recreates one service the way `compose up -d --no-deps` does, real
// spec files, real generate() and a real backup archive. The same for real: test/e2e/journal-ops.test.ts.
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import { parse as parseYaml, parseDocument } from "yaml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LABELS } from "../../src/vocabulary/labels.js";
import { generate } from "../../src/ops/generate.js";
import { openFederation } from "../../src/ops/context.js";
import type { ClawfedDeps } from "../../src/ops/deps.js";
import { assertNoJournal, setBoundaryHook } from "../../src/ops/journal.js";
import { recover } from "../../src/ops/recover.js";
import { applyRemove, planRemove } from "../../src/ops/remove.js";
import { upgrade } from "../../src/ops/upgrade.js";
import { REHEARSAL_KIND, REHEARSAL_SUFFIX } from "../../src/ops/upgrade-rehearse.js";
import { runDoctor } from "../../src/ops/doctor.js";
import { DOCTOR_CHECKS } from "../../src/ops/doctor-checks.js";
import { verifyBackup } from "../../src/ops/verify.js";
import { readJournal } from "../../src/emit/journal-file.js";
import { COMPOSE_CONFIG_HASH_LABEL, COMPOSE_PROJECT_LABEL, PREVIOUS_SUFFIX } from "../../src/runtime/containers.js";
import { MemoryEngine } from "../helpers/memory-engine.js";

const dirs: string[] = [];
afterEach(async () => {
  setBoundaryHook(undefined);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const FED = "cfjops";
const PORTS: Record<string, number> = { hub: 28610, alpha: 28611, beta: 28612 };
const SPEC = `# journal-ops unit federation
name: ${FED}
gateways:
  hub: { role: hub, port: ${PORTS.hub}, description: Hub., model: anthropic/claude-sonnet-4-6 }
  alpha: { role: spoke, port: ${PORTS.alpha}, description: Alpha., model: anthropic/claude-sonnet-4-6 } # removed below
  beta: { role: spoke, port: ${PORTS.beta}, description: Beta., model: anthropic/claude-sonnet-4-6 }
links:
  - { from: hub, to: alpha }
  - { from: hub, to: beta }
`;
const OLD = "openclaw:2026.9.5-local";
const NEW = "openclaw:2026.9.6-local";
const stateName = (id: string) => `${FED}_${id}-state`;

async function world() {
  const dir = await mkdtemp(path.join(tmpdir(), "cfjops-unit-"));
  dirs.push(dir);
  const spec = path.join(dir, `${FED}.yaml`);
  await writeFile(spec, SPEC);
  const outDir = path.join(dir, "out");
  await generate({ spec, outDir, image: OLD });
  const eng = new MemoryEngine();
  const version = (ref: string, v: string) => {
    eng.addImage(ref);
    eng.images.get(ref)!.labels = { "ai.clawfed.openclaw-version": v };
  };
  version(OLD, "2026.9.5");
  version(NEW, "2026.9.6");
  const labelsOf = (id: string) => ({ [LABELS.federation]: FED, [LABELS.managed]: "true", [LABELS.gateway]: id, [LABELS.role]: id === "hub" ? "hub" : "spoke", [COMPOSE_PROJECT_LABEL]: FED, [COMPOSE_CONFIG_HASH_LABEL]: "h" });
  const add = (id: string, image: string) => eng.addContainer({ name: `${FED}_${id}_1`, image, labels: labelsOf(id), port: PORTS[id]!, state: { kind: "volume", name: stateName(id) } });
  for (const id of Object.keys(PORTS)) {
    // The state volume as compose creates it (clawfed's labels: backup finds it by them).
    await eng.createVolume(stateName(id), { [LABELS.federation]: FED, [LABELS.gateway]: id, [LABELS.kind]: "state" });
    add(id, OLD);
    eng.dataOf({ kind: "volume", name: stateName(id) }).set("marker", `${id} v1`);
  }
  const composeCalls: string[][] = [];
  const deps: ClawfedDeps = {
    engine: eng,
    get: eng.get,
    clock: eng.clock,
    wallNow: () => Date.UTC(2026, 11, 1, 3, 0, 0),
    // `compose up -d --no-deps <service>` as compose does it, for a service of the compose file on disk.
    compose: async (_p, args) => {
      composeCalls.push(args);
      const id = args[args.length - 1]!;
      const doc = parseYaml(await readFile(path.join(outDir, "docker-compose.yml"), "utf8")) as { services: Record<string, { image: string }> };
      const svc = doc.services[id];
      if (args[0] !== "up" || !svc) return { code: 1, stdout: "", stderr: `no such service: ${id}` };
      const c = (await eng.listContainers({ [LABELS.gateway]: id })).find((x) => !x.labels[LABELS.kind]);
      if (c && c.status === "running") await eng.remove(c.id);
      if (c && c.status !== "running" && c.image === svc.image) await eng.start(c.id);
      else add(id, svc.image);
      return { code: 0, stdout: "", stderr: "" };
    },
    configHash: async (_p, _t, service) => `hash-${service}`,
  };
  const gatewayList = async () =>
    (await eng.listContainers({ [LABELS.federation]: FED }))
      .filter((c) => !c.labels[LABELS.kind])
      .map((c) => `${c.name} ${c.image} ${c.status}`)
      .sort();
  return { dir, spec, outDir, eng, deps, composeCalls, gatewayList, state: (id: string) => eng.dataOf({ kind: "volume", name: stateName(id) }) };
}
type World = Awaited<ReturnType<typeof world>>;

/** Run `start` until step boundary `n`, where it freezes for good (as after a SIGKILL); returns what the boundary was. */
async function freezeAt(n: number, start: () => Promise<unknown>): Promise<string> {
  let at = "";
  let reached!: () => void;
  const frozen = new Promise<void>((r) => (reached = r));
  setBoundaryHook((i, what) => {
    if (i !== n) return;
    at = what;
    reached();
    return new Promise<void>(() => undefined);
  });
  const run = start().then(
    () => "finished",
    (e: unknown) => `failed: ${(e as Error).message}`,
  );
  const first = await Promise.race([frozen.then(() => "frozen"), run]);
  setBoundaryHook(undefined);
  if (first !== "frozen") throw new Error(`the operation did not reach boundary ${n}: ${first}`);
  return at;
}

/** Every boundary an operation passes when nothing stops it. */
async function boundariesOf(start: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  setBoundaryHook((_i, what) => void seen.push(what));
  await start();
  setBoundaryHook(undefined);
  return seen;
}

const removeAlpha = async (w: World) => applyRemove(await planRemove(w.spec, "alpha", { outDir: w.outDir }), w.deps, { healthTimeoutMs: 30_000 });

describe("remove, interrupted at every step boundary", () => {
  it("a remove passes 16 boundaries (8 steps) and leaves nothing of the gateway", async () => {
    const w = await world();
    const seen = await boundariesOf(() => removeAlpha(w));
    expect(seen.filter((s) => s.endsWith(" started"))).toEqual(["alpha:stop", "alpha:backup", "alpha:remove-container", "write-spec", "generate", "hub:recreate", "alpha:remove-resources", "alpha:forget-tokens"].map((k) => `${k} started`));
    expect(seen.length).toBe(16);
    expect(await readJournal(w.outDir)).toEqual({ kind: "none" });
    expect(await w.gatewayList()).toEqual([`${FED}_beta_1 ${OLD} running`, `${FED}_hub_1 ${OLD} running`]);
  });

  const BOUNDARIES = 16;
  /** Boundary "alpha:remove-resources started": from here abort finishes the remove too. */
  const NO_RETURN = 13;
  for (const action of ["resume", "abort"] as const) {
    for (let n = 1; n <= BOUNDARIES; n++) {
      it(`${action} after boundary ${n}`, async () => {
        const w = await world();
        const envBefore = await readFile(path.join(w.outDir, ".env"), "utf8");
        const composeBefore = await readFile(path.join(w.outDir, "docker-compose.yml"), "utf8");
        const betaBefore = (await w.eng.inspect(`${FED}_beta_1`))!.id;
        const at = await freezeAt(n, () => removeAlpha(w));
        await expect(assertNoJournal(await openFederation(w.spec, { outDir: w.outDir }), "up")).rejects.toThrow(/up refused: an unfinished remove of cfjops/);
        const res = await recover(await openFederation(w.spec, { outDir: w.outDir }), w.deps, action);
        expect(res, at).toMatchObject({ ok: true, operation: "remove", action });
        expect(await readJournal(w.outDir)).toEqual({ kind: "none" });
        const removed = action === "resume" || n >= NO_RETURN;
        const env = parseDotenv(await readFile(path.join(w.outDir, ".env"), "utf8"));
        const spec = await readFile(w.spec, "utf8");
        if (removed) {
          expect(await w.gatewayList(), at).toEqual([`${FED}_beta_1 ${OLD} running`, `${FED}_hub_1 ${OLD} running`]);
          expect(Object.keys((parseYaml(spec) as { gateways: object }).gateways)).toEqual(["hub", "beta"]);
          expect(spec).toContain("# journal-ops unit federation");
          expect(Object.keys(env).filter((k) => k.includes("ALPHA"))).toEqual([]);
          expect(w.eng.data.has(`volume:${stateName("alpha")}`)).toBe(false);
          expect(existsSync(path.join(w.outDir, "workspaces", "alpha"))).toBe(false);
          // Its state is in a verified archive (made once, or again by resume when the kill came before it was published).
          expect(res.gateways[0]!.detail).toMatch(/its backup: .*\.tar\.gz/);
          const file = /its backup: (\S+)/.exec(res.gateways[0]!.detail)![1]!;
          expect((await verifyBackup(file)).gateways.map((g) => g.id)).toEqual(["alpha"]);
        } else {
          expect(await w.gatewayList(), at).toEqual([`${FED}_alpha_1 ${OLD} running`, `${FED}_beta_1 ${OLD} running`, `${FED}_hub_1 ${OLD} running`]);
          expect(spec).toBe(SPEC);
          expect(await readFile(path.join(w.outDir, ".env"), "utf8")).toBe(envBefore);
          expect(w.state("alpha").get("marker")).toBe("alpha v1");
          // Byte for byte: alpha's networks keep their subnets (compose would refuse a changed one).
          expect(await readFile(path.join(w.outDir, "docker-compose.yml"), "utf8")).toBe(composeBefore);
        }
        expect(w.state("hub").get("marker")).toBe("hub v1");
        // beta is linked to the hub only: no step of removing alpha touches it.
        expect((await w.eng.inspect(`${FED}_beta_1`))!.id).toBe(betaBefore);
      });
    }
  }
});

const upgradeAll = async (w: World) => upgrade(await openFederation(w.spec, { outDir: w.outDir }), w.deps, { to: "2026.9.6", pull: "never", healthTimeoutMs: 30_000 });

describe("upgrade, interrupted at every step boundary", () => {
  /** 3 gateways × 5 rollout steps (its own record step stays pending: the upgrade records once) + record, two boundaries each. */
  const BOUNDARIES = 3 * 5 * 2 + 2;

  it(`an upgrade of three gateways passes ${BOUNDARIES} boundaries`, async () => {
    const w = await world();
    const seen = await boundariesOf(() => upgradeAll(w));
    // Each gateway: stop, snapshot, swap, gate, cleanup (its rollout record step stays pending); then record.
    expect(seen.length).toBe(BOUNDARIES);
    expect(seen.slice(-2)).toEqual(["record started", "record ran"]);
    expect(await readJournal(w.outDir)).toEqual({ kind: "none" });
  });

  for (const action of ["resume", "abort"] as const) {
    for (let n = 1; n <= BOUNDARIES; n++) {
      it(`${action} after boundary ${n}`, async () => {
        const w = await world();
        const at = await freezeAt(n, () => upgradeAll(w));
        const res = await recover(await openFederation(w.spec, { outDir: w.outDir }), w.deps, action);
        expect(res, at).toMatchObject({ ok: true, operation: "upgrade", action });
        expect(await readJournal(w.outDir)).toEqual({ kind: "none" });
        const list = await w.gatewayList();
        expect(list.length, at).toBe(3);
        for (const l of list) expect(l, at).toMatch(/ running$/);
        const images = new Map(list.map((l) => [l.split(" ")[0]!.split("_")[1]!, l.split(" ")[1]!]));
        if (action === "resume") for (const img of images.values()) expect(img, at).toBe(NEW);
        // The spec names what each gateway runs.
        const doc = parseDocument(await readFile(w.spec, "utf8")).toJS() as { openclaw?: { version?: string; image?: string }; gateways: Record<string, { image?: string }> };
        for (const [id, img] of images) expect(doc.gateways[id]!.image ?? doc.openclaw?.image ?? OLD, `${at}: ${id}`).toBe(img);
        const all = [...images.values()].every((i) => i === NEW);
        expect(doc.openclaw?.version, at).toBe(all ? "2026.9.6" : undefined);
        for (const id of Object.keys(PORTS)) expect(w.state(id).get("marker"), `${at}: ${id}`).toBe(`${id} v1`);
        expect((await w.eng.listVolumes({ [LABELS.federation]: FED })).filter((v) => v.labels[LABELS.kind] !== "state")).toEqual([]);
        expect([...w.eng.containers.values()].filter((c) => c.info.name.endsWith(PREVIOUS_SUFFIX))).toEqual([]);
      });
    }
  }
});

describe("an upgrade whose record step fails", () => {
  it("keeps its journal and names resume (every command refuses meanwhile); resume records it", async () => {
    const { symlink, unlink } = await import("node:fs/promises");
    const w = await world();
    const compose = path.join(w.outDir, "docker-compose.yml");
    const text = await readFile(compose, "utf8");
    // The writer never follows a link: regenerating the output fails while one sits there.
    setBoundaryHook(async (_i, what) => {
      if (what !== "record started") return;
      await unlink(compose);
      await symlink(path.join(w.dir, "elsewhere.yml"), compose);
    });
    const err = await upgradeAll(w).catch((e: unknown) => e);
    setBoundaryHook(undefined);
    expect((err as Error).message).toMatch(/could not record it/);
    expect((err as Error).message).toMatch(/Next: fix the cause, then clawfed resume .*cfjops\.yaml --out .* \(it records the upgrade again\)/);
    expect(await readJournal(w.outDir)).toMatchObject({ kind: "journal", journal: { operation: "upgrade" } });
    await expect(assertNoJournal(await openFederation(w.spec, { outDir: w.outDir }), "generate")).rejects.toThrow(/generate refused: an unfinished upgrade/);
    expect(await w.gatewayList()).toEqual([`${FED}_alpha_1 ${NEW} running`, `${FED}_beta_1 ${NEW} running`, `${FED}_hub_1 ${NEW} running`]);
    await unlink(compose);
    await writeFile(compose, text);
    const res = await recover(await openFederation(w.spec, { outDir: w.outDir }), w.deps, "resume");
    expect(res).toMatchObject({ ok: true, operation: "upgrade", message: expect.stringMatching(/records: openclaw\.version = 2026\.9\.6/) });
    expect(parseDocument(await readFile(w.spec, "utf8")).toJS()).toMatchObject({ openclaw: { version: "2026.9.6", image: NEW } });
    expect(await readJournal(w.outDir)).toEqual({ kind: "none" });
  });
});

describe("a remove killed with its archive published but the backup step not yet done", () => {
  const archives = async (w: World) => (await readdir(path.join(w.dir, "backups"))).sort();

  it("resume keeps the one archive the journal names (no second archive)", async () => {
    const w = await world();
    // Boundary 4: "alpha:backup ran": the archive is published, the journal still says started.
    expect(await freezeAt(4, () => removeAlpha(w))).toBe("alpha:backup ran");
    const before = await archives(w);
    expect(before).toHaveLength(1);
    const res = await recover(await openFederation(w.spec, { outDir: w.outDir }), w.deps, "resume");
    expect(res).toMatchObject({ ok: true, operation: "remove" });
    expect(await archives(w)).toEqual(before);
    expect(res.gateways[0]!.detail).toContain(path.join(w.dir, "backups", before[0]!));
  });

  it("resume writes the journal's archive again when the file there does not verify", async () => {
    const w = await world();
    await freezeAt(4, () => removeAlpha(w));
    const [name] = await archives(w);
    const file = path.join(w.dir, "backups", name!);
    await writeFile(file, "not a gzip archive");
    const res = await recover(await openFederation(w.spec, { outDir: w.outDir }), w.deps, "resume");
    expect(res).toMatchObject({ ok: true, operation: "remove" });
    expect(await archives(w)).toEqual([name]);
    expect((await verifyBackup(file)).gateways.map((g) => g.id)).toEqual(["alpha"]);
  });

  it("the journal names the archive before the backup step runs", async () => {
    const w = await world();
    await freezeAt(3, () => removeAlpha(w));
    const found = await readJournal(w.outDir);
    expect(found.kind).toBe("journal");
    const file = (found as { journal: { args: Record<string, unknown> } }).journal.args.backupFile;
    expect(file).toMatch(new RegExp(`^${path.join(w.dir, "backups").replace(/[/\\.]/g, "\\$&")}/${FED}-\\d{8}T\\d{6}Z\\.tar\\.gz$`));
    await recover(await openFederation(w.spec, { outDir: w.outDir }), w.deps, "resume");
    expect(await archives(w)).toEqual([path.basename(String(file))]);
  });
});

describe("a rehearsal killed before the upgrade's journal starts", () => {
  const rehearsal = { [LABELS.federation]: FED, [LABELS.kind]: REHEARSAL_KIND };
  const scratch = async (w: World) => ({
    containers: (await w.eng.listContainers(rehearsal)).map((c) => c.name),
    networks: [...w.eng.createdNetworks.keys()],
    volumes: (await w.eng.listVolumes(rehearsal)).map((v) => v.name),
  });
  /** Start an upgrade and freeze it for good when it starts its first scratch gateway (as a SIGKILL there would). */
  async function killInRehearsal(w: World): Promise<void> {
    const start = w.eng.start.bind(w.eng);
    let reached!: () => void;
    const at = new Promise<void>((r) => (reached = r));
    w.eng.start = async (id: string) => {
      if (!(await w.eng.inspect(id))?.name.endsWith(REHEARSAL_SUFFIX)) return start(id);
      reached();
      return new Promise<void>(() => undefined);
    };
    void upgradeAll(w);
    await at;
    w.eng.start = start;
  }
  // The frozen rehearsal never reaches its cleanup: its config folder (mkdtemp in the OS temp dir) is removed here.
  let tmpBefore: string[] = [];
  const rehearsalTmp = async () => (await readdir(tmpdir())).filter((n) => n.startsWith("clawfed-rehearsal-"));
  beforeEach(async () => void (tmpBefore = await rehearsalTmp()));
  afterEach(async () => {
    for (const n of (await rehearsalTmp()).filter((x) => !tmpBefore.includes(x))) await rm(path.join(tmpdir(), n), { recursive: true, force: true });
  });
  const scratchDoctor = async (w: World) => (await runDoctor(await openFederation(w.spec, { outDir: w.outDir }), w.deps, DOCTOR_CHECKS.filter((c) => c.name === "scratch"))).findings;

  it("leaves labelled scratch resources: doctor warns with the command that removes them, the next upgrade removes them", async () => {
    const w = await world();
    await killInRehearsal(w);
    const left = await scratch(w);
    expect(left).toEqual({ containers: [`${FED}_alpha_1${REHEARSAL_SUFFIX}`], networks: [`${FED}_alpha_1${REHEARSAL_SUFFIX}`], volumes: [expect.stringMatching(/^cfjops_alpha-state\.rehearsal-\d{8}t\d{6}z$/)] });
    expect(await readJournal(w.outDir)).toEqual({ kind: "none" });
    // The next command runs later: a new rehearsal names its volumes after another time.
    w.deps.wallNow = () => Date.UTC(2026, 11, 1, 4, 0, 0);
    expect(await scratchDoctor(w)).toEqual([
      {
        check: "scratch",
        status: "warn",
        detail: `an upgrade's rehearsal was killed and left 1 container, 1 network, 1 volume (label ${LABELS.kind}=${REHEARSAL_KIND}): ${left.containers[0]}, ${left.networks[0]}, ${left.volumes[0]}`,
        fix: `docker rm -f ${left.containers[0]} && docker network rm ${left.networks[0]} && docker volume rm ${left.volumes[0]} (or run clawfed upgrade again: it removes them first)`,
      },
    ]);
    const res = await upgradeAll(w);
    expect(res.ok).toBe(true);
    expect(await scratch(w)).toEqual({ containers: [], networks: [], volumes: [] });
    expect(await scratchDoctor(w)).toEqual([{ check: "scratch", status: "ok", detail: "no scratch resources of a rehearsal left" }]);
  });

  it("a rehearsal of a process still running is not touched (its owner label names a live process)", async () => {
    const w = await world();
    await w.eng.createVolume(`${stateName("alpha")}.rehearsal-20261130t000000z`, { ...rehearsal, [LABELS.gateway]: "alpha", [LABELS.scratchOwner]: `${process.ppid}@${hostname()}` });
    expect(await scratchDoctor(w)).toEqual([{ check: "scratch", status: "ok", detail: "no scratch resources of a rehearsal left" }]);
    expect((await upgradeAll(w)).ok).toBe(true);
    expect((await scratch(w)).volumes).toEqual([`${stateName("alpha")}.rehearsal-20261130t000000z`]);
  });
});
