// Native fleet, end to end with real OpenClaw 2026.9.6 on Node 24 under real PM2: korax.yaml as
// three `openclaw gateway` processes on 127.0.0.1:18789/18909/19029 (native ports, 120 apart).
// - `clawfed native up`: three healthy gateways; korax reaches each spoke over loopback with the
//   tokens generated for it; each gateway's locks and state live only in its own directory;
// - `kill -9` of a gateway: PM2 brings it back, with a longer delay on a repeated crash;
// - SIGKILL of PM2 itself, then `native up`: still exactly three gateways, all healthy;
// - `native down`: no process of the federation is left.
// Runs in the serialized e2e project (other e2e files use the same ports with Docker).
import { appendFile, readFile, readdir, readlink, stat } from "node:fs/promises";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import JSON5 from "json5";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nativeDown } from "../../src/ops/native.js";
import { findMarked, listenerPids, listProcesses, descendants, readCmdline } from "../../src/runtime/native/procs.js";
import { loadSpecFile } from "../../src/federation/load.js";
import { gatewayPaths, pm2Home } from "../../src/vocabulary/host-layout.js";
import { runCli } from "../helpers/cli.js";
import { ensureKnowledgeDirs, waitForFreePorts } from "../helpers/host.js";
import { cfnDir, specWithPorts } from "../helpers/native.js";

// CLAWFED_NATIVE_E2E_PORTS=29000,29120,29240 moves korax, goreos and medico off the seed's ports
// (for a machine where other test runs use them with Docker at the same time).
const ALT = process.env.CLAWFED_NATIVE_E2E_PORTS?.split(",").map(Number);
const PORTS = ALT ? { korax: ALT[0]!, goreos: ALT[1]!, medico: ALT[2]! } : ({ korax: 18789, goreos: 18909, medico: 19029 } as const);
let SPEC = "federations/korax.yaml";
const IDS = Object.keys(PORTS) as Array<keyof typeof PORTS>;

interface Status {
  healthy: boolean;
  supervisor: { running: boolean; pid?: number };
  gateways: Array<{ id: string; pid: number; pm2: string; restarts: number; restartDelayMs: number; orphans: number[]; healthy: boolean; rssBytes: number }>;
}

type GatewayRow = Status["gateways"][number];

let root: string;

async function cli(args: string[], timeoutMs = 420_000) {
  return runCli([...args, "--out", root], { timeoutMs });
}

async function status(): Promise<Status> {
  const r = await cli(["native", "status", SPEC, "--json"], 60_000);
  return JSON.parse(r.stdout) as Status;
}

