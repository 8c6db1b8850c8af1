// Benchmark: the kubernetes target against the compose target, on the same large hub-and-spoke
// specs as bench/generate.mjs (one hub, N-1 spokes over a2a + hooks + mailbox).
//
// For each size N, alternating in one loop so every measure sees the same machine:
//   - compile:   compile(fed, "kubernetes") in-process, baseline compile(fed, "compose") (same
//                loaded spec; the ratio is what the Kustomize base costs over the compose file)
//   - kustomize: `kubectl kustomize` of the generated folder (written once by `generate`), the
//                step a user's `kubectl apply -k` runs first; reported with the object count.
// Target: kubernetes compile within 3 × compose, and linear growth (2N time ≤ 2.2 × N time).
//
// Run: npm run build && node bench/kubernetes.mjs [runs=5] [sizes=250,500]   (needs kubectl: scripts/provision-kubectl.sh)
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { dist, log, median } from "./common.mjs";
import { bigSpec } from "./generate-spec.mjs";

const run = promisify(execFile);

const RUNS = Number(process.argv[2] ?? 5);
const SIZES = (process.argv[3] ?? "250,500").split(",").map(Number);
const { compile } = await import(dist("targets/registry.js"));
const { loadSpecFile } = await import(dist("federation/load.js"));
const { generate } = await import(dist("ops/generate.js"));

const dir = await mkdtemp(path.join(tmpdir(), "cf-bench-k8s-"));
try {
  const cases = [];
  for (const n of SIZES) {
    const spec = path.join(dir, `big-${n}.yaml`);
    await writeFile(spec, bigSpec(n));
    const fed = (await loadSpecFile(spec, { target: "kubernetes" })).federation;
    const out = path.join(dir, `out-${n}`);
    await generate({ spec, outDir: out, target: "kubernetes" });
    cases.push({ n, fed, out, compose: [], kubernetes: [], kustomize: [], objects: 0 });
  }
  for (let r = 0; r < RUNS; r++) {
    for (const c of cases) {
      let t = performance.now();
      compile(c.fed, "compose");
      c.compose.push(performance.now() - t);
      t = performance.now();
      compile(c.fed, "kubernetes");
      c.kubernetes.push(performance.now() - t);
      t = performance.now();
      const { stdout } = await run(process.env.KUBECTL || "kubectl", ["kustomize", c.out], { maxBuffer: 1 << 30 });
      c.kustomize.push(performance.now() - t);
      c.objects = stdout.split(/^---$/m).length;
    }
    log(`run ${r + 1}/${RUNS} done`);
  }
  const rows = cases.map((c) => ({
    gateways: c.n,
    composeCompileMs: +median(c.compose).toFixed(1),
    kubernetesCompileMs: +median(c.kubernetes).toFixed(1),
    ratio: +(median(c.kubernetes) / median(c.compose)).toFixed(2),
    kustomizeMs: Math.round(median(c.kustomize)),
    builtObjects: c.objects,
  }));
  console.log(JSON.stringify({ runs: RUNS, rows }, null, 2));
  if (rows.length >= 2) {
    const [a, b] = rows;
    console.log(`growth ${b.gateways}/${a.gateways} gateways: compile ×${(b.kubernetesCompileMs / a.kubernetesCompileMs).toFixed(2)}, kustomize ×${(b.kustomizeMs / a.kustomizeMs).toFixed(2)}`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
