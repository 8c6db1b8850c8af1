// clawfed add / remove on the real Docker Engine with real OpenClaw gateways (never more than
// three at a time): a hub and one spoke come up; `add` brings a second spoke while the hub is
// probed every 200 ms; the hub reaches the new spoke over A2A with the generated token (200, a
// wrong token 401); `remove` backs it up and leaves nothing of it (container, volume, networks,
// mailbox and workspace folders, tokens in .env), and its backup verifies. Tokens reach
// in-container requests through the exec's environment, never argv. Then one add killed with
// SIGKILL (the test hook, NODE_ENV=test) right after its compose call brought gamma up and
// recreated the hub, and `clawfed abort` puts everything back: spec byte for byte, nothing of
// gamma left, hub and alpha healthy.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { a2aTokenEnv, CONTAINER_PORT, COMMS_DIR, OPERATOR_PEER, routeDir, serviceName, workspaceDir } from "../../src/vocabulary/names.js";
import type { AddResult, RemoveResult } from "../../src/ops/index.js";
import type { UpResult } from "../../src/ops/up.js";
import type { RecoverResult } from "../../src/ops/recover.js";
import type { FederationStatus } from "../../src/ops/status.js";
import { JOURNAL_PATH } from "../../src/vocabulary/journal.js";
import { runCli } from "../helpers/cli.js";
import { leftOvers, nodeIn, serviceContainer } from "../helpers/docker.js";
import { TEST_IMAGE } from "../helpers/setup-docker.js";

const FED = "cfmem";
const PORTS = { hub: 28670, alpha: 28671 };
const log = (line: string) => process.stderr.write(`[members-e2e] ${line}\n`);

let dir: string;
let spec: string;
let outDir: string;
const cli = (args: string[], timeoutMs = 900_000) => runCli([...args, "--out", outDir], { timeoutMs });
const SPEC_TEXT = `# members e2e federation: a hub and one spoke; add brings a second spoke
name: ${FED}
gateways:
  hub:
    role: hub
    port: ${PORTS.hub}
    description: The hub.
    model: anthropic/claude-sonnet-4-6 # the hub's model
    hooks: true

  alpha:
    role: spoke
    port: ${PORTS.alpha}
    description: First spoke.
    model: anthropic/claude-sonnet-4-6

links:
  # every spoke is linked to the hub
  - { from: hub, to: alpha, transports: [a2a, hooks] }
`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "cfe-members-"));
  spec = path.join(dir, `${FED}.yaml`);
  outDir = path.join(dir, "out");
  await writeFile(spec, SPEC_TEXT);
}, 60_000);

afterAll(async () => {
  if (outDir && existsSync(path.join(outDir, JOURNAL_PATH))) await runCli(["abort", spec, "--out", outDir], { timeoutMs: 600_000 }).catch(() => undefined);
  if (outDir) await runCli(["down", spec, "--volumes", "--out", outDir], { timeoutMs: 300_000 }).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
}, 300_000);

