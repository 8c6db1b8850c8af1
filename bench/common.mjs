// Shared plumbing of the runtime benchmarks: a throw-away federation in /tmp/cfr-bench-*, started
// with clawfed's own `up`, taken down afterwards. Needs `npm run build`, Docker, and the local
// image (`clawfed image build` builds it; the e2e setup does too).
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

export const run = promisify(execFile);
export const IMAGE = process.env.CLAWFED_BENCH_IMAGE ?? "openclaw:2026.9.6-local";
export const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
export const log = (line) => process.stderr.write(`[bench] ${line}\n`);

/** Median of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
export function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/**
 * Write a federation spec with the given gateways ({id: port}; the first is the hub) and start it.
 * @returns {{dir, spec, outDir, ctx, deps, down: () => Promise<void>}}
 */
export async function startFederation(name, gateways) {
  const { up } = await import(dist("ops/up.js"));
  const { defaultDeps } = await import(dist("ops/deps.js"));
  const { openFederation } = await import(dist("ops/context.js"));
  const { down } = await import(dist("ops/down.js"));
  const dir = await mkdtemp(path.join(tmpdir(), "cfr-bench-"));
  const spec = path.join(dir, `${name}.yaml`);
  const outDir = path.join(dir, "out");
  const ids = Object.keys(gateways);
  const lines = [`name: ${name}`, "gateways:"];
  ids.forEach((id, i) => {
    lines.push(`  ${id}:`, `    role: ${i === 0 ? "hub" : "spoke"}`, `    port: ${gateways[id]}`, `    description: ${id}`, "    model: anthropic/claude-sonnet-4-6");
  });
  lines.push("links:", ...ids.slice(1).map((id) => `  - { from: ${ids[0]}, to: ${id} }`));
  await writeFile(spec, `${lines.join("\n")}\n`);
  const deps = await defaultDeps();
  log(`starting ${name} (${ids.join(", ")})`);
  const res = await up(spec, deps, { outDir, image: IMAGE, timeoutMs: 600_000 });
  if (!res.ok) throw new Error(`${name} did not come up: ${JSON.stringify(res.gateways)}`);
  log(`${name} up in ${(res.ms / 1000).toFixed(1)} s`);
  const ctx = await openFederation(spec, { outDir });
  return {
    dir,
    spec,
    outDir,
    ctx,
    deps,
    async down() {
      await down(await openFederation(spec, { outDir }), deps, { volumes: true }).catch((e) => log(`down failed: ${e.message}`));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
