/**
 * `clawfed native up|down|status|restart`: a federation as real `openclaw gateway` processes on
 * this host, supervised by PM2 with its own `PM2_HOME` (`<root>/.pm2`, mode 0700).
 *
 * - up: regenerates the native files (tokens kept), replaces gateway processes a dead supervisor
 *   left behind (found by their `CLAWFED_ROOT`/`CLAWFED_GATEWAY` environment markers, stopped as a
 *   whole process tree, SIGTERM then SIGKILL), refuses ports some other program holds, starts the
 *   gateways PM2 does not run (or runs with an outdated definition), starts pm2-logrotate, and waits
 *   until every gateway answers `/healthz` live and `/startupz` started (facts §4). Running it again
 *   changes nothing that is healthy and current: never a duplicate, never a port conflict.
 * - down: `pm2 kill` (every app, then the daemon), then stops any marked process left, and checks
 *   that none remains.
 * - status: reads only (never starts a daemon): PM2's view, the processes found on the host, the
 *   probes, restarts, restart delay and memory of each gateway's whole process tree.
 * - restart: `pm2 restart` of some or all gateways, then the same wait as up.
 *
 * Why replace rather than adopt orphans: PM2 can only supervise processes it spawned (it owns their
 * stdio pipes and exit events), so an orphan adopted as-is would run unsupervised. Replacing costs
 * one gateway start (10-20 s) and leaves every gateway supervised.
 */
import { chmod, mkdir } from "node:fs/promises";
import path from "node:path";
import { RuntimeError } from "../errors.js";
import { MARKER_ENV } from "../vocabulary/host-layout.js";
import { systemClock, formatMs, type Clock } from "../runtime/clock.js";
import { nodeHttpGet, probe, probeGateway, type HttpGet, type ProbeResult } from "../runtime/health.js";
import { daemonPid, jlist, logrotateApp, pm2Ok, type Pm2Proc } from "../runtime/native/pm2.js";
import { descendants, findMarked, listenerPids, listProcesses, portListening, readCmdline, stopTrees, treeRssBytes, type MarkedProcess } from "../runtime/native/procs.js";
import { PollError, pollUntil } from "../runtime/poll.js";
import { pickGateways } from "./context.js";
import { appPort, gatewayIds, LOGROTATE_APP, LOGROTATE_CONF, NATIVE_HEALTH_TIMEOUT_MS, open, sameDefinition, STOP_GRACE_MS, type GatewayStatus, type NativeOptions, type NativeStatus, type Opened, type RestartOptions, type UpOptions } from "./native-open.js";

export {
  LOGROTATE_APP,
  LOGROTATE_CONF,
  NATIVE_HEALTH_TIMEOUT_MS,
  sameDefinition,
  STOP_GRACE_MS,
  type EcosystemApp,
  type GatewayStatus,
  type NativeOptions,
  type NativeStatus,
  type RestartOptions,
  type UpOptions,
} from "./native-open.js";

async function describePids(pids: number[]): Promise<string> {
  if (pids.length === 0) return "a program of another user";
  const parts = await Promise.all(pids.map(async (pid) => `pid ${pid} (${(await readCmdline(pid)).join(" ").slice(0, 80) || "?"})`));
  return parts.join(", ");
}

