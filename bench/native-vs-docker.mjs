// Benchmark: the same three gateways (federations/korax.yaml: korax, goreos, medico) as native
// processes under PM2 (`clawfed native up`) and as containers (`clawfed up`, Docker + compose),
// in the same run, alternating native / Docker so that both see the same machine load.
//   - time to all healthy: from the library call (generate included) until every gateway answers
//     /healthz live and /startupz started (both runtimes use the same criterion);
//   - memory per gateway, 30 s after all are healthy, over the gateway's whole process tree on the
//     host (main process + OpenClaw's workers; for Docker the container's tini/init too):
//     RSS (sum of VmRSS) and PSS (proportional set size: shared pages split between processes, so
//     a tree is not double-counted); for Docker also the container's cgroup memory as
//     `docker stats` shows it.
// Each run starts from fresh state (new root / new output folder and volumes).
// Ports: native 29000/29120/29240, Docker 28300/28320/28340; compose project `cfnbench`.
// Run: npm run build && node bench/native-vs-docker.mjs [runsPerRuntime=3] [settleSeconds=30]
import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const RUNS = Number(process.argv[2] ?? 3);
const SETTLE_S = Number(process.argv[3] ?? 30);
const IMAGE = process.env.CLAWFED_BENCH_IMAGE ?? "openclaw:2026.9.6-local";
const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
const log = (line) => process.stderr.write(`[bench] ${line}\n`);
const IDS = ["korax", "goreos", "medico"];
const NATIVE_PORTS = { 18789: 29000, 18909: 29120, 19029: 29240 };
const DOCKER_PORTS = { 18789: 28300, 18909: 28320, 19029: 28340 };

const { nativeUp, nativeDown } = await import(dist("ops/native.js"));
const { findMarked, listProcesses, descendants } = await import(dist("runtime/native/procs.js"));
const { up } = await import(dist("ops/up.js"));
const { down } = await import(dist("ops/down.js"));
const { defaultDeps } = await import(dist("ops/deps.js"));
const { gatewayContainers } = await import(dist("runtime/containers.js"));
const { openFederation } = await import(dist("ops/context.js"));
const { loadSpecFile } = await import(dist("federation/load.js"));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mib = (b) => b / 1024 / 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** PSS of one process in bytes (smaps_rollup), 0 when gone. */
async function pss(pid) {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/smaps_rollup`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** RSS and PSS (bytes) and process count of the tree under `pid`. */
async function treeMemory(pid) {
  const tree = descendants(pid, await listProcesses()).filter((p) => p.state !== "Z");
  const pssSum = (await Promise.all(tree.map((p) => pss(p.pid)))).reduce((a, b) => a + b, 0);
  return { rss: tree.reduce((s, p) => s + p.rssBytes, 0), pss: pssSum, procs: tree.length };
}

async function specWith(dir, ports, name) {
  let text = await readFile("federations/korax.yaml", "utf8");
  for (const [from, to] of Object.entries(ports)) text = text.replace(new RegExp(`port: ${from}\\b`, "g"), `port: ${to}`);
  text = text.replace(/^name: .*$/m, `name: ${name}`);
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(file, text);
  return file;
}

async function loadavg() {
  return os.loadavg()[0].toFixed(1);
}

async function nativeRun(i, dir) {
  const spec = await specWith(dir, NATIVE_PORTS, "cfnbench");
  const root = path.join(dir, `native-${i}`);
  const load = await loadavg();
  const t0 = performance.now();
  const st = await nativeUp({ spec, root, timeoutMs: 900_000 });
  const ms = performance.now() - t0;
  if (!st.healthy) throw new Error(`native run ${i} not healthy: ${JSON.stringify(st.gateways)}`);
  log(`native #${i}: all healthy in ${(ms / 1000).toFixed(1)} s (load ${load}); settling ${SETTLE_S} s`);
  await sleep(SETTLE_S * 1000);
  const marked = (await findMarked(root)).filter((m) => m.top);
  const mem = {};
  for (const id of IDS) mem[id] = await treeMemory(marked.find((m) => m.gateway === id).pid);
  await nativeDown({ spec, root });
  await rm(root, { recursive: true, force: true });
  return { runtime: "native", run: i, loadAtStart: Number(load), msToHealthy: Math.round(ms), memory: mem };
}

