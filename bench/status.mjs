// Benchmark: `status` of a three-gateway federation.
//   - library call getStatus() (one engine listing, then per gateway an inspect and three probes,
//     all concurrently), warm process: median and p90 of N calls;
//   - the CLI `clawfed status <spec>` as a user runs it (cold Node process each time): median wall
//     time, with `clawfed --help` (same process start, no Docker) measured alongside as baseline;
//   - `clawfed status --watch` (2 s interval) for 60 s: CPU seconds used / 60 s.
// Targets: status median ≤ 300 ms; watch CPU small.
// Run: npm run build && node bench/status.mjs [calls=30] [cliRuns=15] [watchSeconds=60]
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dist, log, median, quantile, run, startFederation } from "./common.mjs";

const CALLS = Number(process.argv[2] ?? 30);
const CLI_RUNS = Number(process.argv[3] ?? 15);
const WATCH_S = Number(process.argv[4] ?? 60);
const BIN = fileURLToPath(new URL("../bin/clawfed.js", import.meta.url));
const { getStatus } = await import(dist("ops/status.js"));

/** utime + stime of a process and its children that were waited for, in seconds (Linux /proc). */
async function cpuSeconds(pid) {
  const stat = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1].split(" ");
  const ticks = Number(stat[11]) + Number(stat[12]);
  return ticks / 100;
}

const fed = await startFederation("cfrstat", { hub: 28185, one: 28186, two: 28187 });
let result;
try {
  const lib = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    const st = await getStatus(fed.ctx, fed.deps);
    lib.push(performance.now() - t0);
    if (!st.healthy) throw new Error("federation not healthy during the benchmark");
  }
  // Cold processes, alternating: the CLI, the CLI's start alone (--help), and one getStatus() in a
  // fresh Node process with the engine's reads over node:http (default) or over dockerode.
  const cold = (reads) =>
    `const { openFederation } = await import(${JSON.stringify(dist("ops/context.js"))});` +
    `const { getStatus } = await import(${JSON.stringify(dist("ops/status.js"))}); const { defaultDeps } = await import(${JSON.stringify(dist("ops/deps.js"))});` +
    `const deps = await defaultDeps();` +
    (reads === "dockerode"
      ? `const { createDockerEngine } = await import(${JSON.stringify(dist("runtime/docker/engine.js"))}); const D = (await import("dockerode")).default; deps.engine = createDockerEngine({ docker: new D() });`
      : "") +
    `const st = await getStatus(await openFederation(${JSON.stringify(fed.spec)}, { outDir: ${JSON.stringify(fed.outDir)} }), deps); if (!st.healthy) process.exit(4);`;
  const cli = [];
  const help = [];
  const coldLight = [];
  const coldDockerode = [];
  const time = async (arr, args) => {
    const t0 = performance.now();
    await run(process.execPath, args, { cwd: fileURLToPath(new URL("..", import.meta.url)) });
    arr.push(performance.now() - t0);
  };
  for (let i = 0; i < CLI_RUNS; i++) {
    await time(help, [BIN, "--help"]);
    await time(cli, [BIN, "status", fed.spec, "--out", fed.outDir]);
    await time(coldLight, ["--input-type=module", "-e", cold("http")]);
    await time(coldDockerode, ["--input-type=module", "-e", cold("dockerode")]);
  }
  log(`watching for ${WATCH_S} s`);
  const child = spawn(process.execPath, [BIN, "status", fed.spec, "--out", fed.outDir, "--watch", "--interval", "2s"], { stdio: ["ignore", "ignore", "ignore"] });
  await new Promise((r) => setTimeout(r, 1_000)); // past startup
  const c0 = await cpuSeconds(child.pid);
  await new Promise((r) => setTimeout(r, WATCH_S * 1000));
  const c1 = await cpuSeconds(child.pid);
  child.kill("SIGINT");
  await new Promise((r) => child.on("exit", r));
  const r2 = (ms) => +ms.toFixed(1);
  result = {
    bench: "status-three-gateways",
    libraryMedianMs: r2(median(lib)),
    libraryP90Ms: r2(quantile(lib, 0.9)),
    cliMedianMs: r2(median(cli)),
    cliHelpMedianMs: r2(median(help)),
    coldProcessReadsOverHttpMedianMs: r2(median(coldLight)),
    coldProcessReadsOverDockerodeMedianMs: r2(median(coldDockerode)),
    watchCpuPercent: +(((c1 - c0) / WATCH_S) * 100).toFixed(2),
    watchCpuSeconds: +(c1 - c0).toFixed(2),
    watchSeconds: WATCH_S,
    target: "status median <= 300 ms",
  };
} finally {
  await fed.down();
}
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