/** Stop marked processes PM2 does not supervise; returns their pids. */
async function stopOrphans(o: Opened, managed: Set<number>, say: (l: string) => void): Promise<number[]> {
  const marked = await findMarked(o.root);
  const managedTrees = new Set<number>();
  const procs = await listProcesses();
  for (const pid of managed) for (const p of procs) if (p.pid === pid) managedTrees.add(pid);
  // A marked process is an orphan when neither it nor any marked ancestor is supervised.
  const byPid = new Map(marked.map((m) => [m.pid, m]));
  const supervised = (m: MarkedProcess): boolean => {
    for (let cur: MarkedProcess | undefined = m; cur; cur = byPid.get(cur.ppid)) if (managedTrees.has(cur.pid)) return true;
    return false;
  };
  const orphans = marked.filter((m) => !supervised(m) && !byPid.has(m.ppid));
  if (orphans.length === 0) return [];
  const names = [...new Set(orphans.map((m) => m.gateway))].join(", ");
  say(`${o.fed.name}: found ${orphans.length} process tree(s) of ${names} running without a supervisor (pids ${orphans.map((m) => m.pid).join(", ")}); stopping them before starting fresh ones`);
  const left = await stopTrees(
    orphans.map((m) => m.pid),
    { graceMs: STOP_GRACE_MS },
  );
  if (left.length > 0) throw new RuntimeError(`processes ${left.join(", ")} survived SIGKILL`, { next: "look at them with ps; they may be stuck in the kernel" });
  return orphans.map((m) => m.pid);
}

async function ensureLogrotate(o: Opened, list: Pm2Proc[]): Promise<void> {
  const lr = list.find((p) => p.name === LOGROTATE_APP);
  if (lr && lr.status === "online") return;
  if (lr) await pm2Ok(o.ctx, ["delete", LOGROTATE_APP]);
  await pm2Ok(o.ctx, ["start", logrotateApp(), "--name", LOGROTATE_APP, "--namespace", "clawfed", "--max-memory-restart", "200M"], {
    env: { "pm2-logrotate": JSON.stringify(LOGROTATE_CONF) },
  });
}

/**
 * Who listens on `port`: "own" when the listener is `pid` or one of its descendants, "none", or a
 * description of the other program (a probe answered by it would say nothing about our gateway).
 */
async function portOwner(port: number, pid: number): Promise<"own" | "none" | string> {
  const holders = await listenerPids(port);
  if (holders.length === 0) return (await portListening(port)) ? "a program of another user" : "none";
  if (pid > 0) {
    const tree = new Set(descendants(pid, await listProcesses()).map((p) => p.pid));
    if (holders.every((h) => tree.has(h))) return "own";
  }
  return describePids(holders);
}

/**
 * Wait until each gateway in `ids` is live and started on a port its own process holds; report
 * PM2 restarts on the way; fail fast when PM2 gives up on one (errored, or exit 78 not restarted).
 */
async function waitHealthy(o: Opened, ids: string[], opts: { timeoutMs: number; clock: Clock; get: HttpGet; say: (l: string) => void }): Promise<Map<string, number>> {
  const t0 = opts.clock.now();
  const done = new Map<string, number>();
  const last = new Map<string, string>();
  const pm2 = { pids: new Map<string, number>(), restarts: new Map<string, number>(), lastMs: -Infinity };
  const check = async (elapsedMs: number) => {
    const pending = ids.filter((id) => !done.has(id));
    if (pending.length === 0) return true;
    // PM2's list is read at most every 3 s: each read is a CLI call of about half a second.
    if (elapsedMs - pm2.lastMs >= 3_000) {
      pm2.lastMs = elapsedMs;
      await checkPm2(o, pending, pm2, opts.say);
    }
    await Promise.all(
      pending.map(async (id) => {
        const app = o.apps.find((a) => a.name === id)!;
        const port = appPort(app);
        const url = `http://127.0.0.1:${port}`;
        const [live, started] = await Promise.all([probe(opts.get, url, "/healthz"), probe(opts.get, url, "/startupz")]);
        let line: string;
        const owner = live.ok ? await portOwner(port, pm2.pids.get(id) ?? 0) : "own";
        if (owner !== "own") line = `port ${port} is answered by ${owner === "none" ? "nobody" : owner}, not by the gateway`;
        else if (live.ok && started.ok) {
          done.set(id, opts.clock.now() - t0);
          line = `healthy after ${formatMs(opts.clock.now() - t0)}`;
        } else line = started.status ? `${started.status}${started.failing?.length ? ` (${started.failing.join(", ")})` : ""}` : "starting";
        if (last.get(id) !== line) opts.say(`${id}: ${line}`);
        last.set(id, line);
      }),
    );
    return ids.every((id) => done.has(id));
  };
  try {
    await pollUntil(check, (all) => all, { clock: opts.clock, timeoutMs: opts.timeoutMs, intervalMs: 1_000, description: `${ids.join(", ")} to be healthy` });
    return done;
  } catch (err) {
    if (!(err instanceof PollError)) throw err;
    const slow = ids.filter((id) => !done.has(id));
    throw new RuntimeError(`${slow.join(", ")} not healthy after ${formatMs(opts.timeoutMs)}`, {
      next: `clawfed native status ${o.specFile}; logs: ${slow.map((id) => path.dirname(o.apps.find((a) => a.name === id)!.error_file)).join(", ")}`,
    });
  }
}