async function dockerStats(names) {
  const { stdout } = await run("docker", ["stats", "--no-stream", "--format", "{{.Name}}\t{{.MemUsage}}", ...names]);
  const out = {};
  for (const line of stdout.trim().split("\n")) {
    const [name, usage] = line.split("\t");
    const m = /^([\d.]+)([KMG]i?B)/.exec(usage);
    const unit = { KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, KB: 1e3, MB: 1e6, GB: 1e9 }[m[2]];
    out[name] = Number(m[1]) * unit;
  }
  return out;
}

async function dockerRun(i, dir) {
  const spec = await specWith(dir, DOCKER_PORTS, "cfnbench");
  const outDir = path.join(dir, `docker-${i}`);
  const deps = await defaultDeps();
  const load = await loadavg();
  const t0 = performance.now();
  const res = await up(spec, deps, { outDir, image: IMAGE, timeoutMs: 900_000 });
  const ms = performance.now() - t0;
  try {
    if (!res.ok) throw new Error(`docker run ${i} not healthy: ${JSON.stringify(res.gateways)}`);
    log(`docker #${i}: all healthy in ${(ms / 1000).toFixed(1)} s (load ${load}); settling ${SETTLE_S} s`);
    await sleep(SETTLE_S * 1000);
    const ctx = await openFederation(spec, { outDir });
    const { current } = await gatewayContainers(ctx, deps.engine);
    const names = IDS.map((id) => current.get(id).name);
    const stats = await dockerStats(names);
    const mem = {};
    for (const id of IDS) {
      const c = current.get(id);
      const { stdout } = await run("docker", ["inspect", "-f", "{{.State.Pid}}", c.id]);
      mem[id] = { ...(await treeMemory(Number(stdout.trim()))), cgroup: stats[c.name] };
    }
    return { runtime: "docker", run: i, loadAtStart: Number(load), msToHealthy: Math.round(ms), memory: mem };
  } finally {
    await down(await openFederation(spec, { outDir }), deps, { volumes: true }).catch((e) => log(`docker down failed: ${e.message}`));
    await rm(outDir, { recursive: true, force: true });
  }
}

const dir = await mkdtemp("/tmp/cfn-bench-");
const loaded = await loadSpecFile("federations/korax.yaml", { target: "native" });
for (const k of loaded.federation.knowledge) await readdir(k.hostPath).catch(() => log(`warning: knowledge ${k.hostPath} is missing (the gateways start anyway)`));
const results = [];
try {
  for (let i = 1; i <= RUNS; i++) {
    results.push(await nativeRun(i, dir));
    results.push(await dockerRun(i, dir));
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

const summary = {};
for (const rt of ["native", "docker"]) {
  const rs = results.filter((r) => r.runtime === rt);
  const per = (k) => rs.flatMap((r) => IDS.map((id) => r.memory[id][k])).filter((x) => x !== undefined);
  summary[rt] = {
    runs: rs.length,
    msToHealthy: rs.map((r) => r.msToHealthy),
    medianSToHealthy: Number((median(rs.map((r) => r.msToHealthy)) / 1000).toFixed(1)),
    medianRssMiBPerGateway: Math.round(mib(median(per("rss")))),
    medianPssMiBPerGateway: Math.round(mib(median(per("pss")))),
    ...(rt === "docker" ? { medianCgroupMiBPerGateway: Math.round(mib(median(per("cgroup")))) } : {}),
    processesPerGateway: median(per("procs")),
  };
}
const meta = { date: new Date().toISOString(), host: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`, image: IMAGE, runsPerRuntime: RUNS, settleSeconds: SETTLE_S };
process.stdout.write(`${JSON.stringify({ meta, summary, results }, null, 2)}\n`);
