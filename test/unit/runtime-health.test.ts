// Probe judging, the started gate (crash loops, timeouts, stability) and durations.
import { describe, expect, it } from "vitest";
import { formatMs, parseDuration } from "../../src/runtime/clock.js";
import { manualClock } from "../helpers/clock.js";
import { exitHint, gateStarted, judgeProbe, publishedUrl } from "../../src/runtime/health.js";
import { MemoryEngine } from "../helpers/memory-engine.js";

const json = (status: number, body: unknown) => ({ status, contentType: "application/json; charset=utf-8", text: JSON.stringify(body) });

describe("judgeProbe", () => {
  it("passes only the JSON answers OpenClaw gives", () => {
    expect(judgeProbe("/healthz", json(200, { ok: true, status: "live" }), 3)).toMatchObject({ ok: true, httpStatus: 200, status: "live" });
    expect(judgeProbe("/startupz", json(200, { ok: true, status: "started", version: "2026.9.6", uptimeMs: 2986 }), 3)).toMatchObject({ ok: true, version: "2026.9.6", uptimeMs: 2986 });
    expect(judgeProbe("/readyz", json(200, { ready: true, failing: [] }), 3)).toMatchObject({ ok: true, failing: [] });
  });
  it("fails a 200 HTML page (the Control UI catch-all answers unknown paths)", () => {
    const r = judgeProbe("/healthz", { status: 200, contentType: "text/html", text: "<!doctype html>" }, 1);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/HTTP 200 text\/html, not the JSON probe answer/);
  });
  it("reports starting, draining and failing readiness", () => {
    expect(judgeProbe("/startupz", json(503, { ok: false, status: "starting", pendingReason: "startup-sidecars" }), 1)).toMatchObject({ ok: false, status: "starting", failing: ["startup-sidecars"] });
    expect(judgeProbe("/startupz", json(503, { ok: false, status: "draining" }), 1)).toMatchObject({ ok: false, error: "HTTP 503 draining" });
    expect(judgeProbe("/readyz", json(503, { ready: false, failing: ["agent-database:main"] }), 1)).toMatchObject({ ok: false, error: "HTTP 503 (failing: agent-database:main)" });
    // a 200 with the wrong body is not a pass either
    expect(judgeProbe("/healthz", json(200, { ok: false, status: "live" }), 1).ok).toBe(false);
  });
  it("reports transport errors", () => {
    expect(judgeProbe("/healthz", { error: "connection refused" }, 1)).toMatchObject({ ok: false, error: "connection refused" });
  });
});

describe("publishedUrl and exit hints", () => {
  it("uses the published host port of 18789/tcp, 127.0.0.1 for all-interface binds", () => {
    expect(publishedUrl({ ports: [{ containerPort: 18789, protocol: "tcp", hostIp: "127.0.0.1", hostPort: 28110 }] })).toBe("http://127.0.0.1:28110");
    expect(publishedUrl({ ports: [{ containerPort: 18789, protocol: "tcp", hostIp: "0.0.0.0", hostPort: 1 }] })).toBe("http://127.0.0.1:1");
    expect(publishedUrl({ ports: [{ containerPort: 80, protocol: "tcp", hostIp: "127.0.0.1", hostPort: 1 }] })).toBeUndefined();
  });
  it("explains OpenClaw's exit 78", () => {
    expect(exitHint(78)).toMatch(/invalid config/);
    expect(exitHint(1)).toBe("");
  });
});

describe("gateStarted", () => {
  function setup(behaviour: "ok" | "crash" | "hang" | "exit78") {
    const eng = new MemoryEngine();
    eng.addImage("img", behaviour);
    const id = eng.addContainer({ name: "g", image: "img", labels: {}, port: 28199, state: { kind: "volume", name: "v" }, running: false });
    return { eng, id };
  }
  it("passes once /startupz says started and the container stayed up for the stable window", async () => {
    const { eng, id } = setup("ok");
    await eng.start(id);
    const lines: string[] = [];
    const r = await gateStarted({ engine: eng, get: eng.get, clock: eng.clock, containerId: id, timeoutMs: 60_000, stableMs: 2_000, onChange: (l) => lines.push(l) });
    expect(r).toMatchObject({ ok: true, reason: "started" });
    expect(r.ms).toBeGreaterThanOrEqual(eng.startMs + 2_000);
    expect(lines).toEqual(["starting", "started"]);
  });
  it("fails at once on a crash loop, long before the timeout", async () => {
    const { eng, id } = setup("crash");
    await eng.start(id);
    const r = await gateStarted({ engine: eng, get: eng.get, clock: eng.clock, containerId: id, timeoutMs: 120_000 });
    expect(r).toMatchObject({ ok: false, crashed: true });
    expect(r.reason).toMatch(/exited with code 1 and is being restarted|restarted it 1 time/);
    expect(r.ms).toBeLessThan(1_000);
  });
  it("tolerates a few restarts when asked, then calls it a crash loop", async () => {
    const { eng, id } = setup("crash");
    await eng.start(id);
    const r = await gateStarted({ engine: eng, get: eng.get, clock: eng.clock, containerId: id, timeoutMs: 120_000, maxRestarts: 2 });
    expect(r.reason).toMatch(/restarted it 3 time\(s\) \(crash loop\)/);
  });
  it("fails on an exit with the meaning of the code", async () => {
    const { eng, id } = setup("exit78");
    await eng.start(id);
    const r = await gateStarted({ engine: eng, get: eng.get, clock: eng.clock, containerId: id, timeoutMs: 120_000 });
    expect(r.reason).toBe("exited with code 78 (78: invalid config or unsafe state migration)");
  });
  it("times out on a gateway that stays starting, on the injected clock", async () => {
    const { eng, id } = setup("hang");
    await eng.start(id);
    const r = await gateStarted({ engine: eng, get: eng.get, clock: eng.clock, containerId: id, timeoutMs: 90_000 });
    expect(r).toMatchObject({ ok: false, crashed: false });
    expect(r.reason).toBe("not started after 90.0 s (last: /startupz: HTTP 503 starting)");
  });
  it("stops when aborted", async () => {
    const { eng, id } = setup("hang");
    await eng.start(id);
    const ac = new AbortController();
    ac.abort();
    expect((await gateStarted({ engine: eng, get: eng.get, clock: eng.clock, containerId: id, timeoutMs: 90_000, signal: ac.signal })).reason).toBe("interrupted");
  });
});

describe("durations", () => {
  it("parses units and bare seconds", () => {
    expect(parseDuration("120s")).toBe(120_000);
    expect(parseDuration("2m")).toBe(120_000);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("90")).toBe(90_000);
    expect(parseDuration("1.5s")).toBe(1_500);
  });
  it("rejects anything else with the accepted forms", () => {
    for (const bad of ["", "fast", "10x", "5s extra", "0s", "-1"]) expect(() => parseDuration(bad)).toThrow(/not a duration|longer than zero/);
  });
  it("formats", () => {
    expect(formatMs(450)).toBe("450 ms");
    expect(formatMs(12_345)).toBe("12.3 s");
  });
  it("manual clock advances only by sleeping", async () => {
    const c = manualClock(5);
    await c.sleep(10);
    expect(c.now()).toBe(15);
  });
});