/**
 * Read PM2's list for the `pending` gateways: remember their pids, report restarts, and fail fast
 * when PM2 gave up on one (errored, or stopped with an exit code).
 */
async function checkPm2(o: Opened, pending: string[], seen: { pids: Map<string, number>; restarts: Map<string, number> }, say: (l: string) => void): Promise<void> {
  const list = await jlist(o.ctx);
  for (const id of pending) {
    const p = list.find((x) => x.name === id);
    const app = o.apps.find((a) => a.name === id)!;
    if (!p || p.status === "errored" || (p.status === "stopped" && p.exitCode !== undefined)) {
      const why = !p ? "PM2 lost it" : `PM2 status ${p.status}${p.exitCode !== undefined ? `, exit code ${p.exitCode}${p.exitCode === 78 ? " (invalid config)" : ""}` : ""}`;
      throw new RuntimeError(`${id} did not start: ${why}`, { next: `read ${app.error_file} and ${path.dirname(app.error_file)}/openclaw.log` });
    }
    seen.pids.set(id, p.pid);
    const before = seen.restarts.get(id);
    if (before !== undefined && p.restarts > before) {
      say(`${id}: exited${p.exitCode !== undefined ? ` with code ${p.exitCode}` : ""}; PM2 restarted it after ${formatMs(p.restartDelayMs)} (see ${app.error_file})`);
    }
    seen.restarts.set(id, p.restarts);
  }
}

/** Read-only status (never starts PM2). */
async function collect(o: Opened, get: HttpGet): Promise<NativeStatus> {
  const pid = await daemonPid(o.ctx.home);
  const list = pid ? await jlist(o.ctx) : [];
  const procs = await listProcesses();
  const marked = await findMarked(o.root, procs);
  const now = Date.now();
  const gateways = await Promise.all(
    o.apps.map(async (app): Promise<GatewayStatus> => {
      const port = appPort(app);
      const url = `http://127.0.0.1:${port}`;
      const entries = list.filter((p) => p.name === app.name);
      const p = entries[0];
      const managedPid = p && p.pid > 0 ? p.pid : 0;
      const tops = marked.filter((m) => m.gateway === app.name && !marked.some((x) => x.pid === m.ppid && x.gateway === m.gateway));
      const orphans = tops.filter((m) => m.pid !== managedPid).map((m) => m.pid);
      const probes = await probeGateway(get, url);
      const owner = probes.healthz.ok ? await portOwner(port, managedPid || (tops[0]?.pid ?? 0)) : "own";
      if (owner !== "own") {
        // Someone else answers on this port: its probes say nothing about this gateway.
        for (const r of [probes.healthz, probes.startupz, probes.readyz]) {
          r.ok = false;
          r.error = `port ${port} is held by ${owner}`;
        }
      }
      const failing = probes.readyz.failing ?? [];
      const firstError = [probes.healthz, probes.startupz].find((r: ProbeResult) => !r.ok)?.error;
      const rssBytes = [managedPid, ...orphans].filter((x) => x > 0).reduce((s, x) => s + treeRssBytes(x, procs), 0);
      const st: GatewayStatus = {
        id: app.name,
        port,
        url,
        pm2: entries.length > 1 ? `duplicated (${entries.length})` : (p?.status ?? "absent"),
        pid: managedPid,
        orphans,
        restarts: p?.restarts ?? 0,
        restartDelayMs: p?.restartDelayMs ?? 0,
        ...(p?.startedAt && p.status === "online" ? { uptimeMs: Math.max(0, now - p.startedAt) } : {}),
        rssBytes,
        probes: { live: probes.healthz.ok, started: probes.startupz.ok, ready: probes.readyz.ok, failing, ...(firstError ? { error: firstError } : {}) },
        healthy: false,
      };
      st.healthy = st.pm2 === "online" && orphans.length === 0 && st.probes.live && st.probes.started;
      return st;
    }),
  );
  return {
    federation: o.fed.name,
    root: o.root,
    pm2Home: o.ctx.home,
    supervisor: pid ? { running: true, pid } : { running: false },
    gateways,
    healthy: gateways.length > 0 && gateways.every((g) => g.healthy),
  };
}

