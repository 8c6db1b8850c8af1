// Benchmark: the pure compile of large hub-and-spoke specs, in process (no writer, no disk), per
// target, optionally side by side with a baseline build (issue 9: the compile's O(gateways ×
// routes) loops). Each measure is a fresh child process (cold JIT, as a user runs clawfed):
// load (parse + validate + normalize) once, then compile the federation for the target.
// With --baseline <root> (a folder holding another build: bin/, dist/, templates/, node_modules),
// both builds run alternately in one loop and the table shows this build / baseline.
//
// Run: npm run build && node bench/compile.mjs [runs=3] [sizes=1000,2000] [--baseline <root>]
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { bigSpec } from "./generate-spec.mjs";
import { log, median } from "./common.mjs";

const args = process.argv.slice(2);
const bi = args.indexOf("--baseline");
const BASELINE = bi >= 0 ? path.resolve(args.splice(bi, 2)[1]) : undefined;
const RUNS = Number(args[0] ?? 3);
const SIZES = (args[1] ?? "1000,2000").split(",").map(Number);
const TARGETS = ["compose", "native", "systemd"];
const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Child program: load the spec, compile it for one target, print the two durations (ms) as JSON. */
function childCode(root, spec, target) {
  const url = (p) => JSON.stringify(pathToFileURL(path.join(root, "dist", p)).href);
  // The registry moved from compile/index.js to targets/registry.js; accept either build.
  const registry = existsSync(path.join(root, "dist/targets/registry.js")) ? "targets/registry.js" : "compile/index.js";
  return `
    const { loadSpecFile } = await import(${url("federation/load.js")});
    const { compile } = await import(${url(registry)});
    const t0 = performance.now();
    // Loaded with the compose rules: host targets refuse more than ~380 gateways on one host
    // (base ports 120 apart), but their compile is what is measured here.
    const { federation } = await loadSpecFile(${JSON.stringify(spec)});
    const t1 = performance.now();
    compile(federation, ${JSON.stringify(target)}, { root: "/srv/big", openclaw: { node: "/usr/bin/node", entry: "/opt/openclaw/openclaw.mjs" } });
    const t2 = performance.now();
    console.log(JSON.stringify({ load: t1 - t0, compile: t2 - t1 }));`;
}

function measure(root, spec, target) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--input-type=module", "-e", childCode(root, spec, target)], { cwd: root, maxBuffer: 16 << 20 }, (err, out, stderr) => {
      if (err) return reject(new Error(`compile ${target} in ${root} failed: ${stderr.slice(-2000)}`));
      resolve(JSON.parse(out.trim().split("\n").pop()));
    });
  });
}

const dir = await mkdtemp(path.join(tmpdir(), "cfr-bench-compile-"));
try {
  const builds = BASELINE ? { this: ROOT, baseline: BASELINE } : { this: ROOT };
  const results = {};
  for (const n of SIZES) await writeFile(path.join(dir, `big-${n}.yaml`), bigSpec(n));
  for (let run = 0; run < RUNS; run++) {
    for (const n of SIZES) {
      for (const target of TARGETS) {
        for (const [name, root] of Object.entries(builds)) {
          const r = await measure(root, path.join(dir, `big-${n}.yaml`), target);
          ((results[`${n}/${target}/${name}`] ??= { load: [], compile: [] }).load.push(r.load), results[`${n}/${target}/${name}`].compile.push(r.compile));
          log(`run ${run + 1}/${RUNS} n=${n} ${target} ${name}: load ${r.load.toFixed(0)} ms, compile ${r.compile.toFixed(0)} ms`);
        }
      }
    }
  }
  const rows = [];
  for (const n of SIZES) {
    for (const target of TARGETS) {
      const mine = results[`${n}/${target}/this`];
      const row = { gateways: n, target, loadMs: Math.round(median(mine.load)), compileMs: Math.round(median(mine.compile)) };
      if (BASELINE) {
        const base = results[`${n}/${target}/baseline`];
        row.baselineCompileMs = Math.round(median(base.compile));
        row.compileVsBaseline = +(median(mine.compile) / median(base.compile)).toFixed(2);
      }
      rows.push(row);
    }
  }
  console.log(`clawfed compile benchmark, ${RUNS} runs, medians (node ${process.version})${BASELINE ? `, baseline ${BASELINE}` : ""}`);
  console.table(rows);
  if (SIZES.length >= 2) {
    const [a, b] = [SIZES[0], SIZES[SIZES.length - 1]];
    for (const target of TARGETS) {
      const g = +(median(results[`${b}/${target}/this`].compile) / median(results[`${a}/${target}/this`].compile)).toFixed(2);
      console.log(`growth of compile ${target} ${b}/${a} gateways: ${g}× (linear = ${(b / a).toFixed(2)}×)`);
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
