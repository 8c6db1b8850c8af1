// Repeated rollouts of one spoke right after `up` (issue 16 notes: the crash-looping rollouts).
// korax (federations/korax.yaml, renamed csdiag; its ports 18789/18909/19029) with dummy secrets,
// so medico's Telegram channel cannot reach Telegram and its shutdown hangs until killed. Then N
// rollouts of the spoke, alternating between two tags of one image; prints each outcome, the
// failed container's last log lines, and `RESULT ok/N`.
// Run (starts containers: under the shared lock):
//   npm run build && flock /work/notes/e2e.lock node bench/rollout-repeat.mjs [N=5]
// Env: IMG (default openclaw:2026.9.6-local), SPOKE (default medico), DIST (another build's dist/).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

const DIST = process.env.DIST ?? new URL("../dist", import.meta.url).pathname;
const dist = (p) => `${DIST}/${p}`;
const N = Number(process.argv[2] ?? 5);
const IMG = process.env.IMG ?? "openclaw:2026.9.6-local";
const SPOKE = process.env.SPOKE ?? "medico";
const OTHER = `${IMG}-rr`;
const { generate } = await import(dist("ops/generate.js"));
const { up } = await import(dist("ops/up.js"));
const { down } = await import(dist("ops/down.js"));
const { rollout } = await import(dist("ops/rollout.js"));
const { defaultDeps } = await import(dist("ops/deps.js"));
const { openFederation } = await import(dist("ops/context.js"));
execFileSync("docker", ["tag", IMG, OTHER]);
const tags = [IMG, OTHER];
const root = await mkdtemp(path.join(tmpdir(), "cfr-rr-"));
const spec = path.join(root, "korax.yaml");
const outDir = path.join(root, "out");
await writeFile(spec, (await readFile(new URL("../federations/korax.yaml", import.meta.url), "utf8")).replace(/^name: .*/m, "name: csdiag"));
const deps = await defaultDeps();
const t = () => new Date().toISOString().slice(11, 23);
try {
  await generate({ spec, outDir, image: IMG });
  const f = path.join(outDir, ".env");
  const env = await readFile(f, "utf8");
  await writeFile(f, env.replace(/^([A-Z][A-Z0-9_]*)=$/gm, (_m, n) => `${n}=${/^TG_TOKEN_/.test(n) ? "1000001" : "bench"}:${randomBytes(12).toString("hex")}`), { mode: 0o600 });
  const u = await up(spec, deps, { outDir, image: IMG, timeoutMs: 600_000 });
  console.log(t(), "up", u.ok, u.gateways.map((g) => `${g.id}:${g.ms}`).join(" "));
  let ok = 0;
  let on = 0;
  for (let i = 0; i < N; i++) {
    const r = await rollout(await openFederation(spec, { outDir }), deps, { image: tags[1 - on], only: [SPOKE], onProgress: (l) => console.log(t(), "  ", l) });
    console.log(t(), `rollout ${i + 1}: ok=${r.ok} ${r.message ?? ""}`);
    if (r.ok) {
      ok++;
      on = 1 - on;
    } else console.log(JSON.stringify(r.gateways, null, 1));
  }
  console.log(`RESULT ${ok}/${N} ok`);
} finally {
  await down(await openFederation(spec, { outDir }), deps, { volumes: true }).catch((e) => console.log("down failed", e.message));
  execFileSync("docker", ["rmi", OTHER]);
  await rm(root, { recursive: true, force: true });
}
