// Benchmark: backup throughput of one gateway state volume holding ~1 GB, against GNU tar of the
// same volume's files, in the same run.
//   - ours: `backupFederation()` (what `clawfed backup` runs) of a one-gateway federation whose
//     container was created by compose but is stopped, so the time is the copy itself: the Engine's
//     archive API streams the volume out of a helper container, every file is hashed (sha256) and
//     re-packed into the gzip'd archive with its manifest;
//   - baseline: `tar -czf` (gzip level 6, like ours) of the volume's directory on the host, read
//     directly from /var/lib/docker/volumes/<volume>/_data (needs root); `tar -cf` (no compression)
//     is reported for reference.
// The data: 8 files of 96 MiB random bytes (incompressible, like media or encrypted blobs) and
// 2,000 files of 128 KiB text-like bytes (compressible, like JSON and SQLite pages): ~1.02 GB.
// Runs alternate (tar, ours, tar, ours …) after a warm-up read, so both see a warm page cache.
// Target: ours / tar -czf throughput ≥ 0.8.
// Run (root, Docker, local image): npm run build && node bench/backup.mjs [reps=3]
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { IMAGE, dist, log, median, run } from "./common.mjs";

const REPS = Number(process.argv[2] ?? 3);
const NAME = "cfbbench";
const PORT = 28250;
const MiB = 1024 * 1024;

const { generate } = await import(dist("ops/generate.js"));
const { openFederation } = await import(dist("ops/context.js"));
const { compose } = await import(dist("runtime/compose.js"));
const { backupFederation } = await import(dist("ops/backup.js"));

const dir = await mkdtemp(path.join(tmpdir(), "cfb-bench-"));
const spec = path.join(dir, `${NAME}.yaml`);
const outDir = path.join(dir, "out");
await writeFile(spec, [`name: ${NAME}`, "gateways:", "  hub:", "    role: hub", `    port: ${PORT}`, "    description: bench", "    model: anthropic/claude-sonnet-4-6", ""].join("\n"));
const volume = `${NAME}_hub-state`;
let result;
try {
  await generate({ spec, outDir, image: IMAGE });
  const ctx = await openFederation(spec, { outDir });
  const up = await compose(ctx.project, ["up", "--no-start"], { timeoutMs: 300_000 });
  if (up.code !== 0) throw new Error(`compose up --no-start failed: ${up.stderr}`);
  const { stdout } = await run("docker", ["volume", "inspect", volume, "--format", "{{.Mountpoint}}"]);
  const data = stdout.trim();

  log(`filling ${volume} (${data})`);
  const big = path.join(data, "blobs");
  const small = path.join(data, "agents", "main", "notes");
  await mkdir(big, { recursive: true });
  await mkdir(small, { recursive: true });
  let total = 0;
  for (let i = 0; i < 8; i++) {
    const fh = await open(path.join(big, `blob-${i}.bin`), "w", 0o600);
    for (let j = 0; j < 96; j++) await fh.write(randomBytes(MiB));
    await fh.close();
    total += 96 * MiB;
  }
  const words = "session agent tool call result memory skill workspace delegate spoke hub mailbox token pending read processed".split(" ");
  for (let i = 0; i < 2000; i++) {
    let s = "";
    while (s.length < 128 * 1024) s += `{"id":${i},"w":"${words[(s.length * 7 + i) % words.length]}","n":${(s.length * 2654435761) % 1000003},"r":"${randomBytes(6).toString("hex")}"}\n`;
    await writeFile(path.join(small, `note-${String(i).padStart(4, "0")}.jsonl`), s.slice(0, 128 * 1024), { mode: 0o644 });
    total += 128 * 1024;
  }
  await run("chown", ["-R", "1000:1000", data]);
  log(`${(total / 1e6).toFixed(0)} MB in the volume; warming the page cache`);
  await run("tar", ["-cf", "/dev/null", "-C", data, "."], { maxBuffer: 1 << 20 });

  const ours = [];
  const tarGz = [];
  const tarPlain = [];
  let archiveBytes = 0;
  let tarGzBytes = 0;
  const pairs = [];
  const tarGzOnce = async (r) => {
    const tgz = path.join(dir, `tar-${r}.tar.gz`);
    const t0 = performance.now();
    await run("tar", ["-czf", tgz, "-C", data, "."]);
    tarGz.push((performance.now() - t0) / 1000);
    tarGzBytes = (await stat(tgz)).size;
    await rm(tgz);
  };
  const oursOnce = async (r) => {
    const file = path.join(dir, `ours-${r}.tar.gz`);
    const t0 = performance.now();
    const res = await backupFederation({ spec, outDir, file });
    ours.push((performance.now() - t0) / 1000);
    archiveBytes = res.bytes;
    await rm(file);
  };
  for (let r = 0; r < REPS; r++) {
    // Each pair runs back to back (same load on a shared machine); the order alternates.
    if (r % 2 === 0) {
      await tarGzOnce(r);
      await oursOnce(r);
    } else {
      await oursOnce(r);
      await tarGzOnce(r);
    }
    pairs.push(tarGz.at(-1) / ours.at(-1));
    const tp = path.join(dir, `tar-${r}.tar`);
    const t0 = performance.now();
    await run("tar", ["-cf", tp, "-C", data, "."]);
    tarPlain.push((performance.now() - t0) / 1000);
    await rm(tp);
    const load = (await readFile("/proc/loadavg", "utf8")).split(" ")[0];
    log(`rep ${r + 1}/${REPS}: tar -czf ${tarGz.at(-1).toFixed(1)} s, clawfed backup ${ours.at(-1).toFixed(1)} s (ratio ${pairs.at(-1).toFixed(2)}), tar -cf ${tarPlain.at(-1).toFixed(1)} s, load ${load}`);
  }
  const mbps = (s) => +(total / 1e6 / s).toFixed(1);
  result = {
    bench: "backup-one-volume-1GB",
    bytes: total,
    reps: REPS,
    cpus: (await readFile("/proc/cpuinfo", "utf8")).split("\n").filter((l) => l.startsWith("processor")).length,
    oursMedianS: +median(ours).toFixed(2),
    tarGzMedianS: +median(tarGz).toFixed(2),
    tarPlainMedianS: +median(tarPlain).toFixed(2),
    oursMBps: mbps(median(ours)),
    tarGzMBps: mbps(median(tarGz)),
    tarPlainMBps: mbps(median(tarPlain)),
    ratioVsTarGz: +(median(tarGz) / median(ours)).toFixed(2),
    pairedRatios: pairs.map((x) => +x.toFixed(2)),
    pairedRatioMedian: +median(pairs).toFixed(2),
    ratioVsTarPlain: +(median(tarPlain) / median(ours)).toFixed(2),
    archiveBytes,
    tarGzBytes,
    target: "pairedRatioMedian (tar -czf time / clawfed backup time) >= 0.8",
  };
} finally {
  const ctx = await openFederation(spec, { outDir }).catch(() => undefined);
  if (ctx) await compose(ctx.project, ["down", "--volumes"], { timeoutMs: 300_000 }).catch((e) => log(`down failed: ${e.message}`));
  await rm(dir, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
