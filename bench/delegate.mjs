// Delegation latency and throughput (issue 11), real Docker, real gateways, the scripted model on
// the host answering at once (test/helpers/scripted-model.mjs):
//   - `ask korax` → federation_delegate → goreos → back: p50/p95 over N tasks, against two direct
//     `ask goreos` in sequence measured in the same run (the floor a delegation can reach: the
//     hub's two model turns plus the spoke's one);
//   - tasks per minute through the hub at concurrency 1, 4 and 16.
// Run under the shared lock: flock /work/notes/e2e.lock node bench/delegate.mjs   (npm run build first)
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { dist, IMAGE, log, quantile } from "./common.mjs";
import { startScriptedModel } from "../test/helpers/scripted-model.mjs";

const N = Number(process.env.N ?? 50);
const { generate } = await import(dist("ops/generate.js"));
const { up } = await import(dist("ops/up.js"));
const { defaultDeps } = await import(dist("ops/deps.js"));
const { compose } = await import(dist("runtime/compose.js"));
const { createClawfed } = await import(dist("ops/clawfed.js"));
const clawfed = createClawfed();

const model = await startScriptedModel({ host: "0.0.0.0" });
const root = await mkdtemp("/tmp/cfb-dlg-");
const outDir = path.join(root, "out");
const spec = path.join(root, "dlgbench.yaml");
await writeFile(spec, `name: dlgbench
models:
  providers:
    scripted:
      baseUrl: http://host.docker.internal:${model.port}/v1
      apiKey: SCRIPTED_API_KEY
      models: [{ id: korax }, { id: goreos }]
gateways:
  korax: { role: hub, port: 28789, description: Hub., model: scripted/korax }
  goreos: { port: 28909, description: Spoke., model: scripted/goreos }
links:
  - { from: korax, to: goreos, transports: [a2a] }
`);
const ms = (xs) => `p50 ${quantile(xs, 0.5).toFixed(0)} ms, p95 ${quantile(xs, 0.95).toFixed(0)} ms`;
try {
  await generate({ spec, outDir, image: IMAGE });
  const envFile = path.join(outDir, ".env");
  await writeFile(envFile, (await readFile(envFile, "utf8")).replace(/^SCRIPTED_API_KEY=$/m, `SCRIPTED_API_KEY=b-${randomBytes(8).toString("hex")}`), { mode: 0o600 });
  const res = await up(spec, await defaultDeps(), { outDir, image: IMAGE, timeoutMs: 300_000, onProgress: log });
  if (!res.ok) throw new Error("federation did not come up");
  const once = async (gw, text) => {
    const r = await clawfed.ask(spec, { gateway: gw, text, out: outDir, timeoutMs: 120_000 });
    if (r.state !== "TASK_STATE_COMPLETED") throw new Error(`${gw}: ${r.state} ${r.answer}`);
    return r.ms;
  };
  // Warm-up: the first run of each gateway loads its agent runtime.
  await once("korax", "DELEGATE goreos: TASK w0 warm up");
  await once("goreos", "TASK w1 warm up");
  const hub = [];
  const direct = [];
  for (let i = 0; i < N; i++) {
    hub.push(await once("korax", `DELEGATE goreos: TASK h${i} bench`));
    const t0 = performance.now();
    await once("goreos", `TASK a${i} bench`);
    await once("goreos", `TASK b${i} bench`);
    direct.push(performance.now() - t0);
  }
  console.log(`delegation ask korax → goreos → back (${N} tasks): ${ms(hub)}`);
  console.log(`two direct ask goreos in sequence (${N} pairs):     ${ms(direct)}`);
  console.log(`ratio p50 ${(quantile(hub, 0.5) / quantile(direct, 0.5)).toFixed(2)}x, p95 ${(quantile(hub, 0.95) / quantile(direct, 0.95)).toFixed(2)}x (target <= 1.25x)`);
  for (const c of [1, 4, 16]) {
    const total = Math.max(c * 4, 16);
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: c }, async () => {
      while (next < total) {
        const i = next++;
        await once("korax", `DELEGATE goreos: TASK c${c}-${i} throughput`);
      }
    }));
    const min = (performance.now() - t0) / 60_000;
    console.log(`concurrency ${String(c).padStart(2)}: ${total} delegated tasks in ${(min * 60).toFixed(1)} s = ${(total / min).toFixed(0)} tasks/min`);
  }
} finally {
  await compose({ dir: outDir, name: "dlgbench" }, ["down", "-v", "--remove-orphans"], { timeoutMs: 300_000 }).catch((e) => log(`down: ${e.message}`));
  await model.close();
  await rm(root, { recursive: true, force: true });
}
