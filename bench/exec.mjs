// The one child-process wrapper (src/runtime/exec.ts, over execa) against bare node:child_process,
// side by side in one process: the first call (which loads execa), then N sequential short runs
// (`true`, and `sh -c 'seq 1 20000'` for a run with output). Prints medians and ratios.
// Usage: npm run build && node bench/exec.mjs [N=40]
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const N = Number(process.argv[2] ?? 40);
const execFileP = promisify(execFile);
const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const { run } = await import(dist("runtime/exec.js"));
let t0 = performance.now();
await run("true", []);
const firstMs = performance.now() - t0;
t0 = performance.now();
await execFileP("true", []);
const firstBaseMs = performance.now() - t0;

const cases = [
  ["true", []],
  ["sh", ["-c", "seq 1 20000"]],
];
const rows = [];
for (const [file, args] of cases) {
  const wrap = [];
  const base = [];
  // Interleaved, so both sides see the same machine load.
  for (let i = 0; i < N; i++) {
    let t = performance.now();
    await run(file, args);
    wrap.push(performance.now() - t);
    t = performance.now();
    await execFileP(file, args, { maxBuffer: 64 << 20 });
    base.push(performance.now() - t);
  }
  rows.push({ what: `${file} ${args.join(" ")}`.trim(), wrapMs: median(wrap), baseMs: median(base) });
}
console.log(`first call (loads execa): run ${firstMs.toFixed(1)} ms, execFile ${firstBaseMs.toFixed(1)} ms`);
for (const r of rows) console.log(`${r.what.padEnd(24)} run ${r.wrapMs.toFixed(2)} ms  execFile ${r.baseMs.toFixed(2)} ms  ratio ${(r.wrapMs / r.baseMs).toFixed(2)} (median of ${N})`);
