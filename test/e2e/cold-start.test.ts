// Cold start (issue 16): the local image (built once by the e2e global setup) ships a warm,
// read-only Node compile cache that its gateway really uses; and a gateway whose cache lives in
// its own state volume (what compose sets up for other images) keeps it across container
// recreation. "Uses" is read from Node's own compile-cache debug log (NODE_DEBUG_NATIVE).
// Needs a real Docker Engine: without one this file FAILS (it never skips).
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { IMAGE_COMPILE_CACHE_DIR, STATE_COMPILE_CACHE_DIR, containerCompileCacheDir } from "../../src/vocabulary/compile-cache.js";
import { CONTAINER_STATE_DIR } from "../../src/vocabulary/names.js";
import { TEST_IMAGE } from "../helpers/setup-docker.js";

const run = promisify(execFile);
const id = randomBytes(4).toString("hex");
const created: { containers: string[]; volumes: string[] } = { containers: [], volumes: [] };
const STARTED_TIMEOUT_MS = 240_000;

async function docker(args: string[], timeout = 120_000): Promise<string> {
  const { stdout } = await run("docker", args, { timeout, maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

/** The compose service's command (src/targets/compose); the image's CMD runs `openclaw.mjs` instead. */
const SERVICE_ENTRY = "dist/index.js";

/** Start the gateway as the compose service does (same command and OpenClaw env), plus `env`; `entry` is the script node runs. */
async function startGateway(name: string, volume: string, env: Record<string, string>, entry = SERVICE_ENTRY): Promise<void> {
  created.containers.push(name);
  const config = JSON.stringify({ gateway: { mode: "local", port: 18789, bind: "loopback", auth: { mode: "token", token: "${OPENCLAW_GATEWAY_TOKEN}" } } });
  await docker(["run", "--rm", "-v", `${volume}:${CONTAINER_STATE_DIR}`, "--entrypoint", "sh", TEST_IMAGE, "-c", `printf "%s" "$0" > ${CONTAINER_STATE_DIR}/openclaw.json`, config]);
  const e = { OPENCLAW_STATE_DIR: CONTAINER_STATE_DIR, OPENCLAW_NO_AUTO_UPDATE: "1", NODE_DEBUG_NATIVE: "COMPILE_CACHE", OPENCLAW_GATEWAY_TOKEN: `cold-start-${id}-${randomBytes(12).toString("hex")}`, ...env };
  await docker([
    "run", "-d", "--name", name, "--init", "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true", "-v", `${volume}:${CONTAINER_STATE_DIR}`,
    ...Object.entries(e).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
    TEST_IMAGE, "node", entry, "gateway", "--port", "18789",
  ]);
  const deadline = Date.now() + STARTED_TIMEOUT_MS;
  const probe = "fetch('http://127.0.0.1:18789/startupz').then(r=>r.json()).then(b=>console.log(b.status),()=>console.log('down'))";
  for (;;) {
    const status = await docker(["exec", name, "node", "-e", probe]).catch(() => "exec failed");
    if (status === "started") return;
    const state = await docker(["inspect", "--format", "{{.State.Status}}", name]);
    if (state !== "running" || Date.now() > deadline) throw new Error(`${name} not started (${state}, last ${status}):\n${(await docker(["logs", "--tail", "30", name]).catch(() => "")).slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** Node's compile-cache debug lines in a container's log, counted by outcome. */
async function cacheUse(name: string): Promise<{ accepted: number; missed: number; rejected: number; errors: string[]; unsaved: number }> {
  const { stdout, stderr } = await run("docker", ["logs", name], { maxBuffer: 64 * 1024 * 1024 });
  const lines = `${stdout}\n${stderr}`.split("\n").filter((l) => l.startsWith("[compile cache]"));
  return {
    accepted: lines.filter((l) => / was accepted/.test(l)).length,
    missed: lines.filter((l) => / was not initialized/.test(l)).length,
    // Entries of files that fail Node's checks; not "[worker eval]": every eval'd worker source
    // shares that one key, so Node rightly rejects the entry of another one and recompiles.
    rejected: lines.filter((l) => / was rejected|mismatch/.test(l) && !l.includes("[worker eval]")).length,
    // The cache could not be used at all (Node then runs without one).
    errors: lines.filter((l) => /creating cache directory .*(fail|denied)|Cannot create cache directory|Cannot open|FAILED/.test(l)),
    // A module missing from a read-only cache is compiled and its entry not saved: expected, rare.
    unsaved: lines.filter((l) => /Creating temporary file .*failed/.test(l)).length,
  };
}

afterAll(async () => {
  for (const c of created.containers) await docker(["rm", "-f", c]).catch(() => undefined);
  for (const v of created.volumes) await docker(["volume", "rm", "-f", v]).catch(() => undefined);
});

describe(`compile cache of ${TEST_IMAGE}`, () => {
  it("is in the image: NODE_COMPILE_CACHE points at a non-empty, root-owned folder the gateway user cannot write", async () => {
    expect(containerCompileCacheDir(TEST_IMAGE)).toBe(IMAGE_COMPILE_CACHE_DIR);
    const out = await docker([
      "run", "--rm", "--entrypoint", "sh", TEST_IMAGE, "-c",
      'echo "$NODE_COMPILE_CACHE"; stat -c "%u %A" "$NODE_COMPILE_CACHE"; ls "$NODE_COMPILE_CACHE"/v*-1000 | wc -l; touch "$NODE_COMPILE_CACHE"/probe 2>/dev/null && echo writable || echo read-only',
    ]);
    const [dir, owner, entries, writable] = out.split("\n");
    expect(dir).toBe(IMAGE_COMPILE_CACHE_DIR);
    expect(owner).toMatch(/^0 dr-xr-xr-x$/);
    expect(Number(entries)).toBeGreaterThan(500);
    expect(writable).toBe("read-only");
  });

  it("carries nothing of the build's warm-up gateway: no file of uid 1000 outside /home/node", async () => {
    // Recipe 4 shipped the warm-up's /tmp/openclaw/openclaw-<date>.log (the build container's
    // host name in every line) and /tmp/openclaw-state-locks-1000/: OpenClaw writes those fixed
    // paths whatever TMPDIR says. /home/node (the gateway user's home and state mount point) is the
    // image's own, made before the warm-up.
    // As root: the image's user cannot list /root, /etc/ssl/private …
    const left = await docker(["run", "--rm", "--user", "0", "--entrypoint", "sh", TEST_IMAGE, "-c", "find / -xdev -path /home/node -prune -o -user 1000 -print"]);
    expect(left).toBe("");
  });

  it("its gateway reaches started reading the read-only cache, with no cache errors", async () => {
    const volume = `clawfed-cold-start-ro-${id}`;
    created.volumes.push(volume);
    const name = `clawfed-cold-start-ro-${id}`;
    await startGateway(name, volume, { NODE_COMPILE_CACHE: containerCompileCacheDir(TEST_IMAGE) });
    const use = await cacheUse(name);
    expect(use.errors).toEqual([]);
    expect(use.rejected).toBe(0);
    // Nearly every module the gateway compiled up to started came from the cache.
    expect(use.accepted).toBeGreaterThan(500);
    expect(use.missed).toBeLessThan(use.accepted / 10);
    expect(use.unsaved).toBeLessThanOrEqual(use.missed);
  });

  it("is read through openclaw.mjs too (the image's CMD and the CLI clawfed runs in the image), which re-runs itself with a cache folder of its own", async () => {
    // openclaw.mjs sets NODE_COMPILE_CACHE=<image cache>/openclaw/<version>/<mtime-size> for the
    // process it re-runs; the image links that folder to the cache root. Recipe 3's link pointed
    // at /opt/openclaw: Node logged "Cannot create cache directory" and compiled everything.
    const volume = `clawfed-cold-start-cmd-${id}`;
    created.volumes.push(volume);
    const name = `clawfed-cold-start-cmd-${id}`;
    await startGateway(name, volume, {}, "openclaw.mjs");
    const use = await cacheUse(name);
    expect(use.errors).toEqual([]);
    expect(use.rejected).toBe(0);
    expect(use.accepted).toBeGreaterThan(500);
    expect(use.missed).toBeLessThan(use.accepted / 10);
  });
});

describe("a per-gateway compile cache in the gateway's own state volume", () => {
  it("is written on the first start and used after the container is recreated", async () => {
    const volume = `clawfed-cold-start-state-${id}`;
    created.volumes.push(volume);
    const env = { NODE_COMPILE_CACHE: STATE_COMPILE_CACHE_DIR };
    const first = `clawfed-cold-start-a-${id}`;
    await startGateway(first, volume, env);
    // Mostly cold (worker threads that exit early already save entries the main thread reuses).
    const cold = await cacheUse(first);
    expect(cold.errors).toEqual([]);
    expect(cold.missed).toBeGreaterThan(1000);
    await docker(["stop", "-t", "60", first], 90_000); // Node writes the cache when the gateway exits
    await docker(["rm", first]);
    const listing = await docker(["run", "--rm", "-v", `${volume}:${CONTAINER_STATE_DIR}`, "--entrypoint", "sh", TEST_IMAGE, "-c", `stat -c "%u" ${STATE_COMPILE_CACHE_DIR}; ls ${STATE_COMPILE_CACHE_DIR}/v*-1000 | wc -l`]);
    const [owner, entries] = listing.split("\n");
    expect(owner).toBe("1000");
    expect(Number(entries)).toBeGreaterThan(500);
    const second = `clawfed-cold-start-b-${id}`;
    await startGateway(second, volume, env);
    const use = await cacheUse(second);
    expect(use.errors).toEqual([]);
    expect(use.accepted).toBeGreaterThan(500);
    expect(use.missed).toBeLessThan(use.accepted / 10);
    expect(use.missed).toBeLessThan(cold.missed / 10);
  });
});
