// One host at scale: a hub with 49 spokes (50 containers, 99 networks: one per link, one egress
// network per gateway) comes up through `clawfed up` on the real Docker Engine and compose, far
// beyond the ~30 networks of Docker's default address pools, because every network has its own
// /29 from network.pool.
//
// STAND-IN IMAGE: 50 real OpenClaw gateways (~1 GB each) do not fit in this machine's memory, so
// the gateways run a stand-in process, not OpenClaw (test/fixtures/standin-gateway). It is built offline from the same base image
// as the OpenClaw image (clawfed/debian-base:bookworm) plus the Node binary of the local OpenClaw
// image, and runs as the generated compose file says (`node dist/index.js gateway --port 18789`,
// the same healthcheck, config mount, env, limits). It answers /healthz, /startupz and /readyz
// like OpenClaw and checks `Authorization: Bearer` on POST /a2a/v1 against the peers' tokens of
// the generated openclaw.json (`${VAR}` resolved from its environment), as the A2A channel does.
// What it proves is the network layout and the tokens, not OpenClaw itself (korax.test.ts does).
//
// Asserted: all 50 created, started and healthy (Docker healthcheck); every hub→spoke link answers
// 200 with the right token and 401 with a wrong one; no spoke resolves or reaches another spoke
// (by name or by IP); nothing (container, network, volume) is left after `down --volumes`.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { a2aTokenEnv, CONTAINER_PORT, serviceName } from "../../src/vocabulary/names.js";
import type { UpResult } from "../../src/ops/up.js";
import { ROOT, runCli } from "../helpers/cli.js";
import { docker, leftOvers, nodeIn, serviceContainer } from "../helpers/docker.js";
import { waitForFreePorts } from "../helpers/host.js";
import { TEST_IMAGE } from "../helpers/setup-docker.js";

const run = promisify(execFile);
const NAME = "scale49";
const SPOKES = 49;
const BASE_PORT = 27100;
const STANDIN = "clawfed-e2e/standin-gateway:scale";
const BASE_IMAGE = "clawfed/debian-base:bookworm";
/** At most this many `docker exec` probes at once (they mostly wait on timeouts). */
const PROBE_CONCURRENCY = 16;
const UP_TIMEOUT_MS = 15 * 60_000;

const log = (line: string) => process.stderr.write(`[scale-e2e] ${line}\n`);
const spokes = Array.from({ length: SPOKES }, (_, i) => `s${String(i + 1).padStart(2, "0")}`);

/** The stand-in image recipe (Dockerfile + index.js), shared with bench/scale-up.mjs. */
const STANDIN_DIR = path.join(ROOT, "test/fixtures/standin-gateway");

let dir: string;
let spec: string;
let outDir: string;
let upResult: UpResult;
let upMs = 0;
const containers = new Map<string, Docker.ContainerInspectInfo>();

async function buildStandIn(): Promise<void> {
  // Offline: both images are local; the Node binary comes from the OpenClaw image.
  await run("docker", ["build", "-q", "--build-arg", `NODE_IMAGE=${TEST_IMAGE}`, "--build-arg", `BASE_IMAGE=${BASE_IMAGE}`, "-t", STANDIN, STANDIN_DIR], { timeout: 300_000 });
}