/**
 * Start (or bring back to the declared state) every gateway of a native federation and wait until
 * all are healthy.
 * @throws SpecError for an invalid spec; RuntimeError when PM2 cannot run, a port is held by another
 *   program, a gateway exits (e.g. 78: invalid config) or is not healthy within `timeoutMs`.
 */
export async function nativeUp(opts: UpOptions): Promise<NativeStatus> {
  const say = opts.onProgress ?? (() => {});
  const clock = opts.clock ?? systemClock;
  const get = opts.get ?? nodeHttpGet;
  const o = await open({ ...opts, generate: opts.generate ?? true });
  if (o.apps.length === 0) throw new RuntimeError(`${o.ecosystemPath} is missing`, { next: `clawfed generate --target native ${o.specFile} --root ${o.root}` });
  await mkdir(o.ctx.home, { recursive: true, mode: 0o700 });
  await chmod(o.ctx.home, 0o700);

  const list0 = await jlist(o.ctx);
  const managed = new Set(list0.filter((p) => p.pid > 0 && gatewayIds(o).includes(p.name)).map((p) => p.pid));
  await stopOrphans(o, managed, say);

  const toDelete: string[] = [];
  const toStart: string[] = [];
  for (const app of o.apps) {
    const entries = list0.filter((p) => p.name === app.name);
    const current = entries.length === 1 && sameDefinition(app, entries[0]!) && !["stopped", "errored"].includes(entries[0]!.status);
    if (current) continue;
    if (entries.length > 0) toDelete.push(app.name);
    toStart.push(app.name);
  }
  const stale = list0.filter((p) => p.name !== LOGROTATE_APP && !gatewayIds(o).includes(p.name)).map((p) => p.name);
  if (toDelete.length + stale.length > 0) {
    say(`${o.fed.name}: replacing ${[...toDelete, ...stale].join(", ")} (definition changed, stopped, duplicated or no longer in the spec)`);
    await pm2Ok(o.ctx, ["delete", ...new Set([...toDelete, ...stale])]);
  }
  for (const id of toStart) {
    const port = appPort(o.apps.find((a) => a.name === id)!);
    if (await portListening(port)) {
      const holders = await listenerPids(port);
      throw new RuntimeError(`port ${port} of ${id} is already in use by ${await describePids(holders)}`, { next: `stop that program, or give ${id} another port in ${o.specFile}` });
    }
  }
  if (toStart.length > 0) {
    say(`${o.fed.name}: starting ${toStart.join(", ")} under PM2 (PM2_HOME=${o.ctx.home})`);
    await pm2Ok(o.ctx, ["start", o.ecosystemPath, "--only", toStart.join(",")]);
  } else say(`${o.fed.name}: every gateway already runs under PM2 with the current definition`);
  await ensureLogrotate(o, await jlist(o.ctx));
  await waitHealthy(o, gatewayIds(o), { timeoutMs: opts.timeoutMs ?? NATIVE_HEALTH_TIMEOUT_MS, clock, get, say });
  return collect(o, get);
}

