// Benchmark: `up` of a hub with 49 spokes (50 containers, 99 networks with explicit /29 subnets)
// against its floor, on STAND-IN gateways (test/fixtures/standin-gateway: a tiny HTTP server on
// the OpenClaw image's base image; 50 real gateways do not fit in memory), in the same run:
//   floor: `compose up -d` of the same generated docker-compose.yml, then poll every container's
//          /startupz (250 ms) until all say "started" (what anyone starting it by hand would do);
//   up:    clawfed's `up` (spec load, regenerate check, subnet check against the engine's networks
//          and host routes, image check, compose up -d, the health gate of every gateway with its
//          1 s stability window).
// Rounds alternate floor / up with `down --volumes` between them (not timed). Also timed alone:
// the subnet check (list networks + /proc/net/route + overlap test), the one step this issue adds.
// Run (under the e2e lock; ports 27300-27349, project cfscale): npm run build && flock /work/notes/e2e.lock node bench/scale-up.mjs [rounds=2] [spokes=49]
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { IMAGE, dist, log, median, run } from "./common.mjs";

const ROUNDS = Number(process.argv[2] ?? 2);
const SPOKES = Number(process.argv[3] ?? 49);
const NAME = "cfscale";
const BASE_PORT = 27300;
const STANDIN = "clawfed-bench/standin-gateway:scale";
const recipe = fileURLToPath(new URL("../test/fixtures/standin-gateway", import.meta.url));

const { up } = await import(dist("ops/up.js"));
const { down } = await import(dist("ops/down.js"));
const { defaultDeps } = await import(dist("ops/deps.js"));
const { openFederation } = await import(dist("ops/context.js"));
const { generate, previousSubnets } = await import(dist("ops/generate.js"));
const { assertSubnetsFree, plannedNetworks } = await import(dist("ops/network-check.js"));
const { hostRoutes } = await import(dist("runtime/host-routes.js"));
const { probe } = await import(dist("runtime/health.js"));

await run("docker", ["build", "-q", "--build-arg", `NODE_IMAGE=${IMAGE}`, "-t", STANDIN, recipe]);
const dir = await mkdtemp(path.join(tmpdir(), "cfr-bench-scale-"));
const spec = path.join(dir, `${NAME}.yaml`);
const outDir = path.join(dir, "out");
const ids = ["hub", ...Array.from({ length: SPOKES }, (_, i) => `s${String(i + 1).padStart(2, "0")}`)];
const lines = [`name: ${NAME}`, `openclaw: { image: "${STANDIN}" }`, "gateways:"];
ids.forEach((id, i) => lines.push(`  ${id}: { role: ${i === 0 ? "hub" : "spoke"}, port: ${BASE_PORT + i}, description: ${id}, model: anthropic/claude-sonnet-4-6, resources: { memory: 512m, cpus: 0.25 } }`));
lines.push("links:", ...ids.slice(1).map((id) => `  - { from: hub, to: ${id} }`));
await writeFile(spec, `${lines.join("\n")}\n`);
await generate({ spec, outDir });
const deps = await defaultDeps();

/** Wait until every gateway answers started on /startupz at its published port. */
async function allStarted() {
  const urls = ids.map((_, i) => `http://127.0.0.1:${BASE_PORT + i}`);
  for (;;) {
    const res = await Promise.all(urls.map((u) => probe(deps.get, u, "/startupz")));
    if (res.every((r) => r.ok)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

const floor = [];
const ups = [];
const checks = [];
try {
  for (let i = 0; i < ROUNDS; i++) {
    let ctx = await openFederation(spec, { outDir });
    let t0 = performance.now();
    const res = await deps.compose(ctx.project, ["up", "-d", "--remove-orphans"], { timeoutMs: 900_000 });
    if (res.code !== 0) throw new Error(`compose up failed: ${res.stderr.slice(-500)}`);
    await allStarted();
    floor.push(performance.now() - t0);
    log(`round ${i + 1}: floor (compose up -d + all started) ${(floor.at(-1) / 1000).toFixed(1)} s`);
    // The check alone, against the running federation's own networks (all must pass as its own).
    for (let k = 0; k < 5; k++) {
      t0 = performance.now();
      const planned = plannedNetworks(ctx.project.name, await previousSubnets(outDir, NAME));
      assertSubnetsFree(planned, await deps.engine.listNetworks(), await hostRoutes(), { spec, pool: ctx.fed.networkPool, downCommand: "-" });
      checks.push(performance.now() - t0);
    }
    await down(ctx, deps, { volumes: true });

    t0 = performance.now();
    const r = await up(spec, deps, { outDir, timeoutMs: 900_000 });
    ups.push(performance.now() - t0);
    if (!r.ok) throw new Error(`up failed: ${JSON.stringify(r.gateways.filter((g) => !g.ok).slice(0, 3))}`);
    log(`round ${i + 1}: clawfed up ${(ups.at(-1) / 1000).toFixed(1)} s (ratio ${(ups.at(-1) / floor.at(-1)).toFixed(2)})`);
    ctx = await openFederation(spec, { outDir });
    await down(ctx, deps, { volumes: true });
  }
} finally {
  await down(await openFederation(spec, { outDir }), deps, { volumes: true }).catch((e) => log(`down failed: ${e.message}`));
  await run("docker", ["rmi", STANDIN]).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}
const f = median(floor);
const u = median(ups);
console.log(`gateways ${ids.length}, networks ${ids.length * 2 - 1}, rounds ${ROUNDS}`);
console.log(`floor (compose up -d + poll /startupz): median ${(f / 1000).toFixed(1)} s  [${floor.map((x) => (x / 1000).toFixed(1)).join(", ")}]`);
console.log(`clawfed up:                            median ${(u / 1000).toFixed(1)} s  [${ups.map((x) => (x / 1000).toFixed(1)).join(", ")}]`);
console.log(`ratio up / floor: ${(u / f).toFixed(2)}`);
console.log(`subnet check alone (99 planned vs engine networks + routes): median ${median(checks).toFixed(1)} ms`);
