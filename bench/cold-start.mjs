// Benchmark: cold start of the korax federation (federations/korax.yaml, three gateways on one
// machine) and one spoke's rollout, with three images in the same run, alternating:
//   today: the local image as before (recipe 2: no compile cache; the compose service starts
//          dist/index.js, so Node compiled every OpenClaw module on every start);
//   warm:  the local image with the read-only compile cache made at build time (recipe 3);
//   state: today's image under a non-local tag, so the compose service points NODE_COMPILE_CACHE
//          into the gateway's own state volume (what the official image or a user's gets).
// Per round and image: `down --volumes`, then `up` timed from the call to all three `started`;
// then `rollout` of the spoke medico to another tag of the same image, timed from the call to its
// return (the new container started and stable, snapshot and cleanup included).
// Also read: each container's CPU time at started (cgroup), and the rollout split by its progress
// lines into stop + snapshot (`stopping` -> `started on`) and start to started (`started on` ->
// the gate's first `started`), since the old gateway's stop (killed at 30 s when its Telegram
// channel cannot reach Telegram) dwarfs what the compile cache can change.
// Ratios are medians of warm/today and state/today, each also paired within a round.
// Targets: up warm/today <= 0.8, rollout warm/today <= 0.85.
// Run (starts containers: under the shared lock):
//   npm run build && flock /work/notes/e2e.lock node bench/cold-start.mjs [rounds=3]
// Images: CLAWFED_COLDSTART_TODAY (default openclaw:2026.9.6-local, must be recipe 2: since that
// tag is recipe 3+, tag the old image, e.g. openclaw:2026.9.6-r2today-local, and name it here) and
// CLAWFED_COLDSTART_WARM (default openclaw:2026.9.6-cs-local, built by src/runtime/image/ with a
// tag of its own so the shared default tag is left alone).
import { randomBytes } from "node:crypto";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { dist, log, median, run } from "./common.mjs";

const ROUNDS = Number(process.argv[2] ?? 3);
const TODAY = process.env.CLAWFED_COLDSTART_TODAY ?? "openclaw:2026.9.6-local";
const WARM = process.env.CLAWFED_COLDSTART_WARM ?? "openclaw:2026.9.6-cs-local";
const SPOKE = process.env.CLAWFED_COLDSTART_SPOKE ?? "medico";
// Rollout targets: another tag of the same image, keeping the variant's compile-cache rule
// (a tag ending in -local is clawfed's local image; src/vocabulary/compile-cache.ts).
const variants = [
  { name: "today", image: TODAY, next: "openclaw:2026.9.6-rbtoday-local" },
  { name: "warm", image: WARM, next: "openclaw:2026.9.6-rbwarm-local" },
  { name: "state", image: "clawfed-bench/openclaw:state-a", next: "clawfed-bench/openclaw:state-b", from: TODAY },
];

const { generate } = await import(dist("ops/generate.js"));
const { up } = await import(dist("ops/up.js"));
const { down } = await import(dist("ops/down.js"));
const { rollout } = await import(dist("ops/rollout.js"));
const { defaultDeps } = await import(dist("ops/deps.js"));
const { openFederation } = await import(dist("ops/context.js"));

const inspect = async (ref) => JSON.parse((await run("docker", ["image", "inspect", "--format", "{{json .}}", ref])).stdout);
const today = await inspect(TODAY);
const warm = await inspect(WARM);
if (today.Config.Labels["ai.clawfed.image-recipe"] !== "2") throw new Error(`${TODAY} is not the recipe-2 image (set CLAWFED_COLDSTART_TODAY)`);
if (!warm.Config.Env.some((e) => e.startsWith("NODE_COMPILE_CACHE="))) throw new Error(`${WARM} ships no compile cache (build it with src/runtime/image/)`);
for (const v of variants) {
  await run("docker", ["tag", v.from ?? v.image, v.next]);
  if (v.from) await run("docker", ["tag", v.from, v.image]);
}