/** Status of a native federation; reads only. @throws SpecError for an invalid spec. */
export async function nativeStatus(opts: NativeOptions): Promise<NativeStatus> {
  const o = await open({ ...opts, generate: false });
  if (o.apps.length === 0) throw new RuntimeError(`${o.fed.name} has no native files in ${o.root}`, { next: `clawfed native up ${o.specFile}${opts.root ? ` --out ${opts.root}` : ""}` });
  return collect(o, opts.get ?? nodeHttpGet);
}

export interface DownResult {
  federation: string;
  root: string;
  /** PM2 was running and was stopped with every app. */
  supervisorStopped: boolean;
  /** Gateway processes found without a supervisor and stopped. */
  orphansStopped: number[];
  /** The federation's gateways (all stopped). */
  gateways: Array<{ id: string }>;
}

/**
 * Stop every gateway of a native federation and its PM2 daemon; afterwards no process of the root
 * is left. @throws RuntimeError when a process survives SIGKILL.
 */
export async function nativeDown(opts: NativeOptions): Promise<DownResult> {
  const say = opts.onProgress ?? (() => {});
  const o = await open({ ...opts, generate: false });
  let supervisorStopped = false;
  const pid = await daemonPid(o.ctx.home);
  if (pid) {
    say(`${o.fed.name}: stopping the gateways and PM2 (pid ${pid})`);
    await pm2Ok(o.ctx, ["kill"]);
    supervisorStopped = true;
    const still = await daemonPid(o.ctx.home);
    if (still) await stopTrees([still], { graceMs: 5_000 });
  }
  const orphansStopped = await stopOrphans(o, new Set(), say);
  const left = await findMarked(o.root);
  if (left.length > 0) {
    throw new RuntimeError(`processes ${left.map((m) => m.pid).join(", ")} of ${o.fed.name} are still running`, { next: `kill them by pid (they carry ${MARKER_ENV.root}=${o.root})` });
  }
  return { federation: o.fed.name, root: o.root, supervisorStopped, orphansStopped, gateways: gatewayIds(o).map((id) => ({ id })) };
}

/**
 * Restart some or all gateways under PM2 and wait until they are healthy again.
 * @throws UsageError (exit 2) for an unknown gateway id; RuntimeError when the federation is not running under PM2.
 */
export async function nativeRestart(opts: RestartOptions): Promise<NativeStatus> {
  const say = opts.onProgress ?? (() => {});
  const o = await open({ ...opts, generate: false });
  const ids = gatewayIds(o);
  const chosen = opts.gateways && opts.gateways.length > 0 ? opts.gateways : ids;
  if (opts.gateways?.length) pickGateways(o.fed, opts.gateways, "[gateways...]");
  const list = await jlist(o.ctx);
  const missing = chosen.filter((id) => !list.some((p) => p.name === id));
  if (missing.length > 0) throw new RuntimeError(`${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not running under PM2`, { next: `clawfed native up ${o.specFile}` });
  say(`${o.fed.name}: restarting ${chosen.join(", ")}`);
  await pm2Ok(o.ctx, ["restart", ...chosen]);
  await waitHealthy(o, chosen, { timeoutMs: opts.timeoutMs ?? NATIVE_HEALTH_TIMEOUT_MS, clock: opts.clock ?? systemClock, get: opts.get ?? nodeHttpGet, say });
  return collect(o, opts.get ?? nodeHttpGet);
}

/** The command to run when a native federation is not healthy: start what is missing, else read the logs. */
export function nativeNext(st: NativeStatus, spec: string, out: string | undefined): { next?: string } {
  if (st.healthy) return {};
  const flag = out ? ` --out ${out}` : "";
  const bad = st.gateways.find((g) => !g.healthy);
  if (!st.supervisor.running || !bad || bad.pm2 === "absent" || bad.orphans.length) return { next: `clawfed native up ${spec}${flag}` };
  return { next: `PM2_HOME=${st.pm2Home} npx pm2 logs ${bad.id} --nostream, then: clawfed native restart ${spec} ${bad.id}${flag}` };
}
