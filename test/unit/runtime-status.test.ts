// Status judging and the concurrent status of a federation, on the in-memory engine.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LABELS } from "../../src/vocabulary/labels.js";
import { openFederation } from "../../src/ops/context.js";
import type { ContainerInfo } from "../../src/runtime/docker/types.js";
import type { GatewayProbes } from "../../src/runtime/health.js";
import { getStatus, judgeGateway } from "../../src/ops/status.js";
import { COMPOSE_PROJECT_LABEL, PREVIOUS_SUFFIX } from "../../src/runtime/containers.js";
import { MemoryEngine } from "../helpers/memory-engine.js";

const info = (over: Partial<ContainerInfo> = {}): ContainerInfo => ({
  id: "a".repeat(64),
  name: "f_g_1",
  image: "img:a",
  imageId: "sha256:1",
  labels: {},
  status: "running",
  created: "2026-01-01T00:00:00Z",
  running: true,
  exitCode: 0,
  startedAt: "2026-01-01T00:00:00Z",
  restartCount: 0,
  oomKilled: false,
  health: "healthy",
  mounts: [],
  networks: [],
  ports: [{ containerPort: 18789, protocol: "tcp", hostIp: "127.0.0.1", hostPort: 28140 }],
  ...over,
});
const ok = (path: "/healthz" | "/startupz" | "/readyz") => ({ path, ok: true, ms: 1 });
const probes = (over: Partial<GatewayProbes> = {}): GatewayProbes => ({ healthz: ok("/healthz"), startupz: ok("/startupz"), readyz: ok("/readyz"), ...over });
const g = { id: "g", role: "spoke" as const };
const now = Date.parse("2026-01-01T01:00:00Z");

describe("judgeGateway", () => {
  it("healthy: running, live, started, ready; with uptime, url and the image's version", () => {
    const s = judgeGateway(g, info(), probes(), { wallNow: now, imageLabels: { "ai.clawfed.openclaw-version": "2026.9.6" } });
    expect(s).toMatchObject({ healthy: true, state: "healthy", url: "http://127.0.0.1:28140", version: "2026.9.6", problems: [] });
    expect(s.container).toMatchObject({ uptimeS: 3600, restarts: 0, id: "a".repeat(12) });
  });
  it("missing, stopped, restarting", () => {
    expect(judgeGateway(g, undefined, undefined, { wallNow: now })).toMatchObject({ healthy: false, state: "missing" });
    expect(judgeGateway(g, info({ running: false, status: "exited", exitCode: 0, finishedAt: "x" }), undefined, { wallNow: now })).toMatchObject({
      healthy: false,
      state: "stopped",
      problems: ["container exited, exit code 0"],
    });
    expect(judgeGateway(g, info({ running: false, status: "restarting", exitCode: 78, restartCount: 4 }), undefined, { wallNow: now })).toMatchObject({
      state: "restarting",
      problems: [expect.stringMatching(/code 78 \(78: invalid config.*4 restart/)],
    });
  });
  it("probe failures", () => {
    const down = { path: "/healthz" as const, ok: false, ms: 2000, error: "no answer within 2.0 s" };
    expect(judgeGateway(g, info(), probes({ healthz: down }), { wallNow: now })).toMatchObject({ healthy: false, state: "unhealthy", problems: ["/healthz: no answer within 2.0 s"] });
    const starting = { path: "/startupz" as const, ok: false, ms: 1, status: "starting", error: "HTTP 503 starting" };
    expect(judgeGateway(g, info(), probes({ startupz: starting }), { wallNow: now })).toMatchObject({ healthy: false, state: "starting" });
  });
  it("not ready counts as healthy unless readiness is required", () => {
    const notReady = { path: "/readyz" as const, ok: false, ms: 1, failing: ["telegram:default"], error: "HTTP 503 (failing: telegram:default)" };
    expect(judgeGateway(g, info(), probes({ readyz: notReady }), { wallNow: now })).toMatchObject({ healthy: true, state: "not-ready" });
    expect(judgeGateway(g, info(), probes({ readyz: notReady }), { wallNow: now, requireReady: true })).toMatchObject({ healthy: false, state: "not-ready" });
  });
});

describe("getStatus", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  it("probes every gateway, flags a stopped one, and lists stray containers", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "cfr-unit-"));
    dirs.push(dir);
    const spec = path.join(dir, "f.yaml");
    await writeFile(
      spec,
      `name: cfrstat\ngateways:\n  hub: { role: hub, port: 28160, description: h, model: a/b }\n  one: { role: spoke, port: 28161, description: o, model: a/b }\n  two: { role: spoke, port: 28162, description: t, model: a/b }\nlinks:\n  - { from: hub, to: one }\n  - { from: hub, to: two }\n`,
    );
    const ctx = await openFederation(spec, { outDir: path.join(dir, "out") });
    const eng = new MemoryEngine();
    eng.addImage("img:a");
    const labels = (id: string) => ({ [LABELS.federation]: "cfrstat", [LABELS.managed]: "true", [LABELS.gateway]: id, [COMPOSE_PROJECT_LABEL]: "cfrstat" });
    const ids: Record<string, string> = {};
    for (const [id, port] of [["hub", 28160], ["one", 28161], ["two", 28162]] as const) {
      ids[id] = eng.addContainer({ name: `cfrstat_${id}_1`, image: "img:a", labels: labels(id), port, state: { kind: "volume", name: id } });
    }
    eng.addContainer({ name: `cfrstat_two_1${PREVIOUS_SUFFIX}`, image: "img:a", labels: labels("two"), port: 1, state: { kind: "volume", name: "x" }, running: false });
    // not ours: another project's container with the same federation label is ignored
    eng.addContainer({ name: "other_hub_1", image: "img:a", labels: { ...labels("hub"), [COMPOSE_PROJECT_LABEL]: "other" }, port: 2, state: { kind: "volume", name: "y" } });
    const deps = { engine: eng, get: eng.get, clock: eng.clock, wallNow: () => now };
    const all = await getStatus(ctx, deps);
    expect(all.healthy).toBe(true);
    expect(all.gateways.map((x) => [x.id, x.state, x.container?.name])).toEqual([
      ["hub", "healthy", "cfrstat_hub_1"],
      ["one", "healthy", "cfrstat_one_1"],
      ["two", "healthy", "cfrstat_two_1"],
    ]);
    expect(all.others).toEqual([expect.objectContaining({ name: `cfrstat_two_1${PREVIOUS_SUFFIX}`, gateway: "two", status: "created" })]);
    await eng.stop(ids.one!);
    const st = await getStatus(ctx, deps);
    expect(st.healthy).toBe(false);
    expect(st.gateways.find((x) => x.id === "one")).toMatchObject({ healthy: false, state: "stopped" });
    expect((await getStatus(ctx, deps, { only: ["hub", "two"] })).healthy).toBe(true);
  });
});
