// Operating a running federation for real: `clawfed up`, `status`, `logs`, `rollout` and `down`
// through the built CLI, against the real Docker Engine and three real OpenClaw gateways (a hub,
// a sandboxed spoke whose state is a bind-mounted folder, a plain spoke whose state is a named
// volume). The tests run in order on one federation, since each gateway start costs ~1 GB and
// 10-60 s on the 2-core machines:
//   1. up → all healthy; status --json (and --watch) agree;
//   2. logs replace a token written to the container's stdout in two pieces;
//   3. rollout of both spokes to a second tag, while the hub is probed every 250 ms: zero failures;
//      the spec records the tag and a later `compose up -d` leaves the new containers alone;
//   4. rollout to an image whose gateway cannot start (it damages the state first): automatic
//      rollback, the spoke healthy again on its old image with its old state, the other spoke not
//      touched, exit code 3;
//   5. status --json reports a gateway stopped by hand and exits 4;
//   6. down --volumes leaves nothing behind.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { parse as parseDotenv } from "dotenv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayTokenEnv } from "../../src/vocabulary/names.js";
import { compose } from "../../src/runtime/compose.js";
import { judgeProbe, nodeHttpGet } from "../../src/runtime/health.js";
import type { FederationStatus } from "../../src/ops/status.js";
import type { RolloutResult } from "../../src/ops/rollout.js";
import type { UpResult } from "../../src/ops/up.js";
import { runCli } from "../helpers/cli.js";
import { docker, execIn, leftOvers, serviceContainer } from "../helpers/docker.js";
import { TEST_IMAGE } from "../helpers/setup-docker.js";

const run = promisify(execFile);
const FED = "cfrops";
/** A second tag of the same image (what a rollout to a new release looks like offline). */
const IMAGE_B = `${TEST_IMAGE}-cfrb`;
/** Derived from the test image: writes into the state (as a one-way migration would), then exits 1. */
const IMAGE_BROKEN = `${TEST_IMAGE}-cfrbroken`;
const PORTS = { hub: 28170, alpha: 28171, beta: 28172 };
/** Three gateways start at once on 2 busy cores. */
const UP_TIMEOUT = "300s";
const HUB_PROBE_EVERY_MS = 250;

const log = (line: string) => process.stderr.write(`[rollout-e2e] ${line}\n`);

let dir: string;
let spec: string;
let outDir: string;
let env: Record<string, string>;

const cli = (args: string[], timeoutMs = 600_000) => runCli([...args, "--out", outDir], { timeoutMs });
const json = <T>(stdout: string): T => JSON.parse(stdout) as T;
const containerOf = (id: string) => serviceContainer(FED, id);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "cfr-ops-"));
  spec = path.join(dir, `${FED}.yaml`);
  outDir = path.join(dir, "out");
  await mkdir(path.join(dir, "kb"));
  await writeFile(path.join(dir, "kb", "README.md"), "shared notes\n");
  await writeFile(
    spec,
    `# rollout e2e federation
name: ${FED}
knowledge:
  docs:
    path: ${path.join(dir, "kb")}
gateways:
  hub:
    role: hub
    port: ${PORTS.hub}
    description: The hub.
    model: anthropic/claude-sonnet-4-6
    hooks: true
    knowledge: [docs]
  alpha:
    role: spoke
    port: ${PORTS.alpha}
    description: Sandboxed spoke; its state is the folder state/alpha.
    model: anthropic/claude-sonnet-4-6
    sandbox: { mode: all, workspaceAccess: rw }
  beta:
    role: spoke
    port: ${PORTS.beta}
    description: Plain spoke; its state is a named volume.
    model: anthropic/claude-sonnet-4-6
links:
  - { from: hub, to: alpha, transports: [a2a, hooks] }
  - { from: hub, to: beta }
`,
  );
  await run("docker", ["tag", TEST_IMAGE, IMAGE_B]);
  const ctxDir = path.join(dir, "broken-image");
  await mkdir(ctxDir);
  await writeFile(
    path.join(ctxDir, "index.js"),
    'import { writeFileSync } from "node:fs";\nwriteFileSync("/home/node/.openclaw/migrated-by-broken-image", "one-way change\\n");\nconsole.error("clawfed test image: this gateway cannot start");\nprocess.exit(1);\n',
  );
  await writeFile(path.join(ctxDir, "Dockerfile"), `FROM ${TEST_IMAGE}\nCOPY index.js /app/dist/index.js\n`);
  await run("docker", ["build", "-q", "-t", IMAGE_BROKEN, ctxDir]);
}, 120_000);

afterAll(async () => {
  if (outDir) await runCli(["down", spec, "--volumes", "--out", outDir], { timeoutMs: 300_000 }).catch(() => undefined);
  for (const tag of [IMAGE_B, IMAGE_BROKEN]) await run("docker", ["rmi", tag]).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
}, 300_000);

