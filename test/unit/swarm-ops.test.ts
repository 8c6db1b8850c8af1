// The swarm use cases against an in-memory Swarm (the real one: test/e2e/swarm.test.ts): what up
// checks before it creates anything, what it creates, that a second up creates nothing new, that
// down removes only the stack's objects, and how status reports a rollback.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { generate } from "../../src/ops/generate.js";
import { ownership, swarmDown, swarmUp, type SwarmDeps } from "../../src/ops/swarm.js";
import { swarmStatus } from "../../src/ops/swarm-status.js";
import { renderSwarmStatus } from "../../src/cli/commands/swarm.js";
import { manualClock } from "../helpers/clock.js";
import { openFederation } from "../../src/ops/context.js";
import type { Engine, Labels } from "../../src/runtime/docker/types.js";
import type { HttpGet } from "../../src/runtime/health.js";
import type { NetworkInfo, SecretInfo, ServiceInfo, SwarmEngine, SwarmNode, SwarmState, TaskInfo } from "../../src/runtime/swarm/types.js";
import { tempDir } from "../helpers/tmp.js";
import { createClawfed } from "../../src/ops/clawfed.js";
import { UsageError } from "../../src/errors.js";

const SPEC = "federations/korax.yaml";
const has = (l: Labels, want: Labels) => Object.entries(want).every(([k, v]) => l[k] === v);

/** A swarm in memory: every created service gets one running task at once. */
function memorySwarm(state: SwarmState = "active") {
  let n = 0;
  const id = (p: string) => `${p}${++n}`;
  const s = {
    state,
    nodes: [{ id: "node1", hostname: "vm", labels: {}, version: 1, availability: "active", state: "ready" }] as SwarmNode[],
    services: [] as ServiceInfo[],
    tasks: [] as TaskInfo[],
    secrets: [] as Array<SecretInfo & { data: string }>,
    networks: [] as NetworkInfo[],
    calls: [] as string[],
  };
  const engine: SwarmEngine = {
    info: async () => ({ state: s.state, nodeId: "node1", manager: s.state === "active" }),
    nodes: async () => s.nodes,
    labelNode: async (nid, labels) => {
      s.calls.push(`label ${nid}`);
      const node = s.nodes.find((x) => x.id === nid)!;
      node.labels = { ...node.labels, ...labels };
    },
    services: async (labels) => s.services.filter((x) => has(x.labels, labels)),
    createService: async (spec) => {
      s.calls.push(`create service ${spec.Name}`);
      const sid = id("svc");
      const image = (spec.TaskTemplate as { ContainerSpec: { Image: string } }).ContainerSpec.Image;
      s.services.push({ id: sid, name: spec.Name!, version: 1, labels: spec.Labels ?? {}, image, spec });
      s.tasks.push({ id: id("task"), serviceId: sid, state: "running", desiredState: "running", message: "started", image, timestamp: "2026-12-01T00:00:00Z", containerId: "c".repeat(64) });
      return sid;
    },
    updateService: async (sid, version, spec) => {
      s.calls.push(`update service ${spec.Name}`);
      const svc = s.services.find((x) => x.id === sid)!;
      expect(version).toBe(svc.version);
      Object.assign(svc, { spec, version: version + 1 });
    },
    removeService: async (sid) => {
      s.calls.push(`remove service ${sid}`);
      s.services = s.services.filter((x) => x.id !== sid);
    },
    tasks: async (sid) => s.tasks.filter((t) => t.serviceId === sid),
    secrets: async (labels) => s.secrets.filter((x) => has(x.labels, labels)),
    createSecret: async (name, data, labels) => {
      s.calls.push(`create secret ${name}`);
      const sid = id("sec");
      s.secrets.push({ id: sid, name, labels, data });
      return sid;
    },
    removeSecret: async (sid) => {
      s.calls.push(`remove secret ${sid}`);
      s.secrets = s.secrets.filter((x) => x.id !== sid);
    },
    networks: async (labels) => s.networks.filter((x) => has(x.labels, labels)),
    createNetwork: async (c) => {
      s.calls.push(`create network ${c.name}`);
      const nid = id("net");
      s.networks.push({ id: nid, name: c.name, labels: c.labels, driver: "overlay", internal: c.internal, options: c.options });
      return nid;
    },
    removeNetwork: async (nid) => {
      s.calls.push(`remove network ${nid}`);
      s.networks = s.networks.filter((x) => x.id !== nid);
    },
    serviceLogs: () => ({ async *[Symbol.asyncIterator]() {} }),
  };
  return { s, engine };
}

const started: HttpGet = async () => ({ status: 200, contentType: "application/json", text: JSON.stringify({ ok: true, status: "started" }) });
const noVolumes = { listVolumes: async () => [], removeVolume: async () => undefined } as unknown as Engine;

let outDir: string;
beforeEach(async () => {
  outDir = await tempDir("swarm-ops");
});

