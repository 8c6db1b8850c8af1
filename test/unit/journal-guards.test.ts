// Every target checks the operation journal (ops/journal.ts): swarm, native and ECS commands that
// change a federation refuse over an unfinished operation before touching anything, read-only ones
// warn. And a refused `up` (planned subnets taken) leaves every file as it was: the subnets are
// checked on the compile, before anything is written.
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { LABELS } from "../../src/vocabulary/labels.js";
import { newJournal } from "../../src/vocabulary/journal.js";
import { writeJournal } from "../../src/emit/journal-file.js";
import { RuntimeError } from "../../src/errors.js";
import { createClawfed, type ClawfedDeps } from "../../src/index.js";
import { generate } from "../../src/ops/generate.js";
import { COMPOSE_PROJECT_LABEL } from "../../src/runtime/containers.js";
import type { SwarmEngine } from "../../src/runtime/swarm/types.js";
import { MemoryEngine } from "../helpers/memory-engine.js";
import { tempDir } from "../helpers/tmp.js";

const SPEC = `name: cfjguard
gateways:
  hub: { role: hub, port: 28620, description: Hub., model: anthropic/claude-sonnet-4-6 }
  alpha: { port: 28740, description: Alpha., model: anthropic/claude-sonnet-4-6 }
links:
  - { from: hub, to: alpha }
`;

/** A spec, and an output folder holding the journal of an interrupted rollout written by another (dead) process. */
async function interrupted(name = "guard"): Promise<{ spec: string; out: string }> {
  const dir = await tempDir(name);
  const spec = path.join(dir, "cfjguard.yaml");
  await writeFile(spec, SPEC);
  const out = path.join(dir, "out");
  const steps = [{ key: "alpha:stop", gateway: "alpha", action: "stop", rollback: "start it again" }];
  await writeJournal(out, newJournal({ operation: "rollout", federation: "cfjguard", spec, pid: 1, host: "another-host", startedAt: "2026-12-01T05:00:00.000Z", args: {}, steps }));
  return { spec, out };
}

/** A Swarm engine that records every call (nothing may be called over an unfinished operation). */
function touchedSwarm(calls: string[]): SwarmEngine {
  return new Proxy({} as SwarmEngine, {
    get: (_t, prop) => async () => {
      calls.push(String(prop));
      throw new Error(`swarm engine called: ${String(prop)}`);
    },
  });
}

function deps(eng = new MemoryEngine()): ClawfedDeps {
  return { engine: eng, get: eng.get, clock: eng.clock, wallNow: () => Date.UTC(2026, 11, 1), compose: async () => ({ code: 0, stdout: "", stderr: "" }), configHash: async () => undefined };
}

const refused = /refused: an unfinished rollout of cfjguard, started 2026-12-01T05:00:00\.000Z by process 1 on another-host; stopped at alpha: stop \(pending\)/;