/** Run `fn` over `items` with at most `limit` at once. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

beforeAll(async () => {
  const stale = await leftOvers(NAME);
  if (stale.containers.length || stale.networks.length || stale.volumes.length) throw new Error(`a ${NAME} federation is left over from another run: ${JSON.stringify(stale)}; remove it first`);
  await waitForFreePorts([BASE_PORT, ...spokes.map((_, i) => BASE_PORT + 1 + i)], { timeoutMs: 5 * 60_000, onWait: (busy) => log(`waiting for ports: ${busy}`) });
  dir = await mkdtemp(path.join(tmpdir(), "cfe-scale-"));
  outDir = path.join(dir, "out");
  spec = path.join(dir, `${NAME}.yaml`);
  const gateways: Record<string, unknown> = {
    hub: { role: "hub", port: BASE_PORT, description: "The hub of 49 stand-in spokes.", model: "anthropic/claude-sonnet-4-6", resources: { memory: "512m", cpus: 0.25 } },
  };
  spokes.forEach((id, i) => {
    gateways[id] = { port: BASE_PORT + 1 + i, description: `Stand-in spoke ${id}.`, model: "anthropic/claude-sonnet-4-6", resources: { memory: "512m", cpus: 0.25 } };
  });
  await writeFile(spec, stringify({ name: NAME, openclaw: { image: STANDIN }, gateways, links: spokes.map((id) => ({ from: "hub", to: id })) }));
  const t0 = performance.now();
  await buildStandIn();
  log(`stand-in image built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}, 600_000);

afterAll(async () => {
  if (outDir) {
    const down = await runCli(["down", spec, "--volumes", "--out", outDir], { timeoutMs: 600_000 }).catch((e: unknown) => ({ code: -1, stderr: String(e) }));
    if (down.code !== 0) log(`down failed: ${down.stderr.slice(-500)}`);
  }
  await run("docker", ["rmi", STANDIN]).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
}, 900_000);

describe("a hub with 49 spokes on one host", () => {
  it("up creates all 50 (99 networks with their own /29) and each reports started", async () => {
    const t0 = performance.now();
    const res = await runCli(["up", spec, "--out", outDir, "--json"], { timeoutMs: UP_TIMEOUT_MS });
    upMs = performance.now() - t0;
    log(`up of 50 stand-ins: ${(upMs / 1000).toFixed(1)} s`);
    expect(res.code, res.stderr.slice(-2000)).toBe(0);
    upResult = JSON.parse(res.stdout) as UpResult;
    expect(upResult.ok).toBe(true);
    expect(upResult.gateways.filter((g) => g.ok).length).toBe(SPOKES + 1);

    const nets = (await docker().listNetworks({ filters: { label: [`ai.clawfed.federation=${NAME}`] } })).filter((n) => n.Name.startsWith(`${NAME}_`));
    expect(nets.length).toBe(SPOKES * 2 + 1);
    const subnets = nets.map((n) => n.IPAM?.Config?.[0]?.Subnet);
    expect(subnets.every((s) => typeof s === "string" && s.startsWith("10.213.") && s.endsWith("/29"))).toBe(true);
    expect(new Set(subnets).size).toBe(nets.length);
    for (const id of ["hub", ...spokes]) containers.set(id, await serviceContainer(NAME, serviceName(id)));
  }, UP_TIMEOUT_MS + 60_000);

  it("every container becomes healthy (Docker healthcheck: node fetch of /healthz)", async () => {
    const deadline = Date.now() + 180_000;
    let unhealthy: string[] = [];
    do {
      const states = await Promise.all([...containers].map(async ([id, c]) => [id, (await docker().getContainer(c.Id).inspect()).State.Health?.Status] as const));
      unhealthy = states.filter(([, s]) => s !== "healthy").map(([id, s]) => `${id}:${s}`);
      if (unhealthy.length === 0) break;
      await new Promise((r) => setTimeout(r, 2_000));
    } while (Date.now() < deadline);
    expect(unhealthy).toEqual([]);
  }, 200_000);

  it("every hub→spoke link answers 200 with the link's token and 401 with a wrong one", async () => {
    // One exec in the hub, all 49 requests in parallel; the tokens are in the hub's own
    // environment (its outbound A2A tokens), so no secret crosses argv or this test.
    const script = `
      const targets = ${JSON.stringify(spokes.map((s) => ({ id: s, url: `http://${serviceName(s)}:${CONTAINER_PORT}/a2a/v1`, env: a2aTokenEnv("hub", s) })))};
      const call = (url, token) => fetch(url, { method: "POST", headers: { authorization: "Bearer " + token, "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "GetTask", params: { id: "x" } }), signal: AbortSignal.timeout(10000) })
        .then(async (r) => ({ status: r.status, body: await r.json().catch(() => null) }), (e) => ({ error: String(e.cause?.code ?? e) }));
      Promise.all(targets.map(async (t) => ({ id: t.id, hasToken: !!process.env[t.env], right: await call(t.url, process.env[t.env]), wrong: await call(t.url, "not-the-token") })))
        .then((r) => console.log(JSON.stringify(r)));`;
    const results = await nodeIn<Array<{ id: string; hasToken: boolean; right: { status?: number; body?: { result?: { peer?: string } } }; wrong: { status?: number } }>>(containers.get("hub")!.Id, script, {}, 120_000);
    expect(results.length).toBe(SPOKES);
    for (const r of results) {
      expect(r.hasToken, `${r.id}: the hub holds the token of hub→${r.id}`).toBe(true);
      expect(r.right.status, `hub→${r.id} with the right token`).toBe(200);
      expect(r.right.body?.result?.peer, `${r.id} saw the hub as the caller`).toBe("hub");
      expect(r.wrong.status, `hub→${r.id} with a wrong token`).toBe(401);
    }
  }, 180_000);

  it("no spoke resolves or reaches another spoke, by name or by IP", async () => {
    // Each spoke probes its neighbour on the ring (every spoke is probed once), by name and by
    // each of the neighbour's IP addresses (its egress and link networks).
    const ipsOf = (id: string) => Object.values(containers.get(id)!.NetworkSettings.Networks).map((n) => n.IPAddress).filter((ip) => ip);
    const results = await pool(spokes, PROBE_CONCURRENCY, async (id) => {
      const other = spokes[(spokes.indexOf(id) + 1) % spokes.length]!;
      const script = `
        const dns = require("node:dns").promises;
        const get = (host) => fetch("http://" + host + ":${CONTAINER_PORT}/healthz", { signal: AbortSignal.timeout(2500) }).then((r) => "status " + r.status, (e) => "failed: " + String(e.cause?.code ?? e.name));
        (async () => {
          const [name, ips] = await Promise.all([
            dns.lookup(${JSON.stringify(serviceName(other))}).then((a) => "resolved " + a.address, (e) => "failed: " + e.code),
            Promise.all(${JSON.stringify(ipsOf(other))}.map(get)),
          ]);
          console.log(JSON.stringify({ name, ips }));
        })();`;
      return { id, other, ...(await nodeIn<{ name: string; ips: string[] }>(containers.get(id)!.Id, script, {}, 60_000)) };
    });
    for (const r of results) {
      expect(r.name, `${r.id} resolving ${r.other}`).toMatch(/^failed: (ENOTFOUND|EAI_AGAIN)$/);
      expect(r.ips.length, `${r.other} has addresses`).toBeGreaterThanOrEqual(2);
      for (const ip of r.ips) expect(ip, `${r.id} → ${r.other} by IP`).toMatch(/^failed: /);
    }
  }, 600_000);

  it("down --volumes leaves no container, network or volume of the federation", async () => {
    const res = await runCli(["down", spec, "--volumes", "--out", outDir], { timeoutMs: 600_000 });
    expect(res.code, res.stderr.slice(-1000)).toBe(0);
    expect(await leftOvers(NAME)).toEqual({ containers: [], networks: [], volumes: [] });
  }, 600_000);
});
