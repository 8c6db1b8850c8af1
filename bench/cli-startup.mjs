// Benchmark: wall time of short CLI commands (a whole `node bin/clawfed.js …` process), this
// checkout against a baseline checkout, alternating runs so that load from elsewhere hits both
// alike. The CLI now goes through createClawfed, one table formatter (cli-table3) and one
// reporter (ora, loaded only on a terminal); commands that never operate must not pay for it.
// Run: npm run build && node bench/cli-startup.mjs [baseline checkout=/work/main] [runs=15]
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = fileURLToPath(new URL("..", import.meta.url));
const BASE = path.resolve(process.argv[2] ?? "/work/main");
const RUNS = Number(process.argv[3] ?? 15);
const out = mkdtempSync(path.join(tmpdir(), "cf-bench-startup-"));
const cases = [
  ["--help"],
  ["validate", "federations/korax.yaml"],
  ["generate", "federations/korax.yaml", "--dry-run", "--out", out],
  ["status", "federations/korax.yaml", "--only", "nope"],
];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (root, args) => {
  const t0 = performance.now();
  try {
    execFileSync(process.execPath, [path.join(root, "bin/clawfed.js"), ...args], { cwd: root, stdio: "ignore" });
  } catch {
    /* exit codes other than 0 are part of some cases */
  }
  return performance.now() - t0;
};
const rows = [];
for (const args of cases) {
  const t = { base: [], here: [] };
  for (let i = 0; i < RUNS; i++) {
    t.base.push(time(BASE, args));
    t.here.push(time(HERE, args));
  }
  rows.push({ command: args.join(" ").replace(out, "<tmp>"), baselineMs: Math.round(median(t.base)), thisMs: Math.round(median(t.here)), ratio: +(median(t.here) / median(t.base)).toFixed(2) });
}
rmSync(out, { recursive: true, force: true });
console.log(JSON.stringify({ bench: "cli-startup", runs: RUNS, baseline: BASE, rows }, null, 2));