async function generated(fill = true): Promise<void> {
  await generate({ spec: SPEC, outDir, target: "swarm", image: "openclaw:2026.9.6-local" });
  if (!fill) return;
  const f = path.join(outDir, ".env");
  await writeFile(f, (await readFile(f, "utf8")).replace(/^([A-Z][A-Z0-9_]*)=$/gm, "$1=user-value-of-$1"), { mode: 0o600 });
}

function deps(engine: SwarmEngine, get: HttpGet = started): SwarmDeps {
  return { swarm: engine, engine: noVolumes, get, clock: manualClock() };
}

describe("swarm up", () => {
  it("refuses on an engine that is not a swarm manager, creating nothing", async () => {
    await generated();
    const { s, engine } = memorySwarm("inactive");
    await expect(swarmUp(SPEC, deps(engine), { outDir })).rejects.toThrow(/not in a swarm.*\n?.*|docker swarm init/);
    expect(s.calls).toEqual([]);
  });

  it("refuses while user secrets are empty, naming every one, creating nothing", async () => {
    await generated(false);
    const { s, engine } = memorySwarm();
    await expect(swarmUp(SPEC, deps(engine), { outDir })).rejects.toThrow(/fill in ANTHROPIC_API_KEY, OPENAI_API_KEY, TG_TOKEN_KORAX, TG_TOKEN_MEDICO/);
    expect(s.calls).toEqual([]);
  });

  it("labels the only node, creates the networks, secrets (digest-labelled, never the value) and services, then waits for started; a second up creates nothing", async () => {
    await generated();
    const { s, engine } = memorySwarm();
    const res = await swarmUp(SPEC, deps(engine), { outDir });
    expect(res.ok).toBe(true);
    expect(res.created.nodeLabels).toEqual(["ai.clawfed.state.korax.goreos", "ai.clawfed.state.korax.korax", "ai.clawfed.state.korax.medico"]);
    expect(res.created.networks).toHaveLength(5);
    expect(res.created.services).toEqual(["korax_goreos", "korax_korax", "korax_medico"]);
    const env = (await openFederation(SPEC, { outDir })).env;
    for (const sec of s.secrets) {
      const key = sec.name.replace(/^korax_/, "");
      expect(sec.data).toBe(env[key]);
      expect(sec.labels["ai.clawfed.digest"]).toMatch(/^[0-9a-f]{32}$/);
      expect(JSON.stringify(sec.labels)).not.toContain(env[key]!);
      expect(has(sec.labels, ownership("korax"))).toBe(true);
    }
    for (const svc of s.services) expect(JSON.stringify(svc.spec)).not.toMatch(new RegExp(Object.values(env).filter((v) => v.length > 20).map((v) => v.replace(/[^\w]/g, "\\$&")).join("|")));
    const before = s.calls.length;
    const again = await swarmUp(SPEC, deps(engine), { outDir });
    expect(again.updated).toEqual(["korax_goreos", "korax_korax", "korax_medico"]);
    expect(s.calls.slice(before).every((c) => c.startsWith("update service"))).toBe(true);
  });

  it("refuses a rotated secret (Docker secrets cannot change), creating nothing", async () => {
    await generated();
    const { s, engine } = memorySwarm();
    await swarmUp(SPEC, deps(engine), { outDir });
    const f = path.join(outDir, ".env");
    await writeFile(f, (await readFile(f, "utf8")).replace(/^OPENAI_API_KEY=.*$/m, "OPENAI_API_KEY=a-new-value-1234"), { mode: 0o600 });
    const before = s.calls.length;
    await expect(swarmUp(SPEC, deps(engine), { outDir })).rejects.toThrow(/korax_OPENAI_API_KEY holds another value.*rotated/);
    expect(s.calls.slice(before)).toEqual([]);
  });

  it("reports a gateway whose tasks keep failing as a crash loop", async () => {
    await generated();
    const { s, engine } = memorySwarm();
    let polls = 0;
    const failing: SwarmEngine = {
      ...engine,
      tasks: async (sid) => {
        // Each poll adds a failed task of korax (the running one never answers started).
        const svc = s.services.find((x) => x.id === sid)!;
        if (svc.name === "korax_korax") s.tasks.unshift({ id: `f${++polls}`, serviceId: sid, state: "failed", desiredState: "shutdown", message: "failed", error: "task: non-zero exit (1)", exitCode: 1, image: svc.image, timestamp: `2026-12-01T00:00:${String(polls).padStart(2, "0")}Z` });
        return s.tasks.filter((t) => t.serviceId === sid);
      },
    };
    const koraxStarting: HttpGet = async (url) => (url.includes(":18789/") ? { status: 503, contentType: "application/json", text: JSON.stringify({ ok: false, status: "starting" }) } : started(url, 1000));
    const res = await swarmUp(SPEC, deps(failing, koraxStarting), { outDir });
    expect(res.ok).toBe(false);
    expect(res.gateways.find((g) => g.id === "korax")).toMatchObject({ ok: false, reason: expect.stringMatching(/3 tasks failed \(crash loop\); last: failed: task: non-zero exit \(1\)/) });
    expect(res.next).toMatch(/clawfed logs .* korax --target swarm/);
  });
});