describe("clawfed operates a real federation", () => {
  it("up starts the three gateways and waits until each reports started", async () => {
    const res = await cli(["up", spec, "--image", TEST_IMAGE, "--timeout", UP_TIMEOUT, "--json"]);
    if (res.code !== 0) log(res.stderr);
    expect(res.code).toBe(0);
    const up = json<UpResult>(res.stdout);
    expect(up.ok).toBe(true);
    expect(up.gateways.map((g) => [g.id, g.ok, g.reason])).toEqual([
      ["alpha", true, "started"],
      ["beta", true, "started"],
      ["hub", true, "started"],
    ]);
    expect(res.stderr).toMatch(/starting 3 gateway\(s\) with compose/);
    env = parseDotenv(await readFile(path.join(outDir, ".env"), "utf8"));

    const st = await cli(["status", spec, "--json"]);
    expect(st.code).toBe(0);
    const status = json<FederationStatus>(st.stdout);
    expect(status.healthy).toBe(true);
    for (const g of status.gateways) {
      expect(g).toMatchObject({ healthy: true, state: "healthy", version: "2026.9.6", url: `http://127.0.0.1:${PORTS[g.id as keyof typeof PORTS]}` });
      expect(g.container).toMatchObject({ status: "running", restarts: 0, image: TEST_IMAGE });
      expect(g.probes).toMatchObject({ healthz: { ok: true, status: "live" }, startupz: { ok: true, status: "started" }, readyz: { ok: true } });
    }
    const watch = await cli(["status", spec, "--watch", "--count", "2", "--interval", "200ms", "--json"]);
    expect(watch.code).toBe(0);
    expect(watch.stdout.trim().split("\n").map((l) => json<FederationStatus>(l).healthy)).toEqual([true, true]);
  });

  it("logs replace a token with <redacted>, even when it arrives in two pieces", async () => {
    const hub = await containerOf("hub");
    const name = gatewayTokenEnv("hub");
    const token = env[name]!;
    // Write to the gateway's own stdout (PID 1), in two writes 300 ms apart: two log records.
    const script = `const fs=require("fs");const t=process.env.T;fs.writeFileSync("/proc/1/fd/1","leak-check "+t.slice(0,9));setTimeout(()=>fs.writeFileSync("/proc/1/fd/1",t.slice(9)+" end\\n"),300)`;
    const r = await execIn(hub.Id, ["node", "-e", script], { env: { T: token } });
    expect(r.code).toBe(0);
    const raw = await run("docker", ["logs", "--tail", "5", hub.Id]);
    expect(raw.stdout + raw.stderr).toContain(token); // the engine really has it
    const res = await runCli(["logs", spec, "hub", "--tail", "20", "--out", outDir]);
    expect(res.code).toBe(0);
    expect(res.stdout + res.stderr).toContain("leak-check <redacted> end");
    expect(res.stdout + res.stderr).not.toContain(token.slice(0, 9));
    const bad = await runCli(["logs", spec, "nope", "--out", outDir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"nope", which is not a gateway of cfrops[\s\S]*use one of: alpha, beta, hub/);
  });

  it("rollout moves both spokes to a second tag while the hub answers every /healthz probe", async () => {
    const hubBefore = await containerOf("hub");
    const specBefore = await readFile(spec, "utf8");
    // Probe the hub every 250 ms for the whole rollout.
    const probes: Array<{ ok: boolean; error?: string }> = [];
    let stop = false;
    const prober = (async () => {
      const t0 = performance.now();
      for (let k = 0; !stop; k++) {
        const started = performance.now();
        const a = await nodeHttpGet(`http://127.0.0.1:${PORTS.hub}/healthz`, 2_000);
        probes.push(judgeProbe("/healthz", a, performance.now() - started));
        const next = t0 + (k + 1) * HUB_PROBE_EVERY_MS;
        await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
      }
    })();
    const res = await cli(["rollout", spec, "--image", IMAGE_B, "--json"]).finally(() => (stop = true));
    await prober;
    if (res.code !== 0) log(res.stderr);
    expect(res.code).toBe(0);
    const r = json<RolloutResult>(res.stdout);
    expect(r.gateways.map((g) => [g.id, g.outcome])).toEqual([
      ["alpha", "updated"],
      ["beta", "updated"],
    ]);
    log(`rollout: ${r.gateways.map((g) => `${g.id} ${((g.ms ?? 0) / 1000).toFixed(1)} s`).join(", ")}; hub probes: ${probes.length}`);
    expect(probes.length).toBeGreaterThan(20);
    expect(probes.filter((p) => !p.ok)).toEqual([]);

    const st = json<FederationStatus>((await cli(["status", spec, "--json"])).stdout);
    expect(st.gateways.map((g) => [g.id, g.healthy, g.container?.image])).toEqual([
      ["alpha", true, IMAGE_B],
      ["beta", true, IMAGE_B],
      ["hub", true, TEST_IMAGE],
    ]);
    const hubAfter = await containerOf("hub");
    expect([hubAfter.Id, hubAfter.State.StartedAt]).toEqual([hubBefore.Id, hubBefore.State.StartedAt]);
    // Recorded durably: two lines added to the spec, nothing else changed; compose agrees.
    const specAfter = await readFile(spec, "utf8");
    expect(specAfter.split("\n").filter((l) => !specBefore.split("\n").includes(l))).toEqual([`    image: ${IMAGE_B}`, `    image: ${IMAGE_B}`]);
    const ids = await Promise.all(["alpha", "beta", "hub"].map(async (id) => (await containerOf(id)).Id));
    const again = await compose({ dir: outDir, name: FED }, ["up", "-d"]);
    if (again.code !== 0) log(`compose up -d after the rollout: ${again.stderr ?? ""}`);
    expect(again.code).toBe(0);
    expect(await Promise.all(["alpha", "beta", "hub"].map(async (id) => (await containerOf(id)).Id))).toEqual(ids);
    // No snapshot volume or previous container is left.
    const left = await leftOvers(FED);
    expect(left.containers).toHaveLength(3);
    expect(left.containers.filter((n) => n.includes("previous"))).toEqual([]);
    expect(left.volumes.filter((v) => v.includes("snapshot"))).toEqual([]);
  });

  it("rollout to an image that cannot start rolls the spoke back, with its state, and stops", async () => {
    const alpha = await containerOf("alpha");
    const beta = await containerOf("beta");
    const marker = await execIn(alpha.Id, ["node", "-e", 'require("fs").writeFileSync("/home/node/.openclaw/marker.txt", "before the rollout")']);
    expect(marker.code).toBe(0);
    const specBefore = await readFile(spec, "utf8");

    const res = await cli(["rollout", spec, "--image", IMAGE_BROKEN]);
    expect(res.code).toBe(3);
    expect(res.stdout).toMatch(/alpha: rolled-back: .*(crash loop|exited)/);
    expect(res.stdout).toContain("clawfed test image: this gateway cannot start");
    expect(res.stdout).toMatch(/beta: not touched/);
    expect(res.stderr).toMatch(/error: alpha did not come up on .*cfrbroken.*rolled back to .*cfrb with its state from before the rollout.*Not touched: beta\.\nNext: /s);

    // alpha: the same container, on its old image, healthy, with its old state.
    const alphaAfter = await containerOf("alpha");
    expect(alphaAfter.Id).toBe(alpha.Id);
    expect(alphaAfter.Config.Image).toBe(IMAGE_B);
    const files = await readdir(path.join(outDir, "state", "alpha"));
    expect(files).toContain("marker.txt");
    expect(files).not.toContain("migrated-by-broken-image");
    expect(await readFile(path.join(outDir, "state", "alpha", "marker.txt"), "utf8")).toBe("before the rollout");
    // beta: not touched at all.
    const betaAfter = await containerOf("beta");
    expect([betaAfter.Id, betaAfter.State.StartedAt, betaAfter.RestartCount]).toEqual([beta.Id, beta.State.StartedAt, beta.RestartCount]);
    // The spec and compose file are as before; nothing of the attempt is left.
    expect(await readFile(spec, "utf8")).toBe(specBefore);
    const left = await leftOvers(FED);
    expect(left.containers).toHaveLength(3);
    expect(left.volumes.filter((v) => v.includes("snapshot"))).toEqual([]);
    const st = await cli(["status", spec, "--json"]);
    expect(st.code).toBe(0);
    expect(json<FederationStatus>(st.stdout).gateways.find((g) => g.id === "alpha")).toMatchObject({ healthy: true, container: { image: IMAGE_B } });
  });

  it("rollout refuses an image it cannot have, changing nothing", async () => {
    const res = await cli(["rollout", spec, "--image", "openclaw:does-not-exist-cfr", "--pull", "never"]);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/image openclaw:does-not-exist-cfr is not present locally and --pull is never\nNext: /);
  });

  it("status --json reports a gateway stopped by hand and exits 4", async () => {
    const beta = await containerOf("beta");
    await docker().getContainer(beta.Id).stop({ t: 30 });
    const res = await cli(["status", spec, "--json"]);
    expect(res.code).toBe(4);
    const st = json<FederationStatus>(res.stdout);
    expect(st.healthy).toBe(false);
    expect(st.gateways.find((g) => g.id === "beta")).toMatchObject({ healthy: false, state: "stopped", container: { status: "exited" } });
    expect(st.gateways.filter((g) => g.id !== "beta").every((g) => g.healthy)).toBe(true);
    const text = await cli(["status", spec]);
    expect(text.code).toBe(4);
    expect(text.stdout).toMatch(/cfrops: 2\/3 healthy/);
    expect(text.stdout).toMatch(/beta: container exited/);
  });

  it("down --volumes removes containers, networks, volumes and the state folders", async () => {
    const res = await cli(["down", spec, "--volumes", "--json"]);
    expect(res.code).toBe(0);
    expect(await leftOvers(FED)).toEqual({ containers: [], networks: [], volumes: [] });
    expect(await readdir(path.join(outDir, "state", "alpha"))).toEqual([]);
  });
});
