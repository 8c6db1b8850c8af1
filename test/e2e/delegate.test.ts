// The federation federates (issue 11), on the real Docker Engine with real gateways and a scripted
// OpenAI-compatible model on the host (test/helpers/scripted-model.mjs, reached through
// host.docker.internal → host-gateway): `clawfed ask korax` with a task in goreos's domain comes
// back with goreos's answer; 30 parallel delegations each get their own answer; a task at depth 2
// is answered, never forwarded; an unlinked delegation is refused; the mailbox is answered on the
// (shortened) heartbeat; a 500 from the primary moves the run to the fallback; the exec tool's
// shell does not see the gateway's tokens.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chown, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { parse as parseDotenv } from "dotenv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { a2aTokenEnv } from "../../src/vocabulary/names.js";
import { generate } from "../../src/ops/generate.js";
import { createClawfed } from "../../src/ops/clawfed.js";
import { compose } from "../../src/runtime/compose.js";
import { defaultDeps } from "../../src/ops/deps.js";
import { up } from "../../src/ops/up.js";
import { startScriptedModel } from "../helpers/scripted-model.mjs";
import { waitForFreePorts } from "../helpers/host.js";
import { TEST_IMAGE } from "../helpers/setup-docker.js";

const run = promisify(execFile);

const NAME = "dlgfed";
const PORTS = { korax: 28789, goreos: 28909, medico: 29029 };
const clawfed = createClawfed();
/** `clawfed ask` as the CLI calls it (one ops call). */
const ask = (spec: string, gateway: string, text: string, opts: { outDir: string; timeoutMs: number }) =>
  clawfed.ask(spec, { gateway, text, out: opts.outDir, timeoutMs: opts.timeoutMs });
const log = (line: string) => process.stderr.write(`[delegate-e2e] ${line}\n`);

let model: Awaited<ReturnType<typeof startScriptedModel>>;
let root: string;
let outDir: string;
let specFile: string;
let env: Record<string, string>;

const specText = (port: number) => `
name: ${NAME}
description: Delegation end to end with a scripted model.
comms:
  heartbeat: 5s
models:
  providers:
    scripted:
      baseUrl: http://host.docker.internal:${port}/v1
      apiKey: SCRIPTED_API_KEY
      models:
        - { id: korax }
        - { id: backup }
        - { id: goreos }
        - { id: medico }
gateways:
  korax:
    role: hub
    port: ${PORTS.korax}
    description: Personal assistant hub.
    model: { primary: scripted/korax, fallbacks: [scripted/backup] }
    resources: { memory: 2g }
  goreos:
    port: ${PORTS.goreos}
    description: GoreOS specialist.
    model: scripted/goreos
    resources: { memory: 2g }
  medico:
    port: ${PORTS.medico}
    description: Emergency medicine.
    model: scripted/medico
    resources: { memory: 2g }
links:
  - { from: korax, to: goreos, transports: [a2a, mailbox] }
  - { from: korax, to: medico, transports: [a2a, mailbox] }
`;

const seen = (m: string) => model.requests.filter((r) => r.model === m);
/** Requests of `m` that carry a task (its mailbox heartbeat, every 5 s here, runs the model too). */
const tasks = (m: string) => seen(m).filter((r) => /TASK |federation from=/.test(r.lastUser));