async function waitFor(pred: (s: Status) => boolean, timeoutMs: number): Promise<Status> {
  const t0 = Date.now();
  for (;;) {
    const s = await status();
    if (pred(s)) return s;
    if (Date.now() - t0 > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms; last status: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

function gw(s: Status, id: string) {
  return s.gateways.find((g) => g.id === id)!;
}

async function post(url: string, token: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

describe("native fleet of korax (real OpenClaw under PM2)", () => {
  beforeAll(async () => {
    const dir = await cfnDir("e2e");
    root = path.join(dir, "korax");
    if (ALT) SPEC = await specWithPorts(SPEC, dir, { 18789: PORTS.korax, 18909: PORTS.goreos, 19029: PORTS.medico });
    const loaded = await loadSpecFile(SPEC, { target: "native" });
    await ensureKnowledgeDirs(loaded.federation.knowledge);
    await waitForFreePorts(Object.values(PORTS), { timeoutMs: 900_000, onWait: (busy) => process.stderr.write(`[native e2e] waiting for ports: ${busy}\n`) });
  });

  afterAll(async () => {
    // Never leave a gateway behind, whatever happened above.
    await nativeDown({ spec: SPEC, root }).catch((err: unknown) => process.stderr.write(`[native e2e] cleanup: ${(err as Error).message}\n`));
  });

  it("native up: three healthy gateways, reachable from korax over loopback with its tokens, each in its own state dir", async () => {
    const r = await cli(["native", "up", SPEC, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const st = JSON.parse(r.stdout) as Status;
    expect(st.healthy).toBe(true);
    expect(st.gateways.map((g) => g.id).sort()).toEqual(["goreos", "korax", "medico"]);
    for (const g of st.gateways) {
      expect(g).toMatchObject({ pm2: "online", healthy: true, orphans: [] });
      expect(g.rssBytes).toBeGreaterThan(100 * 1024 * 1024);
    }

    // korax → spokes, exactly as korax's config and its own env file say.
    const koraxCfg = JSON5.parse(await readFile(gatewayPaths(root, "korax").config, "utf8"));
    const koraxEnv = parseDotenv(await readFile(gatewayPaths(root, "korax").envFile, "utf8"));
    for (const spoke of ["goreos", "medico"] as const) {
      const peer = koraxCfg.channels.a2a.peers[spoke];
      expect(peer.url).toBe(`http://127.0.0.1:${PORTS[spoke]}/a2a/v1`);
      const token = koraxEnv[/^\$\{(\w+)\}$/.exec(peer.outboundToken)![1]!]!;
      // /startupz "started" does not wait for channels: the a2a channel mounts /a2a/v1 when it has
      // started (404 until then; slow on a loaded machine).
      let ok = await post(peer.url, token, { jsonrpc: "2.0", id: 1, method: "GetTask", params: { id: "no-such-task" } });
      for (const t0 = Date.now(); ok.status === 404 && Date.now() - t0 < 180_000; ) {
        await new Promise((r) => setTimeout(r, 2_000));
        ok = await post(peer.url, token, { jsonrpc: "2.0", id: 1, method: "GetTask", params: { id: "no-such-task" } });
      }
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.text)).toMatchObject({ jsonrpc: "2.0", id: 1, error: { code: -32001 } }); // authenticated: the task is just unknown
      const bad = await post(peer.url, `${token}x`, { jsonrpc: "2.0", id: 1, method: "GetTask", params: { id: "no-such-task" } });
      expect(bad.status).toBe(401);
      const hooksToken = koraxEnv[`${spoke.toUpperCase()}_HOOKS_TOKEN`]!;
      const wake = await post(`http://127.0.0.1:${PORTS[spoke]}/hooks/wake`, hooksToken, { text: `[federation from=korax depth=1] native e2e ping to ${spoke}` });
      expect(wake.status).toBe(200);
      expect(JSON.parse(wake.text)).toMatchObject({ ok: true });
      // The spoke's own gateway token is not among korax's secrets.
      expect(koraxEnv[`${spoke.toUpperCase()}_GATEWAY_TOKEN`]).toBeUndefined();
    }

    // Locks and state: each gateway's lock names its own pid, config, state dir and port, and no
    // process of a gateway holds a file of another gateway's folder.
    const procs = await listProcesses();
    for (const id of IDS) {
      const p = gatewayPaths(root, id);
      const pid = gw(st, id).pid;
      const lockDir = path.join(p.state, "tmp", `openclaw-${process.getuid!()}`);
      expect(await readdir(lockDir)).toEqual(expect.arrayContaining(["gateway.state.lock"]));
      const lock = JSON.parse((await readFile(path.join(lockDir, "gateway.state.lock"), "utf8")).trim());
      expect(lock).toMatchObject({ pid, configPath: p.config, stateDir: p.state, port: PORTS[id] });
      for (const proc of descendants(pid, procs)) {
        const fds = await readdir(`/proc/${proc.pid}/fd`).catch(() => [] as string[]);
        for (const fd of fds) {
          const target = await readlink(`/proc/${proc.pid}/fd/${fd}`).catch(() => "");
          if (target.startsWith(`${root}/`) && !target.startsWith(`${p.home}/`) && !target.startsWith(`${root}/comms/`)) {
            throw new Error(`${id} (pid ${proc.pid}) holds ${target}, outside its own folder`);
          }
        }
      }
      expect(await listenerPids(PORTS[id])).toEqual([pid]);
    }

    // Secrets: never in argv, PM2's process list or the status output.
    const all = parseDotenv(await readFile(path.join(root, ".env"), "utf8"));
    const tokens = Object.entries(all).filter(([k, v]) => k.endsWith("_TOKEN") && v).map(([, v]) => v);
    // The old spelling --root still works, with a deprecation warning on stderr.
    const jl = await runCli(["native", "status", SPEC, "--json", "--root", root]);
    expect(jl.stderr).toMatch(/--root is deprecated; use --out/);
    const pm2List = await new Promise<string>((resolve) => {
      import("../../src/runtime/native/pm2.js").then(async (m) => resolve((await m.pm2Ok({ home: pm2Home(root), cwd: root }, ["jlist"])).stdout));
    });
    const argv = (await Promise.all((await findMarked(root)).map((m) => readCmdline(m.pid)))).flat().join(" ");
    for (const t of tokens) {
      expect(jl.stdout.includes(t)).toBe(false);
      expect(pm2List.includes(t)).toBe(false);
      expect(argv.includes(t)).toBe(false);
    }
  });

  it("kill -9 of a gateway: PM2 brings it back healthy, waiting longer after a repeated crash", async () => {
    const before = await status();
    const first = gw(before, "goreos");
    // PM2 resets its backoff when a process crashes after more than 30 s of uptime, so the first
    // crash of a long-running gateway may be restarted at once. Crash each new process right away
    // (well within 30 s): from the second crash on the delay must start at 2 s and grow ×1.5.
    const crash = async (prev: GatewayRow): Promise<GatewayRow> => {
      process.kill(prev.pid, "SIGKILL");
      const t = Date.now();
      const next = gw(await waitFor((s) => gw(s, "goreos").pid > 0 && gw(s, "goreos").pid !== prev.pid, 120_000), "goreos");
      expect(next.restarts).toBe(prev.restarts + 1);
      expect(Date.now() - t).toBeGreaterThanOrEqual(next.restartDelayMs);
      return next;
    };
    const g1 = await crash(first);
    const g2 = await crash(g1);
    expect(g2.restartDelayMs).toBeGreaterThanOrEqual(2_000);
    const g3 = await crash(g2);
    expect(g3.restartDelayMs).toBe(Math.floor(g2.restartDelayMs * 1.5));
    const back = await waitFor((s) => gw(s, "goreos").healthy && gw(s, "goreos").pid === g3.pid, 300_000);
    expect(back.healthy).toBe(true);
    // The others were not disturbed.
    for (const id of ["korax", "medico"]) expect(gw(back, id).pid).toBe(gw(before, id).pid);
  });

  it("rotates the captured console logs (pm2-logrotate in the federation's PM2_HOME)", async () => {
    const logs = gatewayPaths(root, "korax").logs;
    // Grow korax's stdout log past the 10 MiB threshold; pm2-logrotate checks every 30 s.
    await appendFile(path.join(logs, "gateway.out.log"), `${"x".repeat(1023)}\n`.repeat(11 * 1024));
    const t0 = Date.now();
    let rotated: string[] = [];
    while (Date.now() - t0 < 120_000) {
      rotated = (await readdir(logs)).filter((f) => /^gateway\.out__.+\.log$/.test(f));
      if (rotated.length > 0) break;
      await new Promise((r) => setTimeout(r, 2_000));
    }
    expect(rotated.length).toBe(1);
    expect((await stat(path.join(logs, "gateway.out.log"))).size).toBeLessThan(1024 * 1024);
    expect((await status()).healthy).toBe(true);
  });

  it("SIGKILL of PM2, then native up: exactly three gateways, all healthy; native down leaves no process", async () => {
    const before = await status();
    const daemon = Number((await readFile(path.join(pm2Home(root), "pm2.pid"), "utf8")).trim());
    expect(before.supervisor.pid).toBe(daemon);
    process.kill(daemon, "SIGKILL");
    const orphaned = await waitFor((s) => !s.supervisor.running, 30_000);
    expect(orphaned.gateways.flatMap((g) => g.orphans).length).toBeGreaterThan(0);

    const r = await cli(["native", "up", SPEC, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/running without a supervisor/);
    const st = JSON.parse(r.stdout) as Status;
    expect(st.healthy).toBe(true);
    const tops = (await findMarked(root)).filter((m) => m.top);
    expect(tops.map((m) => m.gateway).sort()).toEqual(["goreos", "korax", "medico"]);
    for (const id of IDS) {
      expect(tops.find((m) => m.gateway === id)!.pid).toBe(gw(st, id).pid);
      expect(await listenerPids(PORTS[id])).toEqual([gw(st, id).pid]);
    }
    // Running up again changes nothing.
    const again = await cli(["native", "up", SPEC, "--json", "--no-generate"]);
    expect(again.code, again.stderr).toBe(0);
    for (const id of IDS) expect(gw(JSON.parse(again.stdout) as Status, id).pid).toBe(gw(st, id).pid);

    const down = await cli(["native", "down", SPEC]);
    expect(down.code, down.stderr).toBe(0);
    expect(await findMarked(root)).toEqual([]);
    const leftovers = [];
    for (const p of await listProcesses()) {
      if (p.state === "Z") continue;
      const cmd = (await readCmdline(p.pid)).join(" ");
      if (cmd.includes(root) || cmd.includes("openclaw") && (await readFile(`/proc/${p.pid}/environ`, "utf8").catch(() => "")).includes(root)) leftovers.push(`${p.pid} ${cmd}`);
    }
    expect(leftovers).toEqual([]);
    for (const port of Object.values(PORTS)) expect(await listenerPids(port)).toEqual([]);
    const after = await status();
    expect(after.supervisor.running).toBe(false);
  });
});