const root = await mkdtemp(path.join(tmpdir(), "cfr-coldstart-"));
const spec = path.join(root, "korax.yaml");
const outDir = path.join(root, "out");
await copyFile(new URL("../federations/korax.yaml", import.meta.url), spec);
const deps = await defaultDeps();
const results = Object.fromEntries(variants.map((v) => [v.name, { up: [], rollout: [], perGateway: [], rolloutStart: [], rolloutStop: [], stopKilled: 0, upCpu: [] }]));

// CPU seconds a running container has used since it started (cgroup v1 cpuacct or v2 cpu.stat).
async function containerCpuS(name) {
  const r = await run("docker", ["exec", name, "sh", "-c", "cat /sys/fs/cgroup/cpuacct/cpuacct.usage 2>/dev/null || grep usage_usec /sys/fs/cgroup/cpu.stat"]).catch(() => undefined);
  const n = Number(r?.stdout.trim().split(/\s+/).pop());
  if (!Number.isFinite(n)) return undefined;
  return r.stdout.includes("usage_usec") ? n / 1e6 : n / 1e9;
}

// The rollout's progress lines, timestamped: how long the old gateway took to stop, and the new
// container from its start until /startupz said started (what the compile cache can change).
function rolloutPhases(lines) {
  const at = (re, from = 0) => lines.find((l) => l.t >= from && re.test(l.line));
  const stop = at(/: stopping$/);
  const stopped = at(/: (snapshot|state|copying|warning: the gateway did not finish)/, stop?.t);
  const swap = at(/: started on /);
  const started = swap && at(/: started$/, swap.t);
  return {
    stopMs: stop && swap ? swap.t - stop.t : undefined,
    startMs: swap && started ? started.t - swap.t : undefined,
    killed: lines.some((l) => /did not finish its shutdown/.test(l.line)),
    stoppedAt: stopped?.line,
  };
}

async function fillSecrets() {
  const f = path.join(outDir, ".env");
  const text = await readFile(f, "utf8");
  await writeFile(f, text.replace(/^([A-Z][A-Z0-9_]*)=$/gm, (_m, n) => `${n}=${/^TG_TOKEN_/.test(n) ? "1000001" : "bench"}:${randomBytes(12).toString("hex")}`), { mode: 0o600 });
}

try {
  await generate({ spec, outDir, image: TODAY });
  await fillSecrets();
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate the order each round, so load from elsewhere hits every image alike.
    const order = i % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      await down(await openFederation(spec, { outDir }), deps, { volumes: true });
      // rollout recorded the spoke's image in the spec: start each up from the pristine spec.
      await copyFile(new URL("../federations/korax.yaml", import.meta.url), spec);
      const t0 = performance.now();
      const res = await up(spec, deps, { outDir, image: v.image, timeoutMs: 600_000 });
      const upMs = performance.now() - t0;
      if (!res.ok) throw new Error(`${v.name}: korax did not come up: ${JSON.stringify(res.gateways)}`);
      results[v.name].up.push(upMs);
      results[v.name].perGateway.push(Object.fromEntries(res.gateways.map((g) => [g.id, +(g.ms / 1000).toFixed(1)])));
      const cpu = await Promise.all(res.gateways.map((g) => containerCpuS(g.container)));
      if (cpu.every((c) => c !== undefined)) results[v.name].upCpu.push(cpu.reduce((a, b) => a + b, 0));
      const lines = [];
      const t1 = performance.now();
      const rr = await rollout(await openFederation(spec, { outDir }), deps, { image: v.next, only: [SPOKE], onProgress: (line) => lines.push({ t: performance.now(), line }) });
      const rMs = performance.now() - t1;
      const ph = rolloutPhases(lines);
      // A failed rollout (rolled back) is reported, not timed.
      if (!rr.ok) {
        log(`round ${i + 1} ${v.name}: rollout FAILED (${rr.message})`);
        results[v.name].failed = (results[v.name].failed ?? 0) + 1;
        continue;
      }
      results[v.name].rollout.push(rMs);
      if (ph.startMs !== undefined) results[v.name].rolloutStart.push(ph.startMs);
      if (ph.stopMs !== undefined) results[v.name].rolloutStop.push(ph.stopMs);
      if (ph.killed) results[v.name].stopKilled++;
      log(`round ${i + 1} ${v.name}: up ${(upMs / 1000).toFixed(1)} s (CPU ${cpu.map((c) => c?.toFixed(1)).join("+")} s), rollout ${SPOKE} ${(rMs / 1000).toFixed(1)} s (stop ${((ph.stopMs ?? NaN) / 1000).toFixed(1)} s${ph.killed ? ", killed" : ""}, start to started ${((ph.startMs ?? NaN) / 1000).toFixed(1)} s), load ${(await readFile("/proc/loadavg", "utf8")).split(" ")[0]}`);
    }
  }
} finally {
  await down(await openFederation(spec, { outDir }), deps, { volumes: true }).catch((e) => log(`down failed: ${e.message}`));
  await rm(root, { recursive: true, force: true });
  for (const v of variants) {
    await run("docker", ["rmi", v.next]).catch(() => undefined);
    if (v.from) await run("docker", ["rmi", v.image]).catch(() => undefined);
  }
}

