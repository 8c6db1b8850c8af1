// Benchmark: the same three gateways (federations/korax.yaml: korax, goreos, medico, renamed and on
// other ports) brought up as a compose project (`clawfed up`, baseline) and as a Swarm stack
// (`clawfed up --target swarm`), in the same run, alternating which goes first, so both see the
// same machine load. Measured: time from the library call (generate included) until every gateway
// answers /startupz started on its published port, and the time `down` takes. Each run starts from
// fresh state (new output folder; state volumes removed by down --volumes).
// The swarm is initialised here when inactive and left at the end only then.
// Ports: compose 28400/28420/28440 (project cfsbench-c), swarm 28500/28520/28540 (stack cfsbench-s).
// Run: npm run build && flock /work/notes/e2e.lock node bench/swarm-vs-compose.mjs [pairs=2]
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { IMAGE, dist, log, median, run } from "./common.mjs";

const PAIRS = Number(process.argv[2] ?? 2);
const { up } = await import(dist("runtime/up.js"));
const { down } = await import(dist("runtime/down.js"));
const { defaultDeps } = await import(dist("runtime/status.js"));
const { openFederation } = await import(dist("runtime/context.js"));
const { swarmUp, swarmDown } = await import(dist("ops/swarm.js"));
const { createSwarmEngine } = await import(dist("runtime/swarm/docker.js"));

async function specCopy(name, ports) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "cfs-bench-"));
  const spec = path.join(dir, `${name}.yaml`);
  const text = (await readFile("federations/korax.yaml", "utf8"))
    .replace(/^name: korax$/m, `name: ${name}`)
    .replace(/port: 18789/, `port: ${ports[0]}`)
    .replace(/port: 18909/, `port: ${ports[1]}`)
    .replace(/port: 19029/, `port: ${ports[2]}`);
  await writeFile(spec, text);
  return { dir, spec, outDir: path.join(dir, "out") };
}

async function fill(outDir) {
  const f = path.join(outDir, ".env");
  await writeFile(f, (await readFile(f, "utf8")).replace(/^([A-Z][A-Z0-9_]*)=$/gm, (_m, n) => `${n}=${n.startsWith("TG_TOKEN_") ? "10000001:" : ""}bench-value-${n.toLowerCase()}`), { mode: 0o600 });
}

async function composeRun() {
  const { dir, spec, outDir } = await specCopy("cfsbench-c", [28400, 28420, 28440]);
  const { generate } = await import(dist("generate.js"));
  const deps = defaultDeps();
  const t0 = performance.now();
  await generate({ spec, outDir, image: IMAGE });
  await fill(outDir);
  const res = await up(spec, deps, { outDir, image: IMAGE, timeoutMs: 600_000 });
  const upMs = performance.now() - t0;
  if (!res.ok) throw new Error(`compose: ${JSON.stringify(res.gateways)}`);
  const t1 = performance.now();
  await down(await openFederation(spec, { outDir }), deps, { volumes: true });
  const downMs = performance.now() - t1;
  await rm(dir, { recursive: true, force: true });
  return { upMs, downMs };
}

async function swarmRun() {
  const { dir, spec, outDir } = await specCopy("cfsbench-s", [28500, 28520, 28540]);
  const { generate } = await import(dist("generate.js"));
  const base = defaultDeps();
  const deps = { swarm: createSwarmEngine(), engine: base.engine, get: base.get, clock: base.clock };
  const t0 = performance.now();
  await generate({ spec, outDir, target: "swarm", image: IMAGE });
  await fill(outDir);
  const res = await swarmUp(spec, deps, { outDir, image: IMAGE, timeoutMs: 600_000 });
  const upMs = performance.now() - t0;
  if (!res.ok) throw new Error(`swarm: ${JSON.stringify(res.gateways)}`);
  const t1 = performance.now();
  const ctx = await openFederation(spec, { outDir });
  await swarmDown(ctx, deps);
  // State volumes go once the task containers are gone.
  for (let i = 0; i < 60; i++) {
    const { stdout } = await run("docker", ["ps", "-aq", "-f", "label=com.docker.stack.namespace=cfsbench-s"]);
    if (!stdout.trim()) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const downMs = performance.now() - t1;
  await swarmDown(ctx, deps, { volumes: true });
  await rm(dir, { recursive: true, force: true });
  return { upMs, downMs };
}

const { stdout: state } = await run("docker", ["info", "--format", "{{.Swarm.LocalNodeState}}"]);
const initialised = state.trim() !== "active";
if (initialised) await run("docker", ["swarm", "init", "--advertise-addr", "127.0.0.1"]);
const rows = [];
try {
  for (let i = 0; i < PAIRS; i++) {
    const order = i % 2 === 0 ? ["compose", "swarm"] : ["swarm", "compose"];
    const row = {};
    for (const kind of order) {
      log(`pair ${i + 1}: ${kind}`);
      row[kind] = kind === "compose" ? await composeRun() : await swarmRun();
      log(`  up ${(row[kind].upMs / 1000).toFixed(1)} s, down ${(row[kind].downMs / 1000).toFixed(1)} s`);
    }
    rows.push(row);
  }
} finally {
  if (initialised) await run("docker", ["swarm", "leave", "--force"]).catch(() => undefined);
}
const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
const upRatios = rows.map((r) => r.swarm.upMs / r.compose.upMs);
const downRatios = rows.map((r) => r.swarm.downMs / r.compose.downMs);
console.log(JSON.stringify({ pairs: rows, upRatios, downRatios }, null, 2));
console.log(`up to all started: compose median ${s(median(rows.map((r) => r.compose.upMs)))}, swarm median ${s(median(rows.map((r) => r.swarm.upMs)))}, swarm/compose ratios ${upRatios.map((x) => x.toFixed(2)).join(", ")}`);
console.log(`down: compose median ${s(median(rows.map((r) => r.compose.downMs)))}, swarm median ${s(median(rows.map((r) => r.swarm.downMs)))}, swarm/compose ratios ${downRatios.map((x) => x.toFixed(2)).join(", ")}`);
