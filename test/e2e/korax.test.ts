// The main job end to end: federations/korax.yaml becomes three real OpenClaw gateways on the real
// Docker Engine (compose v2 or v1), and this suite checks what the spec promises:
//   health (JSON probes), reachability over link networks with the generated tokens (401 with a
//   wrong one), spoke isolation (DNS and IP), read-only knowledge and per-route mailbox folders,
//   hardening and 127.0.0.1-only ports, least-privilege environments, no token in any log, and a
//   `compose down -v` that leaves nothing behind.
// Tokens are read from the generated .env and handed to in-container requests through the exec's
// environment (never argv); nothing here prints a token.
import { randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { parse as parseDotenv } from "dotenv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planEnv } from "../../src/vocabulary/env-plan.js";
import { a2aTokenEnv, CONTAINER_PORT, hooksTokenEnv, linkNetwork, egressNetwork, routeDir, serviceName } from "../../src/vocabulary/names.js";
import { LABELS } from "../../src/vocabulary/labels.js";
import { generate } from "../../src/ops/generate.js";
import { compose } from "../../src/runtime/compose.js";
import { openFederation } from "../../src/ops/context.js";
import { defaultDeps } from "../../src/ops/deps.js";
import { redact } from "../../src/runtime/redact.js";
import { up, type UpResult } from "../../src/ops/up.js";
import { loadSpecFile } from "../../src/federation/load.js";
import type { Federation, GatewayModel } from "../../src/federation/normalize.js";
import { containerLogs, docker, execIn, leftOvers, nodeIn, serviceContainer } from "../helpers/docker.js";
import { ensureKnowledgeDirs, waitForFreePorts } from "../helpers/host.js";
import { TEST_IMAGE } from "../helpers/setup-docker.js";

const run = promisify(execFile);
const SPEC = "federations/korax.yaml";
/** Other suites (native targets) use the same host ports; wait this long for them to finish. */
const PORT_WAIT_MS = 10 * 60_000;
/** Each gateway must report `started` within this (three gateways start at once on 2 cores). */
const UP_TIMEOUT_MS = 300_000;
/** Docker's own healthcheck runs every 10 s; allow a few rounds after /startupz says started. */
const DOCKER_HEALTH_WAIT_MS = 90_000;

const log = (line: string) => process.stderr.write(`[korax-e2e] ${line}\n`);
const ms = (n: number) => `${(n / 1000).toFixed(1)} s`;

let fed: Federation;
let project: string;
let root: string;
let outDir: string;
let env: Record<string, string>;
let secrets: string[];
let upResult: UpResult;
let tornDown = false;
const containers = new Map<string, Docker.ContainerInspectInfo>();

const gw = (id: string): GatewayModel => fed.gateways.find((g) => g.id === id)!;
const cid = (id: string): string => containers.get(id)!.Id;
const linked = (a: string, b: string) => fed.pairs.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
/** `2g` → bytes (compose's mem_limit units). */
function bytes(size: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(size.trim());
  if (!m) throw new Error(`cannot read the memory size "${size}"`);
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g" | "t"];
  return Math.round(Number(m[1]) * unit);
}
/** Compose prefixes network and volume names with the project. */
const composeNet = (name: string) => `${project}_${name}`;

/** Fill the user's part of .env (API keys, Telegram bot tokens) with harmless dummy values, as a user fills real ones before `up`. */
async function fillUserSecrets(envFile: string): Promise<string[]> {
  const text = await readFile(envFile, "utf8");
  const filled: string[] = [];
  const next = text.replace(/^([A-Z][A-Z0-9_]*)=$/gm, (_m, name: string) => {
    filled.push(name);
    // Telegram bot tokens look like <bot id>:<secret>; offline, the channel just cannot connect.
    const value = /^TG_TOKEN_/.test(name) ? `1000000${filled.length}:clawfed-e2e-dummy-${randomBytes(12).toString("hex")}` : `clawfed-e2e-dummy-${name.toLowerCase()}-${randomBytes(8).toString("hex")}`;
    return `${name}=${value}`;
  });
  await writeFile(envFile, next, { mode: 0o600 });
  return filled;
}

/**
 * A federation named like ours that this suite did not start (the demo's, in out/korax) holds the
 * ports and the project name: refuse to touch it. One left by a crashed run of this suite (its
 * folder under /tmp/cfe-*) is removed.
 */
async function clearStaleRuns(): Promise<void> {
  const list = await docker().listContainers({ all: true, filters: { label: [`com.docker.compose.project=${project}`] } });
  if (list.length === 0) return;
  const dirs = new Set(list.map((c) => c.Labels["com.docker.compose.project.working_dir"] ?? "?"));
  const foreign = [...dirs].filter((d) => !d.startsWith("/tmp/cfe-"));
  if (foreign.length > 0) {
    throw new Error(
      `a "${project}" federation from ${foreign.join(", ")} is running (the demo?); this suite needs its ports and compose project. ` +
        `Stop it first: node bin/clawfed.js down ${SPEC}${foreign[0] !== "?" ? ` --out ${foreign[0]}` : ""}`,
    );
  }
  log(`removing what a previous run of this suite left behind (${[...dirs].join(", ")})`);
  for (const c of list) await docker().getContainer(c.Id).remove({ force: true, v: true });
  const rest = await leftOvers(fed.name, project);
  for (const n of rest.networks) await docker().getNetwork(n).remove().catch(() => undefined);
  for (const v of rest.volumes) await docker().getVolume(v).remove().catch(() => undefined);
}

/** Last lines of a container's log, with every secret of the .env replaced. */
async function logTail(id: string, lines = 30): Promise<string> {
  if (!containers.get(id)) return "(no container)";
  return redact(await containerLogs(cid(id), { tail: lines }), secrets);
}

beforeAll(async () => {
  const loaded = await loadSpecFile(SPEC);
  fed = loaded.federation;
  project = fed.name;
  await clearStaleRuns();

  const created = await ensureKnowledgeDirs(fed.knowledge);
  if (created.length) log(`created knowledge folders ${created.join(", ")}`);
  await waitForFreePorts(
    fed.gateways.map((g) => g.port),
    { timeoutMs: PORT_WAIT_MS, onWait: (busy) => log(`waiting for host ports to be free: ${busy}`) },
  );

  root = await mkdtemp("/tmp/cfe-");
  outDir = path.join(root, "out");
  await generate({ spec: SPEC, outDir, image: TEST_IMAGE });
  const filled = await fillUserSecrets(path.join(outDir, ".env"));
  log(`generated into ${outDir} (image ${TEST_IMAGE}); dummy values for ${filled.join(", ")}`);
  env = parseDotenv(await readFile(path.join(outDir, ".env"), "utf8"));
  secrets = Object.entries(env)
    .filter(([k, v]) => v.length >= 8 && k !== "COMPOSE_PROJECT_NAME")
    .map(([, v]) => v)
    .sort((a, b) => b.length - a.length);

  // All gateways start at once (one `compose up -d`); up() then waits for all of them concurrently.
  const t0 = performance.now();
  upResult = await up(SPEC, await defaultDeps(), { outDir, image: TEST_IMAGE, timeoutMs: UP_TIMEOUT_MS, onProgress: (l) => log(redact(l, secrets)) });
  for (const g of fed.gateways) containers.set(g.id, await serviceContainer(project, serviceName(g.id)));
  if (!upResult.ok) {
    const tails = await Promise.all(upResult.gateways.filter((g) => !g.ok).map(async (g) => `--- ${g.id}: ${g.reason}\n${await logTail(g.id)}`));
    throw new Error(`the korax federation did not come up:\n${tails.join("\n")}`);
  }
  log(
    `all ${fed.gateways.length} gateways started ${ms(performance.now() - t0)} after up() began; per gateway after compose up returned: ` +
      upResult.gateways.map((g) => `${g.id} ${ms(g.ms)}`).join(", "),
  );
}, PORT_WAIT_MS + UP_TIMEOUT_MS + 180_000);

afterAll(async () => {
  if (outDir && !tornDown) {
    log("tearing down after a failure");
    await compose({ dir: outDir, name: project }, ["down", "-v", "--remove-orphans"], { timeoutMs: 300_000 }).catch((e: Error) => log(`compose down failed: ${e.message}`));
  }
  // The sandboxed gateways' state folders hold files of uid 1000: removable by root (as in CI).
  if (root) await rm(root, { recursive: true, force: true }).catch((e: Error) => log(`could not remove ${root}: ${e.message}`));
}, 360_000);

describe("federations/korax.yaml on the real Docker Engine", () => {
  it("all three gateways are healthy: /healthz live, /startupz started, Docker healthcheck healthy", async () => {
    expect(upResult.gateways.map((g) => [g.id, g.ok])).toEqual(fed.gateways.map((g) => [g.id, true]));
    for (const g of fed.gateways) {
      const base = `http://127.0.0.1:${g.port}`;
      const h = await fetch(`${base}/healthz`);
      expect(h.status, `${g.id} /healthz`).toBe(200);
      expect(h.headers.get("content-type"), `${g.id} /healthz`).toMatch(/application\/json/);
      expect(await h.json(), `${g.id} /healthz`).toMatchObject({ ok: true, status: "live" });
      const s = await fetch(`${base}/startupz`);
      expect(s.status, `${g.id} /startupz`).toBe(200);
      expect(await s.json(), `${g.id} /startupz`).toMatchObject({ ok: true, status: "started" });
      // Details (version, uptime) are only given to local callers: ask from inside the container.
      const local = await nodeIn<{ status: number; body: Record<string, unknown> }>(
        cid(g.id),
        `fetch("http://127.0.0.1:${CONTAINER_PORT}/startupz").then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.json() })))`,
      );
      expect(local, `${g.id} /startupz from inside`).toMatchObject({ status: 200, body: { ok: true, status: "started", version: fed.openclawVersion } });
      // A path that is not a probe answers the Control UI's HTML: the probes above are real.
      const other = await fetch(`${base}/definitely-not-a-probe`);
      expect(other.headers.get("content-type") ?? "").not.toMatch(/json/);
    }
    // Docker's own healthcheck (the JSON check in docker-compose.yml) agrees.
    const deadline = Date.now() + DOCKER_HEALTH_WAIT_MS;
    for (const g of fed.gateways) {
      let health = "";
      for (;;) {
        health = (await docker().getContainer(cid(g.id)).inspect()).State.Health?.Status ?? "none";
        if (health === "healthy" || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 2_000));
      }
      expect(health, `${g.id} docker health`).toBe("healthy");
    }
  });

  it("every route works across its link network with the generated tokens, and a wrong token gets 401", async () => {
    // One in-container script per route: the caller resolves the callee by service name, wakes it
    // over hooks, reads its Agent Card, sends it an A2A task and reads the task back, then tries
    // the same with a wrong token. Tokens come in through the exec's environment.
    const script = `
      const dns = require("dns");
      const peer = process.env.PEER, port = ${CONTAINER_PORT};
      const call = async (p, token, body) => {
        const r = await fetch("http://" + peer + ":" + port + p, { method: body ? "POST" : "GET", signal: AbortSignal.timeout(20000),
          headers: token ? { authorization: "Bearer " + token, "content-type": "application/json" } : {}, body: body && JSON.stringify(body) });
        const text = await r.text(); let json; try { json = JSON.parse(text); } catch {}
        return { status: r.status, json, text: json ? undefined : text.slice(0, 200) };
      };
      (async () => {
        const out = {};
        out.addr = await new Promise((res) => dns.lookup(peer, (e, a) => res(e ? e.code : a)));
        if (process.env.HOOKS_TOKEN) {
          out.wake = await call("/hooks/wake", process.env.HOOKS_TOKEN, { text: "clawfed e2e: wake over the link", mode: "next-heartbeat" });
          out.wakeWrong = await call("/hooks/wake", process.env.WRONG_TOKEN, { text: "clawfed e2e: wrong token", mode: "next-heartbeat" });
        }
        if (process.env.A2A_TOKEN) {
          out.card = await call("/.well-known/agent-card.json");
          // A task that starts no agent run (offline, a run would only wait on the model provider
          // and keep the gateway draining at shutdown): A2A peers may not send slash commands, so
          // the gateway answers at once with a rejected task, through the whole A2A path.
          out.send = await call("/a2a/v1", process.env.A2A_TOKEN, { jsonrpc: "2.0", id: "send-1", method: "SendMessage",
            params: { message: { messageId: "clawfed-e2e-" + Date.now(), role: "ROLE_USER", parts: [{ text: "/status" }] } } });
          const taskId = out.send.json && out.send.json.result && out.send.json.result.task && out.send.json.result.task.id;
          if (taskId) out.get = await call("/a2a/v1", process.env.A2A_TOKEN, { jsonrpc: "2.0", id: "get-1", method: "GetTask", params: { id: taskId } });
          out.a2aWrong = await call("/a2a/v1", process.env.WRONG_TOKEN, { jsonrpc: "2.0", id: "get-2", method: "GetTask", params: { id: "x" } });
        }
        console.log(JSON.stringify(out));
      })().catch((e) => console.log(JSON.stringify({ error: String(e), cause: String(e && e.cause) })));`;

    const routes = fed.routes.filter((r) => r.transports.includes("hooks") || r.transports.includes("a2a"));
    // korax → goreos and korax → medico at least (the spec's links), plus the replies back.
    expect(routes.filter((r) => r.from === "korax").map((r) => r.to)).toEqual(["goreos", "medico"]);
    for (const r of routes) {
      const callee = containers.get(r.to)!;
      const linkNet = composeNet(linkNetwork(r.from, r.to));
      const wrong = randomBytes(32).toString("base64url");
      const callEnv: Record<string, string> = { PEER: serviceName(r.to), WRONG_TOKEN: wrong };
      if (r.transports.includes("hooks")) callEnv.HOOKS_TOKEN = env[hooksTokenEnv(r.to)]!;
      if (r.transports.includes("a2a")) callEnv.A2A_TOKEN = env[a2aTokenEnv(r.from, r.to)]!;
      const res = await nodeIn<Record<string, any>>(cid(r.from), script, callEnv, 90_000);
      const where = `${r.from} → ${r.to}`;
      expect(res.error, `${where}: ${res.error} ${res.cause}`).toBeUndefined();
      // The name resolves to the callee's address on the link network the two share.
      expect(res.addr, `${where}: address of ${r.to}`).toBe(callee.NetworkSettings.Networks[linkNet]?.IPAddress);
      if (r.transports.includes("hooks")) {
        expect(res.wake, `${where} /hooks/wake`).toMatchObject({ status: 200, json: { ok: true } });
        expect(res.wakeWrong?.status, `${where} /hooks/wake with a wrong token`).toBe(401);
      }
      if (r.transports.includes("a2a")) {
        expect(res.card, `${where} agent card`).toMatchObject({ status: 200, json: { name: r.to } });
        expect(res.send?.status, `${where} A2A SendMessage`).toBe(200);
        const task = res.send?.json?.result?.task;
        expect(task?.id, `${where} A2A SendMessage: ${JSON.stringify(res.send?.json?.error ?? res.send?.text)}`).toEqual(expect.any(String));
        expect(task.status.state, `${where} A2A task`).toBe("TASK_STATE_REJECTED");
        expect(res.get, `${where} A2A GetTask`).toMatchObject({ status: 200, json: { result: { id: task.id, status: { state: "TASK_STATE_REJECTED" } } } });
        expect(res.a2aWrong?.status, `${where} A2A with a wrong token`).toBe(401);
      }
    }
    // The hub's own hooks from the host, with its token from .env in a header: accepted; wrong: 401.
    const korax = gw("korax");
    const wake = (token: string) =>
      fetch(`http://127.0.0.1:${korax.port}/hooks/wake`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ text: "clawfed e2e from the host", mode: "next-heartbeat" }) });
    const ok = await wake(env[hooksTokenEnv("korax")]!);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true });
    expect((await wake(randomBytes(32).toString("base64url"))).status).toBe(401);
  });

  it("gateways that share no link can neither resolve nor reach each other (goreos ↔ medico)", async () => {
    const script = `
      const dns = require("dns");
      const names = JSON.parse(process.env.NAMES), urls = JSON.parse(process.env.URLS);
      const lookup = (n) => new Promise((res) => dns.lookup(n, (e, a) => res(e ? { name: n, error: e.code } : { name: n, addr: a })));
      const reach = async (u) => { try { const r = await fetch(u, { signal: AbortSignal.timeout(4000) }); return { url: u, status: r.status }; }
        catch (e) { return { url: u, error: String((e.cause && e.cause.code) || e.name) }; } };
      (async () => console.log(JSON.stringify({ dns: await Promise.all(names.map(lookup)), http: await Promise.all(urls.map(reach)) })))();`;
    const ids = fed.gateways.map((g) => g.id);
    const unlinked: Array<[string, string]> = [];
    for (const a of ids) for (const b of ids) if (a !== b && !linked(a, b)) unlinked.push([a, b]);
    expect(unlinked).toEqual([["goreos", "medico"], ["medico", "goreos"]]);
    for (const [a, b] of unlinked) {
      const from = containers.get(a)!;
      const to = containers.get(b)!;
      const bIps = Object.values(to.NetworkSettings.Networks).map((n) => n.IPAddress).filter(Boolean);
      const aGateways = Object.values(from.NetworkSettings.Networks).map((n) => n.Gateway).filter(Boolean);
      expect(bIps.length).toBeGreaterThan(0);
      const urls = [
        // b's container addresses on every network it has
        ...bIps.map((ip) => `http://${ip}:${CONTAINER_PORT}/healthz`),
        // b's published port through the host side of a's own networks (published on 127.0.0.1 only)
        ...aGateways.map((ip) => `http://${ip}:${gw(b).port}/healthz`),
      ];
      const names = [serviceName(b), to.Name.replace(/^\//, "")];
      const res = await nodeIn<{ dns: Array<{ name: string; addr?: string; error?: string }>; http: Array<{ url: string; status?: number; error?: string }> }>(
        from.Id,
        script,
        { NAMES: JSON.stringify([...names, "korax"]), URLS: JSON.stringify(urls) },
        60_000,
      );
      for (const d of res.dns.filter((x) => x.name !== "korax")) expect(d.addr, `${a} resolved ${d.name}`).toBeUndefined();
      for (const h of res.http) expect(h.status, `${a} reached ${h.url}`).toBeUndefined();
      // Control: the same container does resolve the hub it is linked to.
      expect(res.dns.find((x) => x.name === "korax")?.addr, `${a} resolves korax`).toEqual(expect.any(String));
    }
  });

  it("knowledge mounts are read-only; each gateway has exactly its own mailbox route folders, writable", async () => {
    const script = `
      const fs = require("fs");
      const probe = (dir) => { try { fs.readdirSync(dir); } catch (e) { return { read: e.code }; }
        const f = dir + "/.clawfed-e2e-" + process.pid;
        try { fs.writeFileSync(f, "x"); fs.unlinkSync(f); return { read: "ok", write: "ok" }; } catch (e) { return { read: "ok", write: e.code }; } };
      const dirs = JSON.parse(process.env.DIRS);
      let comms; try { comms = fs.readdirSync(process.env.COMMS).sort(); } catch (e) { comms = e.code; }
      console.log(JSON.stringify({ dirs: Object.fromEntries(dirs.map((d) => [d, probe(d)])), comms }));`;
    const allRoutes = fed.routes.filter((r) => r.transports.includes("mailbox")).map((r) => routeDir(r.from, r.to));
    expect(allRoutes.length).toBeGreaterThan(0);
    for (const g of fed.gateways) {
      const mine = fed.routes.filter((r) => r.transports.includes("mailbox") && (r.from === g.id || r.to === g.id)).map((r) => routeDir(r.from, r.to)).sort();
      const dirs = [...fed.knowledge.map((k) => k.mountPath), ...allRoutes.map((r) => `/shared/comms/${r}`)];
      const res = await nodeIn<{ dirs: Record<string, { read: string; write?: string }>; comms: string[] | string }>(cid(g.id), script, { DIRS: JSON.stringify(dirs), COMMS: "/shared/comms" });
      for (const k of fed.knowledge) {
        const given = g.knowledge.some((x) => x.name === k.name);
        if (given) expect(res.dirs[k.mountPath], `${g.id} ${k.mountPath}`).toEqual({ read: "ok", write: "EROFS" });
        else expect(res.dirs[k.mountPath], `${g.id} ${k.mountPath} (not given)`).toEqual({ read: "ENOENT" });
      }
      for (const r of allRoutes) {
        const p = `/shared/comms/${r}`;
        if (mine.includes(r)) expect(res.dirs[p], `${g.id} ${p}`).toEqual({ read: "ok", write: "ok" });
        else expect(res.dirs[p], `${g.id} ${p} (not its route)`).toEqual({ read: "ENOENT" });
      }
      expect(res.comms, `${g.id} /shared/comms`).toEqual(mine);
    }
  });

  it("docker inspect shows the hardening, and no host port is bound beyond 127.0.0.1", async () => {
    for (const g of fed.gateways) {
      const c = await docker().getContainer(cid(g.id)).inspect();
      const hc = c.HostConfig;
      expect(hc.CapDrop, g.id).toContain("ALL");
      expect(hc.CapAdd ?? [], g.id).toEqual([]);
      expect(hc.Privileged, g.id).toBe(false);
      expect(((hc.SecurityOpt ?? []) as string[]).some((o) => /^no-new-privileges(:true)?$/.test(o)), `${g.id} SecurityOpt ${JSON.stringify(hc.SecurityOpt)}`).toBe(true);
      expect(hc.PidsLimit, g.id).toBe(g.resources.pids);
      expect(hc.Memory, g.id).toBe(bytes(g.resources.memory));
      expect(hc.NanoCpus, g.id).toBe(Math.round(g.resources.cpus * 1e9));
      expect(hc.Init, g.id).toBe(true);
      expect(hc.NetworkMode, g.id).not.toBe("host");
      expect(c.Config.User, g.id).toBe("node");
      // Published: only the gateway port, only on 127.0.0.1, both as configured and as bound.
      expect(Object.keys(hc.PortBindings ?? {}), g.id).toEqual([`${CONTAINER_PORT}/tcp`]);
      for (const b of Object.values(hc.PortBindings ?? {}).flat()) expect(b, g.id).toMatchObject({ HostIp: "127.0.0.1", HostPort: String(g.port) });
      for (const b of Object.values(c.NetworkSettings.Ports ?? {}).flat().filter(Boolean)) expect((b as { HostIp: string }).HostIp, g.id).toBe("127.0.0.1");
      // Networks: its egress network and one link network per peer, nothing else.
      const nets = [egressNetwork(g.id), ...fed.pairs.filter(([a, b]) => a === g.id || b === g.id).map(([a, b]) => linkNetwork(a, b))].map(composeNet).sort();
      expect(Object.keys(c.NetworkSettings.Networks).sort(), g.id).toEqual(nets);
      // The Docker socket only where the spec sandboxes agents, and still without extra privileges.
      const sock = c.Mounts.some((m) => m.Destination === "/var/run/docker.sock");
      expect(sock, `${g.id} docker.sock`).toBe(g.sandboxed);
      // Knowledge mounts are read-only binds.
      for (const k of g.knowledge) expect(c.Mounts.find((m) => m.Destination === k.mountPath)?.RW, `${g.id} ${k.mountPath}`).toBe(false);
      // What the kernel says about the container's PID 1: no capabilities, no-new-privs, uid 1000.
      const st = await execIn(c.Id, ["cat", "/proc/1/status"]);
      expect(st.code).toBe(0);
      const field = (k: string) => st.stdout.match(new RegExp(`^${k}:\\s*(.*)$`, "m"))?.[1]?.trim();
      expect(field("CapEff"), `${g.id} CapEff`).toBe("0000000000000000");
      expect(field("CapPrm"), `${g.id} CapPrm`).toBe("0000000000000000");
      expect(field("CapBnd"), `${g.id} CapBnd`).toBe("0000000000000000");
      expect(field("NoNewPrivs"), `${g.id} NoNewPrivs`).toBe("1");
      expect(field("Uid")?.split(/\s+/)[0], `${g.id} Uid`).toBe("1000");
    }
    // The host agrees: each published port listens on 127.0.0.1 only.
    const { stdout } = await run("ss", ["-Hltn"]);
    for (const g of fed.gateways) {
      const locals = stdout.split("\n").map((l) => l.trim().split(/\s+/)[3] ?? "").filter((a) => a.endsWith(`:${g.port}`));
      expect(locals.length, `${g.id}: something listens on :${g.port}`).toBeGreaterThan(0);
      expect(locals.every((a) => a === `127.0.0.1:${g.port}`), `${g.id}: ${locals.join(", ")}`).toBe(true);
    }
  });

  it("no container's environment holds a token or secret it does not need, and no log shows one", async () => {
    const slots = planEnv(fed, { projectName: true, dockerGid: true }).filter((s) => s.kind === "token" || s.kind === "user");
    expect(slots.length).toBeGreaterThan(0);
    for (const g of fed.gateways) {
      const c = await docker().getContainer(cid(g.id)).inspect();
      const cenv = new Map((c.Config.Env ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)] as const));
      const values = new Set(cenv.values());
      for (const s of slots) {
        const value = env[s.name]!;
        expect(value.length, s.name).toBeGreaterThan(8);
        if (s.consumers.includes(g.id)) expect(cenv.get(s.name), `${g.id} needs ${s.name}`).toBe(value);
        else {
          expect(cenv.has(s.name), `${g.id} must not have ${s.name}`).toBe(false);
          expect(values.has(value), `${g.id} holds the value of ${s.name} under another name`).toBe(false);
        }
      }
    }
    // The example the issue names.
    const medicoEnv = (await docker().getContainer(cid("medico")).inspect()).Config.Env ?? [];
    expect(medicoEnv.some((e) => e.startsWith(`${hooksTokenEnv("goreos")}=`) || e.endsWith(`=${env[hooksTokenEnv("goreos")]}`))).toBe(false);
    // Nothing printed a secret: container logs hold none of the .env values.
    for (const g of fed.gateways) {
      const text = await containerLogs(cid(g.id));
      expect(text.length, `${g.id} logs`).toBeGreaterThan(0);
      for (const s of slots) expect(text.includes(env[s.name]!), `${g.id} log shows ${s.name}`).toBe(false);
    }
  });

  it("`compose down -v` leaves no container, network or volume of the federation behind", async () => {
    const before = await leftOvers(fed.name, project);
    expect(before.containers.length).toBe(fed.gateways.length);
    expect(before.networks.length).toBe(fed.gateways.length + fed.pairs.length);
    expect(before.volumes.length).toBe(fed.gateways.filter((g) => !g.sandboxed).length);
    const t0 = performance.now();
    const res = await compose({ dir: outDir, name: project }, ["down", "-v"], { timeoutMs: 300_000 });
    tornDown = true;
    log(`compose down -v took ${ms(performance.now() - t0)}`);
    expect(res.code, redact(res.stderr, secrets)).toBe(0);
    expect(await leftOvers(fed.name, project)).toEqual({ containers: [], networks: [], volumes: [] });
    // And through clawfed's own view of it: the federation is gone.
    const ctx = await openFederation(SPEC, { outDir });
    const owned = await docker().listContainers({ all: true, filters: { label: [`${LABELS.federation}=${ctx.fed.name}`] } });
    expect(owned).toEqual([]);
  });
});