const s = (ms) => +(ms / 1000).toFixed(2);
const ratio = (a, b) => +(median(a) / median(b)).toFixed(2);
const paired = (a, b) => a.slice(0, b.length).map((x, i) => +(x / b[i]).toFixed(2));
const r = results;
const out = {
  bench: "cold-start-korax",
  rounds: ROUNDS,
  images: { today: TODAY, warm: WARM, state: `${TODAY} (non-local tag)` },
  imageSizeMB: { today: +(today.Size / 1e6).toFixed(1), warm: +(warm.Size / 1e6).toFixed(1), increase: +((warm.Size - today.Size) / 1e6).toFixed(1) },
  upMedianS: Object.fromEntries(variants.map((v) => [v.name, s(median(r[v.name].up))])),
  upAllS: Object.fromEntries(variants.map((v) => [v.name, r[v.name].up.map(s)])),
  upPerGatewayS: Object.fromEntries(variants.map((v) => [v.name, r[v.name].perGateway])),
  rolloutMedianS: Object.fromEntries(variants.map((v) => [v.name, s(median(r[v.name].rollout))])),
  rolloutAllS: Object.fromEntries(variants.map((v) => [v.name, r[v.name].rollout.map(s)])),
  upRatioWarm: ratio(r.warm.up, r.today.up),
  upPairedWarm: paired(r.warm.up, r.today.up),
  upRatioState: ratio(r.state.up, r.today.up),
  rolloutRatioWarm: ratio(r.warm.rollout, r.today.rollout),
  rolloutPairedWarm: paired(r.warm.rollout, r.today.rollout),
  rolloutRatioState: ratio(r.state.rollout, r.today.rollout),
  rolloutPairedState: paired(r.state.rollout, r.today.rollout),
  upCpuMedianS: Object.fromEntries(variants.map((v) => [v.name, +median(r[v.name].upCpu).toFixed(1)])),
  upCpuAllS: Object.fromEntries(variants.map((v) => [v.name, r[v.name].upCpu.map((x) => +x.toFixed(1))])),
  upCpuRatioWarm: +(median(r.warm.upCpu) / median(r.today.upCpu)).toFixed(2),
  rolloutStartMedianS: Object.fromEntries(variants.map((v) => [v.name, s(median(r[v.name].rolloutStart))])),
  rolloutStartAllS: Object.fromEntries(variants.map((v) => [v.name, r[v.name].rolloutStart.map(s)])),
  rolloutStartRatioWarm: ratio(r.warm.rolloutStart, r.today.rolloutStart),
  rolloutStartRatioState: ratio(r.state.rolloutStart, r.today.rolloutStart),
  rolloutStopAllS: Object.fromEntries(variants.map((v) => [v.name, r[v.name].rolloutStop.map(s)])),
  rolloutStopKilled: Object.fromEntries(variants.map((v) => [v.name, r[v.name].stopKilled])),
  rolloutFailures: Object.fromEntries(variants.map((v) => [v.name, r[v.name].failed ?? 0])),
  targets: { upWarm: 0.8, rolloutWarm: 0.85 },
};
out.met = { up: out.upRatioWarm <= 0.8, rollout: out.rolloutRatioWarm <= 0.85 };
console.log(JSON.stringify(out, null, 2));