/** One A2A task to `port` as peer `token`'s owner; returns the answer text and state. */
async function a2a(port: number, token: string, text: string): Promise<{ state: string; answer: string }> {
  const body = { jsonrpc: "2.0", id: "1", method: "SendMessage", params: { message: { messageId: randomBytes(8).toString("hex"), contextId: `t-${randomBytes(8).toString("hex")}`, role: "ROLE_USER", parts: [{ text }] } } };
  const res = await fetch(`http://127.0.0.1:${port}/a2a/v1`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = (await res.json()) as any;
  const task = json.result?.task ?? json.result;
  return { state: task?.status?.state, answer: (task?.artifacts ?? []).flatMap((a: any) => a.parts.map((p: any) => p.text)).join("\n") };
}

/** The last lines of the gateways' container logs, on stderr (diagnosis of a failed test). */
async function logGateways(ids: string[]): Promise<void> {
  for (const id of ids) {
    const r = await run("docker", ["logs", "--tail", "60", `${NAME}_${id}_1`]).catch((e: { stdout?: string; stderr?: string }) => e);
    log(`docker logs ${id}:\n${r.stdout ?? ""}${r.stderr ?? ""}`);
  }
}

/** A gateway container's restart count, start time and OOM flag (docker inspect). */
async function containerState(id: string): Promise<{ restarts: number; startedAt: string; oomKilled: boolean }> {
  const { stdout } = await run("docker", ["inspect", "--format", "{{json .RestartCount}} {{json .State.StartedAt}} {{json .State.OOMKilled}}", `${NAME}_${id}_1`]);
  const [restarts, startedAt, oomKilled] = stdout.trim().split(" ").map((v) => JSON.parse(v));
  return { restarts, startedAt, oomKilled };
}

beforeAll(async () => {
  model = await startScriptedModel({ host: "0.0.0.0" });
  root = await mkdtemp("/tmp/cfe-dlg-");
  outDir = path.join(root, "out");
  specFile = path.join(root, `${NAME}.yaml`);
  await writeFile(specFile, specText(model.port));
  await waitForFreePorts(Object.values(PORTS), { timeoutMs: 600_000, onWait: (b) => log(`waiting for ports ${b}`) });
  await generate({ spec: specFile, outDir, image: TEST_IMAGE });
  const envFile = path.join(outDir, ".env");
  await writeFile(envFile, (await readFile(envFile, "utf8")).replace(/^SCRIPTED_API_KEY=$/m, `SCRIPTED_API_KEY=scripted-${randomBytes(8).toString("hex")}`), { mode: 0o600 });
  env = parseDotenv(await readFile(envFile, "utf8"));
  const t0 = Date.now();
  const res = await up(specFile, await defaultDeps(), { outDir, image: TEST_IMAGE, timeoutMs: 300_000, onProgress: (l) => log(l) });
  if (!res.ok) throw new Error(`the federation did not come up: ${res.gateways.map((g) => `${g.id} ${g.ok} ${g.reason ?? ""}`).join("; ")}`);
  log(`up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}, 900_000);

afterAll(async () => {
  if (outDir) await compose({ dir: outDir, name: NAME }, ["down", "-v", "--remove-orphans"], { timeoutMs: 300_000 }).catch((e: Error) => log(`down failed: ${e.message}`));
  if (root && process.env.CLAWFED_KEEP_TMP !== "1") await rm(root, { recursive: true, force: true });
  await model?.close();
}, 360_000);

describe("delegation on the real Docker Engine (scripted model)", () => {
  it("clawfed ask korax: goreos's answer comes back; goreos saw the depth line; medico saw nothing; the primary model was used", async () => {
    const res = await ask(specFile, "korax", "DELEGATE goreos: TASK g1 analyse the GoreOS roadmap", { outDir, timeoutMs: 240_000 });
    log(`ask korax → ${res.state} in ${res.ms} ms`);
    // A failed task carries OpenClaw's reason as its status message (ask returns it as the answer);
    // this first ask failed once (TASK_STATE_FAILED after 8.4 s) and did not again in 8 runs, so a
    // failure leaves the reason and the gateways' last log lines behind.
    if (res.state !== "TASK_STATE_COMPLETED") await logGateways(["korax", "goreos"]);
    expect(res.state, `ask answered: ${res.answer}`).toBe("TASK_STATE_COMPLETED");
    expect(res.answer).toContain("GOREOS-MARKER answered TASK g1");
    const g = seen("goreos").find((r) => r.lastUser.includes("TASK g1"));
    expect(g?.lastUser).toContain("[federation from=korax depth=1]");
    expect(tasks("medico")).toHaveLength(0);
    expect(tasks("backup")).toHaveLength(0);
    expect(seen("korax").length).toBeGreaterThanOrEqual(2);
    // No token in what ask returns.
    for (const [k, v] of Object.entries(env)) if (k.endsWith("_TOKEN")) expect(JSON.stringify(res)).not.toContain(v);
  });

  it("30 delegations in parallel through the hub: each answer matches its own task, none stays WORKING", async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `p${i}x`);
    const t0 = Date.now();
    const results = await Promise.all(ids.map((id) => ask(specFile, "korax", `DELEGATE goreos: TASK ${id} part of a batch`, { outDir, timeoutMs: 280_000 })));
    log(`30 parallel delegations in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    results.forEach((r, i) => {
      expect(r.state, ids[i]).toBe("TASK_STATE_COMPLETED");
      expect(r.answer, ids[i]).toContain(`GOREOS-MARKER answered TASK ${ids[i]} `);
      for (const other of ids) if (other !== ids[i]) expect(r.answer).not.toContain(`TASK ${other} `);
    });
  });

  it("a task at depth 2 reaching a spoke is answered, never forwarded", async () => {
    const before = seen("korax").length;
    const r = await a2a(PORTS.goreos, env[a2aTokenEnv("korax", "goreos")]!, "[federation from=korax depth=1]\nDELEGATE korax: TASK d2 bounce this back");
    expect(r.state).toBe("TASK_STATE_COMPLETED");
    expect(r.answer).toMatch(/Refused: this task came from another gateway/);
    expect(seen("korax").slice(before).some((q) => q.lastUser.includes("TASK d2"))).toBe(false);
  });

  it("a spoke cannot delegate to a gateway it has no link to, even when its model tries", async () => {
    const r = await ask(specFile, "goreos", "DELEGATE medico: TASK u1 ask medico", { outDir, timeoutMs: 120_000 });
    expect(r.state).toBe("TASK_STATE_COMPLETED");
    expect(r.answer).toMatch(/error|refused|not linked/i);
    expect(r.answer).not.toContain("MEDICO-MARKER");
    expect(tasks("medico")).toHaveLength(0);
  });

  it("mailbox: a request file in comms/korax--to--goreos is answered into comms/goreos--to--korax on goreos's heartbeat", async () => {
    const inbox = path.join(outDir, "comms", "korax--to--goreos");
    const outbox = path.join(outDir, "comms", "goreos--to--korax");
    const file = path.join(inbox, "2026-12-01T00-00-00Z-m1.json");
    await writeFile(file, JSON.stringify({ id: "m1", from: "korax", to: "goreos", timestamp: new Date().toISOString(), depth: 1, type: "request", payload: { task: "TASK m1 from the mailbox" }, status: "pending" }));
    await chown(file, 1000, 1000); // the gateway's uid marks it read/processed
    const deadline = Date.now() + 90_000;
    let answer: any;
    while (!answer && Date.now() < deadline) {
      for (const f of await readdir(outbox)) {
        const m = JSON.parse(await readFile(path.join(outbox, f), "utf8"));
        if (m.inReplyTo === "m1") answer = m;
      }
      if (!answer) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(answer, "no answer file within 90 s").toBeDefined();
    expect(answer).toMatchObject({ from: "goreos", to: "korax", type: "response", status: "pending" });
    expect(answer.payload.answer).toContain("GOREOS-MARKER answered TASK m1");
    expect(JSON.parse(await readFile(file, "utf8")).status).toBe("processed");
  });

  it("a 500 from the primary's endpoint moves the run to the fallback", async () => {
    model.setFailing(["korax"]);
    try {
      const before = model.requests.length;
      const r = await ask(specFile, "korax", "TASK fb1 plain question", { outDir, timeoutMs: 280_000 });
      expect(r.state).toBe("TASK_STATE_COMPLETED");
      expect(r.answer).toContain("BACKUP-MARKER answered TASK fb1");
      const order = model.requests.slice(before).filter((q) => q.lastUser.includes("TASK fb1")).map((q) => q.model);
      expect(order[0]).toBe("korax");
      expect(order.at(-1)).toBe("backup");
    } finally {
      model.setFailing([]);
    }
  });
  it("the exec tool's shell does not see the gateway's tokens", async () => {
    const before = await containerState("korax");
    const r = await ask(specFile, "korax", "EXEC: env | sort", { outDir, timeoutMs: 120_000 });
    expect(r.state).toBe("TASK_STATE_COMPLETED");
    const names = [...r.answer.matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    log(`variables the exec shell sees on korax: ${names.join(" ")}`);
    expect(names).toContain("OPENCLAW_SHELL");
    for (const n of names) expect(n).not.toMatch(/TOKEN|SCRIPTED_API_KEY/);
    // The gateway is still there after its agent ran a shell command.
    // CI saw this ask fail once with ECONNRESET (nothing listening on korax's port); its container's
    // state and last log lines are kept so the cause is known, and the container must be the same one.
    await new Promise((r) => setTimeout(r, 3000));
    const after = await ask(specFile, "korax", "TASK ax1 still there?", { outDir, timeoutMs: 120_000 }).catch(async (err: Error) => {
      log(`ask after exec failed: ${err.message}; korax container: ${JSON.stringify(await containerState("korax"))}`);
      await logGateways(["korax"]);
      throw err;
    });
    expect(after.answer).toContain("KORAX-MARKER answered TASK ax1");
    const now = await containerState("korax");
    expect(now, "korax's container restarted (or was OOM-killed) while its agent ran a shell command").toMatchObject({ restarts: before.restarts, startedAt: before.startedAt, oomKilled: false });
  });

});
