// federations/korax.yaml as a Docker Swarm stack on the real engine (`--target swarm`): three real
// OpenClaw gateways as services with Docker secrets, one overlay network per link, self-healing
// updates. Renamed `kswarm` with ports 38789/38909/39029 so it never meets the compose suite's
// objects. Checks what the issue promises:
//   every gateway started; korax → goreos/medico over their overlays with the generated tokens
//   (A2A 200, wrong token 401); goreos cannot resolve or reach medico; no token in the stack file,
//   `docker service inspect` or `docker inspect` of the task containers; a bad image rolls back by
//   itself with the state intact and `clawfed status --target swarm` shows it; `clawfed down
//   --target swarm` removes the stack's services, networks and secrets and nothing else.
// Swarm: initialised here when inactive (`docker swarm init --advertise-addr 127.0.0.1`) and left
// at the end only then; otherwise the node labels this suite added are removed.
// Tokens go to in-container requests through the exec's environment, never argv; nothing prints one.
import { randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { parse as parseDotenv } from "dotenv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { a2aTokenEnv, CONTAINER_PORT, hooksTokenEnv, linkNetwork } from "../../src/vocabulary/names.js";
import { LABELS } from "../../src/vocabulary/labels.js";
import { loadSpecFile } from "../../src/federation/load.js";
import type { Federation } from "../../src/federation/normalize.js";
import { generate } from "../../src/ops/generate.js";
import { createClawfed } from "../../src/ops/clawfed.js";
import type { SwarmUpResult } from "../../src/ops/swarm.js";
import { systemClock } from "../../src/runtime/clock.js";
import { createDockerEngine } from "../../src/runtime/docker/engine.js";
import { nodeHttpGet } from "../../src/runtime/health.js";
import { createSwarmEngine } from "../../src/runtime/swarm/docker.js";
import { nodeLabel } from "../../src/targets/swarm/model.js";
import { runCli } from "../helpers/cli.js";
import { docker, nodeIn } from "../helpers/docker.js";
import { ensureKnowledgeDirs } from "../helpers/host.js";
import { TEST_IMAGE } from "../helpers/setup-docker.js";

const run = promisify(execFile);
const NAME = "kswarm";
const PORTS: Record<string, number> = { korax: 38789, goreos: 38909, medico: 39029 };
/** An image that exists locally but cannot run the gateway (no node): the update must fail. */
const BAD_IMAGE = "clawfed/debian-base:bookworm";
const UP_TIMEOUT_MS = 240_000;
const ROLLBACK_TIMEOUT_MS = 240_000;
const log = (line: string) => process.stderr.write(`[swarm-e2e] ${line}\n`);

let root: string;
let spec: string;
let outDir: string;
let fed: Federation;
let env: Record<string, string>;
let secrets: string[];
let upResult: SwarmUpResult;
let initialisedSwarm = false;
let tornDown = false;
// The operations as the CLI and the library get them, on the real engine, HTTP and clock.
const ops = createClawfed({ swarm: createSwarmEngine(), engine: createDockerEngine(), get: nodeHttpGet, clock: systemClock });
const decoys = { secret: `${NAME}_DECOY_NOT_OURS`, network: `${NAME}_decoy-not-ours` };

const svcName = (id: string) => `${NAME}_${id}`;
async function dockerCli(args: string[], timeoutMs = 60_000): Promise<string> {
  return (await run("docker", args, { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 })).stdout;
}
/** The container of a service's running task. */
async function taskContainer(id: string): Promise<string> {
  const list = await docker().listContainers({ filters: { label: [`com.docker.swarm.service.name=${svcName(id)}`], status: ["running"] } });
  if (list.length !== 1) throw new Error(`expected one running container of ${svcName(id)}, found ${list.length}`);
  return list[0]!.Id;
}
async function waitFor<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

/** The suite's state volumes, once no container uses them any more. */
async function removeStateVolumes(): Promise<void> {
  await waitFor("the stack's task containers to go", 120_000, async () => ((await docker().listContainers({ all: true, filters: { label: [`com.docker.stack.namespace=${NAME}`] } })).length === 0 ? true : undefined));
  for (const v of (await docker().listVolumes({ filters: { label: [`${LABELS.federation}=${NAME}`] } })).Volumes ?? []) await docker().getVolume(v.Name).remove();
}

beforeAll(async () => {
  const state = (await docker().info()).Swarm?.LocalNodeState;
  if (state !== "active") {
    await dockerCli(["swarm", "init", "--advertise-addr", "127.0.0.1"]);
    initialisedSwarm = true;
    log("initialised a single-node swarm (will leave it at the end)");
  }
  root = await mkdtemp("/tmp/cfs-");
  spec = path.join(root, `${NAME}.yaml`);
  outDir = path.join(root, "out");
  const korax = await readFile("federations/korax.yaml", "utf8");
  await writeFile(spec, korax.replace(/^name: korax$/m, `name: ${NAME}`).replace(/port: 18789/, `port: ${PORTS.korax}`).replace(/port: 18909/, `port: ${PORTS.goreos}`).replace(/port: 19029/, `port: ${PORTS.medico}`));
  fed = (await loadSpecFile(spec)).federation;
  await ensureKnowledgeDirs(fed.knowledge);
  // A stack left by a crashed run of this suite, and its state volumes (a gateway killed at the
  // end of its stop grace period leaves its locks behind; a fresh state is what this suite tests).
  await ops.swarm.down(spec, { out: outDir });
  await removeStateVolumes();

  await generate({ spec, outDir, target: "swarm", image: TEST_IMAGE });
  const envFile = path.join(outDir, ".env");
  await writeFile(envFile, (await readFile(envFile, "utf8")).replace(/^([A-Z][A-Z0-9_]*)=$/gm, (_m, n: string) => `${n}=${/^TG_TOKEN_/.test(n) ? "10000001:" : ""}clawfed-e2e-${randomBytes(10).toString("hex")}`), { mode: 0o600 });
  env = parseDotenv(await readFile(envFile, "utf8"));
  secrets = Object.entries(env).filter(([k, v]) => v.length >= 8 && k !== "CLAWFED_DOCKER_GID").map(([, v]) => v);

  // Objects that are not the stack's, named like it: `down` must leave them.
  await docker().createSecret({ Name: decoys.secret, Labels: { [LABELS.federation]: "someone-else" }, Data: Buffer.from("decoy").toString("base64") });
  await docker().createNetwork({ Name: decoys.network, Driver: "overlay", Internal: true });

  const t0 = Date.now();
  upResult = await ops.swarm.up(spec, { out: outDir, timeoutMs: UP_TIMEOUT_MS, onProgress: log });
  if (!upResult.ok) {
    const tails: string[] = [];
    for (const g of upResult.gateways.filter((x) => !x.ok)) {
      let text = "";
      await ops.swarm.logs(spec, { out: outDir, gateway: g.id, sink: { stdout: (t) => (text += t), stderr: (t) => (text += t) }, tail: 25 }).catch((e: Error) => (text += e.message));
      tails.push(`--- ${g.id}: ${g.reason}\n${text}`);
    }
    throw new Error(`the stack did not come up:\n${tails.join("\n")}`);
  }
  log(`all started ${((Date.now() - t0) / 1000).toFixed(1)} s after up() began`);
}, UP_TIMEOUT_MS + 120_000);

afterAll(async () => {
  if (outDir && !tornDown) await ops.swarm.down(spec, { out: outDir }).catch((e: Error) => log(`down failed: ${e.message}`));
  await docker().getSecret(decoys.secret).remove().catch(() => undefined);
  await docker().getNetwork(decoys.network).remove().catch(() => undefined);
  await removeStateVolumes().catch((e: Error) => log(`could not remove the state volumes: ${e.message}`));
  if (initialisedSwarm) await dockerCli(["swarm", "leave", "--force"]).catch((e: Error) => log(`swarm leave failed: ${e.message}`));
  else if (fed) {
    const self = (await docker().info()).Swarm.NodeID as string;
    for (const g of fed.gateways) await dockerCli(["node", "update", "--label-rm", nodeLabel(NAME, g.id), self]).catch(() => undefined);
  }
  if (root) await rm(root, { recursive: true, force: true });
}, 240_000);

describe("federations/korax.yaml as a Docker Swarm stack", () => {
  it("every gateway is a 1-replica service whose task is running and started; the stack file is accepted by docker stack", async () => {
    expect(upResult.gateways.map((g) => [g.id, g.ok])).toEqual([["goreos", true], ["korax", true], ["medico", true]]);
    for (const g of fed.gateways) {
      const s = await docker().getService(svcName(g.id)).inspect();
      expect(s.Spec.Mode.Replicated.Replicas).toBe(1);
      expect(s.Spec.UpdateConfig).toMatchObject({ Order: "stop-first", FailureAction: "rollback", Parallelism: 1 });
      expect(s.Spec.RollbackConfig).toMatchObject({ Order: "stop-first" });
      expect(s.Spec.TaskTemplate.Placement).toMatchObject({ Constraints: [`node.labels.${nodeLabel(NAME, g.id)}==true`], MaxReplicas: 1 });
      expect(s.Spec.TaskTemplate.RestartPolicy).toMatchObject({ Condition: "any", MaxAttempts: 5 });
      expect(s.Spec.TaskTemplate.ContainerSpec.Healthcheck.Test.join(" ")).toContain("/healthz");
      const r = await fetch(`http://127.0.0.1:${PORTS[g.id]}/healthz`);
      expect(await r.json()).toMatchObject({ ok: true, status: "live" });
    }
    // `docker stack` sees the stack clawfed created through the API.
    expect(await dockerCli(["stack", "services", NAME, "--format", "{{.Name}}"])).toBe("kswarm_goreos\nkswarm_korax\nkswarm_medico\n");
    const cfg = await run("docker", ["stack", "config", "-c", path.join(outDir, "stack.yml")], { timeout: 30_000 });
    expect(cfg.stdout).toContain("endpoint_mode: dnsrr");
    const st = await waitFor("clawfed status --target swarm to report all healthy", 60_000, async () => {
      const r = await runCli(["status", spec, "--target", "swarm", "--out", outDir, "--json"]);
      return r.code === 0 ? JSON.parse(r.stdout) : undefined;
    });
    expect(st.gateways.map((g: { id: string; state: string }) => [g.id, g.state])).toEqual([["goreos", "healthy"], ["korax", "healthy"], ["medico", "healthy"]]);
  });

  it("korax reaches goreos and medico over their link overlays with the generated tokens (A2A 200, hooks 200), a wrong token gets 401", async () => {
    const script = `
      const dns = require("dns"); const peer = process.env.PEER;
      const call = async (p, token, body) => { const r = await fetch("http://" + peer + ":${CONTAINER_PORT}" + p, { method: body ? "POST" : "GET", signal: AbortSignal.timeout(20000),
        headers: token ? { authorization: "Bearer " + token, "content-type": "application/json" } : {}, body: body && JSON.stringify(body) });
        const t = await r.text(); let json; try { json = JSON.parse(t); } catch {} return { status: r.status, json }; };
      const rpc = (id, method, params) => ({ jsonrpc: "2.0", id, method, params });
      (async () => { const out = {};
        out.addr = await new Promise((res) => dns.lookup(peer, (e, a) => res(e ? e.code : a)));
        out.send = await call("/a2a/v1", process.env.A2A_TOKEN, rpc("s1", "SendMessage", { message: { messageId: "e2e-" + Date.now(), role: "ROLE_USER", parts: [{ text: "/status" }] } }));
        out.a2aWrong = await call("/a2a/v1", process.env.WRONG_TOKEN, rpc("g2", "GetTask", { id: "x" }));
        out.wake = await call("/hooks/wake", process.env.HOOKS_TOKEN, { text: "clawfed swarm e2e", mode: "next-heartbeat" });
        out.wakeWrong = await call("/hooks/wake", process.env.WRONG_TOKEN, { text: "wrong", mode: "next-heartbeat" });
        console.log(JSON.stringify(out)); })().catch((e) => console.log(JSON.stringify({ error: String(e) })));`;
    const korax = await taskContainer("korax");
    for (const to of ["goreos", "medico"]) {
      const callee = await docker().getContainer(await taskContainer(to)).inspect();
      const res = await nodeIn<Record<string, any>>(korax, script, { PEER: to, A2A_TOKEN: env[a2aTokenEnv("korax", to)]!, HOOKS_TOKEN: env[hooksTokenEnv(to)]!, WRONG_TOKEN: randomBytes(32).toString("base64url") }, 90_000);
      expect(res.error, `korax → ${to}`).toBeUndefined();
      expect(res.addr, `korax resolves ${to} to its address on the link overlay`).toBe(callee.NetworkSettings.Networks[`${NAME}_${linkNetwork("korax", to)}`]?.IPAddress);
      expect(res.send.status, `korax → ${to} A2A`).toBe(200);
      expect(res.send.json?.result?.task?.id, `korax → ${to} A2A task`).toEqual(expect.any(String));
      expect(res.a2aWrong.status, `korax → ${to} A2A wrong token`).toBe(401);
      expect(res.wake, `korax → ${to} hooks`).toMatchObject({ status: 200, json: { ok: true } });
      expect(res.wakeWrong.status, `korax → ${to} hooks wrong token`).toBe(401);
    }
  });

  it("goreos can neither resolve nor reach medico (no shared overlay), but resolves korax", async () => {
    const goreos = await taskContainer("goreos");
    const medico = await docker().getContainer(await taskContainer("medico")).inspect();
    const ips = Object.values(medico.NetworkSettings.Networks).map((n) => n.IPAddress).filter(Boolean);
    expect(ips.length).toBeGreaterThan(1);
    const script = `
      const dns = require("dns"); const names = JSON.parse(process.env.NAMES), urls = JSON.parse(process.env.URLS);
      const lookup = (n) => new Promise((res) => dns.lookup(n, (e, a) => res({ name: n, addr: e ? undefined : a })));
      const reach = async (u) => { try { const r = await fetch(u, { signal: AbortSignal.timeout(4000) }); return { url: u, status: r.status, server: r.headers.get("server"), body: (await r.text()).slice(0, 200) }; } catch (e) { return { url: u }; } };
      (async () => console.log(JSON.stringify({ dns: await Promise.all(names.map(lookup)), http: await Promise.all(urls.map(reach)) })))();`;
    const res = await nodeIn<{ dns: Array<{ name: string; addr?: string }>; http: Array<{ url: string; status?: number; server?: string; body: string }> }>(goreos, script, {
      NAMES: JSON.stringify(["medico", svcName("medico"), `tasks.${svcName("medico")}`, "korax"]),
      URLS: JSON.stringify(ips.map((ip) => `http://${ip}:${CONTAINER_PORT}/healthz`)),
    });
    for (const d of res.dns.filter((x) => x.name !== "korax")) expect(d.addr, `goreos resolved ${d.name}`).toBeUndefined();
    // The overlay subnets are not routed from goreos: a packet to medico's address leaves by the
    // default route (docker_gwbridge, then the host's uplink), where this sandbox's upstream answers
    // any address with an empty 404. What must never answer is medico's gateway.
    for (const h of res.http) {
      if (h.status !== undefined) log(`goreos → ${h.url}: HTTP ${h.status} from server "${h.server}" (not a gateway)`);
      expect(h.status === 200 || h.body.includes('"status"'), `goreos reached medico at ${h.url}`).toBe(false);
    }
    expect(res.dns.find((d) => d.name === "korax")?.addr).toEqual(expect.any(String));
  });

  it("no token is in the stack file, docker service inspect or docker inspect of the task containers; secrets are files under /run/secrets", async () => {
    const texts: Array<[string, string]> = [["stack.yml", await readFile(path.join(outDir, "stack.yml"), "utf8")]];
    for (const g of fed.gateways) {
      texts.push([`service inspect ${g.id}`, await dockerCli(["service", "inspect", svcName(g.id)])]);
      const c = await taskContainer(g.id);
      texts.push([`inspect ${g.id}`, await dockerCli(["inspect", c])]);
      const mounted = await nodeIn<Record<string, string>>(c, `const fs = require("fs"); console.log(JSON.stringify(Object.fromEntries(fs.readdirSync("/run/secrets").map((f) => { const s = fs.statSync("/run/secrets/" + f); return [f, (s.mode & 0o777).toString(8) + " " + s.uid]; }))))`);
      for (const [, v] of Object.entries(mounted)) expect(v).toBe("400 1000");
      expect(Object.keys(mounted)).toContain(`${g.id.toUpperCase()}_GATEWAY_TOKEN`);
    }
    // The service logs as `clawfed logs --target swarm` prints them.
    const logs = await runCli(["logs", spec, "korax", "--target", "swarm", "--out", outDir, "--tail", "300"]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain("[gateway]");
    texts.push(["clawfed logs korax", logs.stdout + logs.stderr]);
    expect(secrets.length).toBeGreaterThan(10);
    for (const [where, text] of texts) for (const s of secrets) expect(text.includes(s), `a secret value in ${where}`).toBe(false);
    // The networks: one internal encrypted overlay per link, one egress overlay per gateway.
    const nets = await docker().listNetworks({ filters: { label: [`${LABELS.federation}=${NAME}`] } });
    const link = nets.filter((n) => n.Name.includes("link-"));
    expect(link.map((n) => n.Name).sort()).toEqual([`${NAME}_link-goreos--korax`, `${NAME}_link-korax--medico`]);
    for (const n of link) expect([n.Driver, n.Internal, "encrypted" in (n.Options ?? {})]).toEqual(["overlay", true, true]);
    // What is exposed: each gateway port in host mode (every interface of the node), nothing else.
    const korax = await docker().getContainer(await taskContainer("korax")).inspect();
    expect(korax.HostConfig.PortBindings).toEqual({ [`${CONTAINER_PORT}/tcp`]: [{ HostIp: "", HostPort: String(PORTS.korax) }] });
  });

  it("an update to an image that cannot start rolls back by itself, state intact, and clawfed status shows it", async () => {
    const marker = `clawfed-e2e-${randomBytes(6).toString("hex")}`;
    const before = await taskContainer("goreos");
    await nodeIn(before, `require("fs").writeFileSync("/home/node/.openclaw/e2e-marker", process.env.M); console.log("{}")`, { M: marker });
    await dockerCli(["service", "update", "--detach", "--no-resolve-image", "--image", BAD_IMAGE, svcName("goreos")]);
    const s = await waitFor("Swarm to roll goreos back", ROLLBACK_TIMEOUT_MS, async () => {
      const i = await docker().getService(svcName("goreos")).inspect();
      return i.UpdateStatus?.State === "rollback_completed" ? i : undefined;
    });
    expect(s.Spec.TaskTemplate.ContainerSpec.Image).toMatch(new RegExp(`^${TEST_IMAGE.replace(/[.]/g, "\\.")}`));
    const after = await waitFor("goreos to run again on its old image", UP_TIMEOUT_MS, async () => {
      const r = await fetch(`http://127.0.0.1:${PORTS.goreos}/startupz`, { signal: AbortSignal.timeout(3000) });
      const b = (await r.json()) as { status?: string };
      return b.status === "started" ? taskContainer("goreos") : undefined;
    });
    expect(after).not.toBe(before);
    const read = await nodeIn<{ m: string }>(after, `console.log(JSON.stringify({ m: require("fs").readFileSync("/home/node/.openclaw/e2e-marker", "utf8") }))`);
    expect(read.m).toBe(marker);
    const r = await runCli(["status", spec, "--target", "swarm", "--out", outDir, "--json"]);
    const st = JSON.parse(r.stdout);
    const g = st.gateways.find((x: { id: string }) => x.id === "goreos");
    expect(g.update.state).toBe("rollback_completed");
    expect(g.rolledBackFrom).toBe(BAD_IMAGE);
    expect(g.problems.join(" ")).toContain("rollback");
    expect(g.failures[0]).toMatchObject({ image: BAD_IMAGE });
    const text = await runCli(["status", spec, "--target", "swarm", "--out", outDir]);
    expect(text.stdout).toMatch(/goreos: the update to clawfed\/debian-base:bookworm failed; Swarm rollback completed/);
  });

  it("clawfed down --target swarm removes the stack's services, networks and secrets and nothing else", async () => {
    const r = await runCli(["down", spec, "--target", "swarm", "--out", outDir, "--json"], { timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    tornDown = true;
    const res = JSON.parse(r.stdout);
    expect(res.services.sort()).toEqual(["kswarm_goreos", "kswarm_korax", "kswarm_medico"]);
    expect(res.networks).toHaveLength(5);
    expect(res.secrets.length).toBeGreaterThan(10);
    const label = { label: [`com.docker.stack.namespace=${NAME}`] };
    expect(await docker().listServices({ filters: label })).toEqual([]);
    expect(await docker().listNetworks({ filters: label })).toEqual([]);
    expect(await docker().listSecrets({ filters: label })).toEqual([]);
    // Not the stack's: still there. State volumes are kept (down --volumes would remove them).
    expect((await docker().listSecrets({ filters: { name: [decoys.secret] } })).length).toBe(1);
    expect((await docker().listNetworks({ filters: { name: [decoys.network] } })).length).toBe(1);
    expect(((await docker().listVolumes({ filters: label })).Volumes ?? []).map((v) => v.Name)).toEqual([`${NAME}_korax-state`]);
  });
});