describe("swarm down and status", () => {
  it("down removes the stack's services, networks and secrets and nothing else", async () => {
    await generated();
    const { s, engine } = memorySwarm();
    await swarmUp(SPEC, deps(engine), { outDir });
    // Not ours: another federation, a compose network of this one (no stack label), an unlabelled secret.
    s.networks.push({ id: "x1", name: "korax_link-goreos--korax", labels: { "ai.clawfed.federation": "korax", "ai.clawfed.managed": "true" }, driver: "bridge", internal: true, options: {} });
    s.secrets.push({ id: "x2", name: "korax_SOMETHING", labels: {}, data: "x" });
    s.services.push({ id: "x3", name: "other_korax", version: 1, labels: ownership("other"), image: "i", spec: {} });
    const res = await swarmDown(await openFederation(SPEC, { outDir }), deps(engine));
    expect(res.services.sort()).toEqual(["korax_goreos", "korax_korax", "korax_medico"]);
    expect(res.networks).toHaveLength(5);
    expect(s.networks.map((n) => n.id)).toEqual(["x1"]);
    expect(s.secrets.map((x) => x.id)).toEqual(["x2"]);
    expect(s.services.map((x) => x.id)).toEqual(["x3"]);
  });

  it("status shows a rolled-back update and the failed task's image and error", async () => {
    await generated();
    const { s, engine } = memorySwarm();
    await swarmUp(SPEC, deps(engine), { outDir });
    const goreos = s.services.find((x) => x.name === "korax_goreos")!;
    Object.assign(goreos, { updateState: "rollback_completed", updateMessage: "rollback completed" });
    s.tasks.push({ id: "bad", serviceId: goreos.id, state: "failed", desiredState: "shutdown", message: "failed", error: "task: non-zero exit (127)", exitCode: 127, image: "bad:image", timestamp: "2026-12-01T00:00:01Z" });
    const st = await swarmStatus(await openFederation(SPEC, { outDir }), deps(engine));
    const g = st.gateways.find((x) => x.id === "goreos")!;
    expect(g).toMatchObject({ rolledBackFrom: "bad:image", update: { state: "rollback_completed" }, failures: [{ image: "bad:image", exitCode: 127 }] });
    const text = renderSwarmStatus(st);
    expect(text).toContain("goreos: the update to bad:image failed; Swarm rollback completed back to openclaw:2026.9.6-local (rollback completed)");
    expect(text).toContain("goreos: task on bad:image failed 2026-12-01T00:00:01Z: task: non-zero exit (127)");
  });

  it("through createClawfed().swarm (what the CLI calls): ok and next follow the health, --only picks gateways, an unknown id is a UsageError", async () => {
    await generated();
    const { s, engine } = memorySwarm();
    // Every gateway live and started (status probes /healthz and /startupz).
    const get: HttpGet = async (url) => ({ status: 200, contentType: "application/json", text: JSON.stringify(url.endsWith("/healthz") ? { ok: true, status: "live" } : { ok: true, status: "started" }) });
    const ops = createClawfed({ swarm: engine, engine: noVolumes, get, clock: manualClock() });
    expect((await ops.swarm.up(SPEC, { out: outDir })).ok).toBe(true);
    const all = await ops.swarm.status(SPEC, { out: outDir });
    expect(all).toMatchObject({ ok: true, healthy: true });
    expect(all.next).toBeUndefined();
    s.tasks = s.tasks.filter((t) => t.serviceId !== s.services.find((x) => x.name === "korax_medico")!.id);
    const bad = await ops.swarm.status(SPEC, { out: outDir });
    expect(bad.ok).toBe(false);
    expect(bad.next).toBe(`clawfed logs ${SPEC} medico --target swarm --out ${outDir}`);
    expect((await ops.swarm.status(SPEC, { out: outDir, only: ["korax"] })).gateways.map((g) => g.id)).toEqual(["korax"]);
    await expect(ops.swarm.status(SPEC, { out: outDir, only: ["nope"] })).rejects.toThrow(UsageError);
    await expect(ops.swarm.logs(SPEC, { out: outDir, gateway: "nope", sink: { stdout: () => undefined, stderr: () => undefined } })).rejects.toThrow(UsageError);
    const down = await ops.swarm.down(SPEC, { out: outDir });
    expect(down).toMatchObject({ ok: true, services: ["korax_goreos", "korax_korax", "korax_medico"], gateways: [{ id: "goreos" }, { id: "korax" }, { id: "medico" }] });
  });
});