/** /healthz of the hub every 200 ms until stopped: how many probes failed. */
function probeHub(): { stop: () => Promise<{ probes: number; failures: number }> } {
  let stop = false;
  let probes = 0;
  let failures = 0;
  const loop = (async () => {
    while (!stop) {
      probes++;
      try {
        const r = await fetch(`http://127.0.0.1:${PORTS.hub}/healthz`, { signal: AbortSignal.timeout(1000) });
        const b = (await r.json()) as { ok?: boolean };
        if (!b.ok) failures++;
      } catch {
        failures++;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    stop: async () => {
      stop = true;
      await loop;
      return { probes, failures };
    },
  };
}

/** From inside the hub's container: A2A SendMessage to `peer` with a token from the exec env (a slash command: rejected at once, no model run). */
const A2A_SCRIPT = `
  const call = (token) => fetch("http://" + process.env.PEER + ":${CONTAINER_PORT}/a2a/v1", { method: "POST", signal: AbortSignal.timeout(20000),
    headers: { authorization: "Bearer " + token, "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: "1", method: "SendMessage", params: { message: { messageId: "cfe-" + Date.now(), role: "ROLE_USER", parts: [{ text: "/status" }] } } }) })
    .then(async (r) => ({ status: r.status, json: await r.json().catch(() => undefined) }));
  (async () => console.log(JSON.stringify({ ok: await call(process.env.A2A_TOKEN), wrong: await call(process.env.WRONG_TOKEN) })))()
    .catch((e) => console.log(JSON.stringify({ error: String(e), cause: String(e && e.cause) })));`;

describe("clawfed add and remove on a running federation", () => {
  it("up starts the hub and one spoke", async () => {
    const res = await cli(["up", spec, "--image", TEST_IMAGE, "--timeout", "300s", "--json"]);
    if (res.code !== 0) log(res.stderr);
    expect(res.code).toBe(0);
    expect((JSON.parse(res.stdout) as UpResult).ok).toBe(true);
  });

  it("add starts the new spoke while the hub is recreated (one compose call, health-gated), keeps the spec's comments, and the hub reaches it over A2A", async () => {
    const probe = probeHub();
    const res = await cli(["add", spec, "beta", "--link", "hub", "--port", "auto", "--transports", "a2a,hooks,mailbox", "--description", "Second spoke.", "--json"]);
    const hub = await probe.stop();
    if (res.code !== 0) log(res.stderr);
    expect(res.code).toBe(0);
    const add = JSON.parse(res.stdout) as AddResult;
    log(`add: ${add.ms} ms (beta started in ${add.started?.ms} ms; hub away ${add.recreated[0]?.ms} ms); hub probes ${hub.probes}, failed ${hub.failures}`);
    expect(add).toMatchObject({ ok: true, plan: { gateway: { id: "beta", port: PORTS.alpha + 1, links: ["hub"] } }, started: { id: "beta", ok: true } });
    expect(add.recreated.map((r) => [r.id, r.ok])).toEqual([["hub", true]]);
    // The spec gained beta and its link; every line the user wrote is still there, in order.
    const text = await readFile(spec, "utf8");
    let j = 0;
    const orig = SPEC_TEXT.split("\n");
    for (const line of text.split("\n")) if (j < orig.length && line === orig[j]) j++;
    expect(j, "original lines kept in order").toBe(orig.length);
    expect(text).toMatch(/\n {2}beta:\n {4}role: spoke\n {4}port: 28672\n/);
    // alpha was not touched: still its first container.
    const alpha = await serviceContainer(FED, serviceName("alpha"));
    expect(alpha.RestartCount).toBe(0);

    const env = parseDotenv(await readFile(path.join(outDir, ".env"), "utf8"));
    const hubC = await serviceContainer(FED, serviceName("hub"));
    const r = await nodeIn<Record<string, any>>(hubC.Id, A2A_SCRIPT, { PEER: serviceName("beta"), A2A_TOKEN: env[a2aTokenEnv("hub", "beta")]!, WRONG_TOKEN: randomBytes(32).toString("base64url") }, 90_000);
    expect(r.error, `${r.error} ${r.cause}`).toBeUndefined();
    expect(r.ok.status).toBe(200);
    expect(r.ok.json?.result?.task?.status?.state).toBe("TASK_STATE_REJECTED");
    expect(r.wrong.status).toBe(401);
    // The hub's own config names its new peer.
    const hubConfig = JSON.parse((await readFile(path.join(outDir, "gateways", "hub", "openclaw.json"), "utf8")).replace(/^\/\/.*\n/gm, "")) as { channels: { a2a: { peers: Record<string, unknown> } } };
    expect(Object.keys(hubConfig.channels.a2a.peers).filter((p) => p !== OPERATOR_PEER).sort()).toEqual(["alpha", "beta"]);
  });

  it("remove refuses the hub (exit 2) and changes nothing", async () => {
    const before = await readFile(spec, "utf8");
    const res = await cli(["remove", spec, "hub"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/hub/);
    expect(await readFile(spec, "utf8")).toBe(before);
  });

  it("remove backs beta up, then leaves nothing of it; its backup verifies; the hub serves again", async () => {
    const res = await cli(["remove", spec, "beta", "--json"]);
    if (res.code !== 0) log(res.stderr);
    expect(res.code).toBe(0);
    const rm = JSON.parse(res.stdout) as RemoveResult;
    log(`remove: ${rm.ms} ms; hub away ${rm.recreated[0]?.ms} ms; backup ${rm.backup?.bytes} bytes`);
    expect(rm.ok).toBe(true);
    const left = await leftOvers(FED);
    expect(left.containers.filter((c) => c.includes("beta"))).toEqual([]);
    expect(left.networks.filter((n) => n.includes("beta"))).toEqual([]);
    expect(left.volumes.filter((v) => v.includes("beta"))).toEqual([]);
    expect(left.containers.length).toBe(2);
    for (const route of [routeDir("hub", "beta"), routeDir("beta", "hub")]) expect(existsSync(path.join(outDir, COMMS_DIR, route)), route).toBe(false);
    expect(existsSync(path.join(outDir, workspaceDir("beta")))).toBe(false);
    expect(existsSync(path.join(outDir, "gateways", "beta"))).toBe(false);
    const env = parseDotenv(await readFile(path.join(outDir, ".env"), "utf8"));
    expect(Object.keys(env).filter((k) => k.includes("BETA"))).toEqual([]);
    // remove undoes add in the spec, byte for byte.
    expect(await readFile(spec, "utf8")).toBe(SPEC_TEXT);
    const verify = await runCli(["backup", "verify", rm.backup!.file, "--json"], { timeoutMs: 120_000 });
    expect(verify.code, verify.stderr).toBe(0);
    const st = await cli(["status", spec, "--json"]);
    expect(st.code).toBe(0);
  });

  it("an add killed after its compose call (gamma up, hub recreated) is undone by clawfed abort: spec as before, nothing of gamma left, hub and alpha healthy", async () => {
    const before = await readFile(spec, "utf8");
    // Boundary 7 of 8: "gamma:start ran" (compose ran, both gates passed; the journal not yet marked done).
    const killed = await runCli(["add", spec, "gamma", "--link", "hub", "--port", "auto", "--out", outDir], { timeoutMs: 900_000, env: { ...process.env, NODE_ENV: "test", CLAWFED_TEST_STOP_AT_STEP: "7" } });
    expect(killed.stderr).toContain("clawfed test hook: SIGKILL at step boundary 7 (gamma:start ran)");
    expect(killed.code).not.toBe(0);
    expect(existsSync(path.join(outDir, JOURNAL_PATH))).toBe(true);
    expect((await serviceContainer(FED, serviceName("gamma"))).State.Running).toBe(true);
    const refused = await cli(["add", spec, "delta", "--link", "hub"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/add refused: an unfinished add of cfmem/);

    const rec = await cli(["abort", spec, "--json"]);
    if (rec.code !== 0) log(rec.stderr);
    expect(rec.code).toBe(0);
    const res = JSON.parse(rec.stdout) as RecoverResult;
    log(`abort: ${res.ms} ms`);
    expect(res).toMatchObject({ ok: true, operation: "add", action: "abort" });
    expect(existsSync(path.join(outDir, JOURNAL_PATH))).toBe(false);
    expect(await readFile(spec, "utf8")).toBe(before);
    const left = await leftOvers(FED);
    expect([...left.containers, ...left.networks, ...left.volumes].filter((n) => n.includes("gamma"))).toEqual([]);
    expect(Object.keys(parseDotenv(await readFile(path.join(outDir, ".env"), "utf8"))).filter((k) => k.includes("GAMMA"))).toEqual([]);
    expect(existsSync(path.join(outDir, workspaceDir("gamma")))).toBe(false);
    const st = JSON.parse((await cli(["status", spec, "--json"])).stdout) as FederationStatus;
    expect(st.gateways.map((g) => [g.id, g.healthy])).toEqual([
      ["alpha", true],
      ["hub", true],
    ]);
  });
});
