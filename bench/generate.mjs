// Benchmark: `clawfed validate` and `clawfed generate` of large hub-and-spoke specs (issue 9).
//
// For each size N (default 1000 and 2000 gateways: one hub, N-1 spokes, every spoke linked to the
// hub over a2a + hooks + mailbox, one shared knowledge base), each run is a cold CLI process, as a
// user runs it, alternating the sizes and the baselines in the same loop so every measure sees the
// same machine:
//   - validate:  `clawfed validate spec.yaml`        baseline: parse the same YAML with `yaml` alone
//   - generate:  `clawfed generate spec.yaml --out`  baseline: `cp -r` of the same generated tree
//                into a fresh folder (the floor: creating the same files with the same bytes)
// Peak RSS is the child's own maxRSS (process.resourceUsage(), read at exit through --import).
// Targets: validate < 1 s, generate < 3 s, peak RSS < 400 MB at 1000 gateways, and linear growth
// (2000-gateway time ≤ 2.2 × 1000-gateway time).
//
// Run: npm run build && node bench/generate.mjs [runs=5] [sizes=1000,2000]
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { log, median } from "./common.mjs";
import { bigSpec } from "./generate-spec.mjs";

const RUNS = Number(process.argv[2] ?? 5);
const SIZES = (process.argv[3] ?? "1000,2000").split(",").map(Number);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = path.join(ROOT, "bin/clawfed.js");
// Prints the process's peak RSS (KiB) on stderr at exit, without touching the program under test.
const RSS_HOOK = `data:text/javascript,process.on("exit",()=>process.stderr.write("\\nMAXRSS_KB="+process.resourceUsage().maxRSS+"\\n"))`;

/** Run a command; resolve with wall ms and peak RSS in MiB (node children only). */
function timed(cmd, args, { node = true } = {}) {
  const argv = node ? ["--import", RSS_HOOK, ...args] : args;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(node ? process.execPath : cmd, argv, { cwd: ROOT, maxBuffer: 64 << 20 }, (err, _out, stderr) => {
      const ms = performance.now() - t0;
      if (err) return reject(new Error(`${cmd} ${args.join(" ")} failed: ${stderr.slice(-2000)}`));
      const m = /MAXRSS_KB=(\d+)/.exec(stderr);
      resolve({ ms, rssMiB: m ? Number(m[1]) / 1024 : undefined });
    });
  });
}

const dir = await mkdtemp(path.join(tmpdir(), "cfr-bench-gen-"));
const results = {};
try {
  for (const n of SIZES) {
    await writeFile(path.join(dir, `big-${n}.yaml`), bigSpec(n));
    results[n] = { validate: [], yaml: [], generate: [], copy: [], rssValidate: [], rssGenerate: [] };
  }
  const yamlOnly = (file) => [
    "--input-type=module",
    "-e",
    `import { parseDocument } from "yaml"; import { readFileSync } from "node:fs"; parseDocument(readFileSync(${JSON.stringify(file)}, "utf8"), { keepSourceTokens: false }).toJS();`,
  ];
  for (let run = 0; run < RUNS; run++) {
    for (const n of SIZES) {
      const spec = path.join(dir, `big-${n}.yaml`);
      const out = path.join(dir, `out-${n}-${run}`);
      const copy = path.join(dir, `copy-${n}-${run}`);
      const r = results[n];
      const v = await timed("node", [BIN, "validate", spec]);
      const y = await timed("node", yamlOnly(spec));
      const g = await timed("node", [BIN, "generate", spec, "--out", out]);
      const c = await timed("cp", ["-r", out, copy], { node: false });
      r.validate.push(v.ms);
      r.rssValidate.push(v.rssMiB);
      r.yaml.push(y.ms);
      r.generate.push(g.ms);
      r.rssGenerate.push(g.rssMiB);
      r.copy.push(c.ms);
      log(`run ${run + 1}/${RUNS} n=${n}: validate ${v.ms.toFixed(0)} ms (yaml ${y.ms.toFixed(0)}), generate ${g.ms.toFixed(0)} ms (cp -r ${c.ms.toFixed(0)}), RSS ${g.rssMiB?.toFixed(0)} MiB`);
      await rm(out, { recursive: true, force: true });
      await rm(copy, { recursive: true, force: true });
    }
  }
  const rows = SIZES.map((n) => {
    const r = results[n];
    return {
      gateways: n,
      validateMs: Math.round(median(r.validate)),
      yamlParseMs: Math.round(median(r.yaml)),
      generateMs: Math.round(median(r.generate)),
      copyTreeMs: Math.round(median(r.copy)),
      generateOverCopy: +(median(r.generate) / median(r.copy)).toFixed(2),
      peakRssValidateMiB: Math.round(Math.max(...r.rssValidate)),
      peakRssGenerateMiB: Math.round(Math.max(...r.rssGenerate)),
    };
  });
  console.log(`clawfed generate benchmark, ${RUNS} runs per size, medians (node ${process.version})`);
  console.table(rows);
  if (SIZES.length >= 2) {
    const [a, b] = [SIZES[0], SIZES[SIZES.length - 1]];
    const ratio = (k) => +(median(results[b][k]) / median(results[a][k])).toFixed(2);
    console.log(`growth ${b}/${a} gateways: validate ${ratio("validate")}×, generate ${ratio("generate")}×, yaml-only ${ratio("yaml")}×, cp -r ${ratio("copy")}× (linear = ${(b / a).toFixed(2)}×)`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