describe("swarm, native and ecs operations check the journal", () => {
  it("swarm up and down refuse (exit 3) before the Swarm engine is asked anything; status and logs warn", async () => {
    const { spec, out } = await interrupted("guard-swarm");
    const calls: string[] = [];
    const ops = createClawfed({ ...deps(), swarm: touchedSwarm(calls) });
    for (const call of [() => ops.swarm.up(spec, { out }), () => ops.swarm.down(spec, { out })]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RuntimeError);
      expect((err as Error).message).toMatch(refused);
      expect((err as RuntimeError).next).toMatch(/clawfed resume .*cfjguard\.yaml --out .*; or roll it back: clawfed abort /);
    }
    expect(calls).toEqual([]);
    const lines: string[] = [];
    await ops.swarm.status(spec, { out, onProgress: (l) => lines.push(l) }).catch(() => undefined);
    let stderr = "";
    await ops.swarm.logs(spec, { out, gateway: "hub", sink: { stdout: () => undefined, stderr: (t) => (stderr += t) } }).catch(() => undefined);
    expect(lines).toEqual([expect.stringMatching(/^warning: an unfinished rollout of cfjguard, .* \(finish it: clawfed resume /)]);
    expect(stderr).toMatch(/^warning: an unfinished rollout of cfjguard, /);
  });

  it("native up, restart and down refuse before PM2 or any process is touched; status warns", async () => {
    const { spec, out } = await interrupted("guard-native");
    const ops = createClawfed(deps());
    const calls: Array<[string, () => Promise<unknown>]> = [
      ["native up", () => ops.native.up(spec, { out, generate: true })],
      ["native restart", () => ops.native.restart(spec, { out })],
      ["native down", () => ops.native.down(spec, { out })],
    ];
    for (const [name, call] of calls) {
      const err = await call().catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(RuntimeError);
      expect((err as Error).message).toMatch(new RegExp(`^${name} ${refused.source}`));
    }
    // Nothing was generated into the root (native up --generate would have written the files first).
    expect((await readdir(out)).sort()).toEqual([".clawfed"]);
    const lines: string[] = [];
    await ops.native.status(spec, { out, onProgress: (l) => lines.push(l) }).catch(() => undefined);
    expect(lines).toEqual([expect.stringMatching(/^warning: an unfinished rollout of cfjguard, /)]);
  });

  it("ecs run-task (read-only: it prints a RunTask input) carries the warning in its result", async () => {
    const dir = await tempDir("guard-ecs");
    const out = path.join(dir, "out");
    const steps = [{ key: "medico:stop", gateway: "medico", action: "stop", rollback: "start it again" }];
    const ops = createClawfed(deps());
    const clean = await ops.ecs.runTask("federations/korax.yaml", "medico", { out });
    expect(clean.interrupted).toBeUndefined();
    await writeJournal(out, newJournal({ operation: "upgrade", federation: "korax", spec: "federations/korax.yaml", pid: 1, host: "another-host", startedAt: "2026-12-01T05:00:00.000Z", args: {}, steps }));
    const res = await ops.ecs.runTask("federations/korax.yaml", "medico", { out });
    expect(res.ok).toBe(true);
    expect(res.interrupted).toMatchObject({ message: expect.stringMatching(/^an unfinished upgrade of korax, /), next: expect.stringMatching(/clawfed resume federations\/korax\.yaml --out /) });
  });
});

/** Every file under `dir` with its bytes and mtime. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    out.set(path.relative(dir, p), `${(await stat(p)).mtimeMs} ${(await readFile(p)).toString("base64")}`);
  }
  return out;
}

describe("a refused up", () => {
  it("leaves every generated file as it was (bytes and mtime), though it was asked for another image", async () => {
    const dir = await tempDir("guard-up");
    const spec = path.join(dir, "cfjguard.yaml");
    await writeFile(spec, SPEC);
    const out = path.join(dir, "out");
    await generate({ spec, outDir: out, image: "img:a" });
    const before = await snapshot(out);
    const eng = new MemoryEngine();
    eng.addImage("img:a");
    eng.addImage("img:b");
    for (const [id, port] of [["hub", 28620], ["alpha", 28740]] as const) {
      eng.addContainer({ name: `cfjguard_${id}_1`, image: "img:a", labels: { [LABELS.federation]: "cfjguard", [LABELS.managed]: "true", [LABELS.gateway]: id, [COMPOSE_PROJECT_LABEL]: "cfjguard" }, port, state: { kind: "volume", name: `cfjguard_${id}-state` } });
    }
    // The federation's own network exists with another subnet (made before network.pool): refused.
    eng.networks = [{ name: "cfjguard_hub-egress", subnets: ["172.30.0.0/16"], labels: {} }];
    const composeCalls: string[][] = [];
    const d: ClawfedDeps = { ...deps(eng), compose: async (_p, args) => (composeCalls.push(args), { code: 0, stdout: "", stderr: "" }), hostRoutes: async () => [] };
    // `--image img:b` would rewrite every service's image in docker-compose.yml.
    const err = await createClawfed(d).up(spec, { out, image: "img:b", timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toMatch(/cfjguard_hub-egress \S+ differs from the existing network of that name \(172\.30\.0\.0\/16\)/);
    expect(composeCalls).toEqual([]);
    expect(await snapshot(out)).toEqual(before);
    expect(await readFile(path.join(out, "docker-compose.yml"), "utf8")).not.toContain("img:b");
  });
});
