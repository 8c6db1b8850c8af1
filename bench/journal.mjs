// Benchmark: what the operation journal adds to a rollout. One gateway's rollout writes the
// journal 13 times (the start, then `started` and `done` of 6 steps: each a temp file, fsync,
// rename at mode 0600) and deletes it at the end. Baseline, side by side in the same run: the same
// number of plain `writeFile` calls of the same bytes (no fsync, no rename), so the ratio shows the
// price of atomic, durable writes. Both in a folder under the current directory (the disk the
// output folder is on, not tmpfs). Reported against a one-gateway rollout (~25-80 s on this
// machine, test/e2e/journal.test.ts).
// Run: npm run build && node bench/journal.mjs [reps=20]
import { mkdtempSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { dist, log, median } from "./common.mjs";

const { startJournal } = await import(dist("ops/journal.js"));
const { journalText, newJournal } = await import(dist("vocabulary/journal.js"));
const reps = Number(process.argv[2] ?? 20);
const ACTIONS = ["stop", "snapshot", "swap", "gate", "record", "cleanup"];
const steps = ACTIONS.map((a) => ({ key: `goreos:${a}`, gateway: "goreos", action: a, rollback: "as documented" }));
const dir = mkdtempSync(path.join(process.cwd(), ".bench-journal-"));
const ctx = { outDir: dir, fed: { name: "bench" }, loaded: { file: "bench.yaml" } };

async function ours() {
  const t0 = performance.now();
  const j = await startJournal(ctx, { operation: "rollout", args: { image: "img:b" }, steps });
  for (const s of steps) {
    await j.begin(s.key, { note: "x" });
    await j.end(s.key);
  }
  await j.finish();
  return performance.now() - t0;
}

async function baseline() {
  const text = journalText(newJournal({ operation: "rollout", federation: "bench", spec: "bench.yaml", pid: 1, host: "h", startedAt: "t", args: {}, steps }));
  const t0 = performance.now();
  for (let i = 0; i < 13; i++) await writeFile(path.join(dir, "plain.json"), text);
  return performance.now() - t0;
}

try {
  const a = [];
  const b = [];
  for (let i = 0; i < reps; i++) {
    b.push(await baseline());
    a.push(await ours());
  }
  const [ma, mb] = [median(a), median(b)];
  log(`journal of one gateway's rollout (13 atomic writes + delete): median ${ma.toFixed(1)} ms; 13 plain writeFile: ${mb.toFixed(1)} ms; ratio ${(ma / mb).toFixed(1)}x; reps ${reps}`);
  log(`against a one-gateway rollout of 25 s: ${((ma / 25_000) * 100).toFixed(2)} %`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
