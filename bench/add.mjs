// Benchmark: `clawfed add` of one spoke versus its floor, measured in the same run.
//   add:   what `clawfed add <spec> x --link hub` does (plan: edit + validate the spec; apply:
//          journal, write, generate, then ONE compose up of the new service and the hub (recreated
//          with its new peer), both health gates at once, until /startupz says started for both);
//   floor: `compose up -d --no-deps <service>` of that same new service (its container and state
//          volume removed first, the compose file unchanged) until /startupz says started: the
//          least any tool must do to start one more gateway.
// During each add the hub's /healthz is probed every 200 ms; failed probes and the longest run of
// failures are reported (the hub is recreated, so it is away for about one gateway start). The
// time from the start of add to its compose call ("prep": plan, journal, spec, generate) is
// reported too.
// Each round then removes the spoke again with `clawfed remove` (timed too), so at most three
// gateways run at a time. Run under the e2e lock:
//   npm run build && flock /work/notes/e2e.lock node bench/add.mjs [rounds=2]
import { IMAGE, dist, log, median, startFederation } from "./common.mjs";

const ROUNDS = Number(process.argv[2] ?? 2);
const PORTS = { hub: 28690, s1: 28691 };
const PROBE_EVERY_MS = 200;

const { planAdd, applyAdd } = await import(dist("ops/add.js"));
const { planRemove, applyRemove } = await import(dist("ops/remove.js"));
const { openFederation } = await import(dist("ops/context.js"));
const { gatewayContainers } = await import(dist("runtime/containers.js"));
const { probe, GATE_POLL_MS } = await import(dist("runtime/health.js"));
const { serviceName, stateVolume, projectResource } = await import(dist("vocabulary/names.js"));

/** Probe the hub's /healthz every 200 ms until stopped. */
function probeHub(get) {
  let stop = false;
  const out = { probes: 0, failures: 0, longestFailMs: 0 };
  let failSince;
  const loop = (async () => {
    while (!stop) {
      out.probes++;
      const r = await probe(get, `http://127.0.0.1:${PORTS.hub}`, "/healthz").catch(() => ({ ok: false }));
      const now = performance.now();
      if (!r.ok) {
        out.failures++;
        failSince ??= now;
        out.longestFailMs = Math.max(out.longestFailMs, now - failSince);
      } else failSince = undefined;
      await new Promise((res) => setTimeout(res, PROBE_EVERY_MS));
    }
  })();
  return async () => {
    stop = true;
    await loop;
    return out;
  };
}

const fed = await startFederation("cfabench", PORTS);
const rows = [];
try {
  for (let i = 0; i < ROUNDS; i++) {
    const id = `x${i}`;
    // add
    const stopProbe = probeHub(fed.deps.get);
    let t0 = performance.now();
    const plan = await planAdd(fed.spec, id, { outDir: fed.outDir, links: ["hub"], port: "auto" });
    let prepMs;
    const res = await applyAdd(plan, fed.deps, { onProgress: (l) => { if (prepMs === undefined && l.startsWith("starting ")) prepMs = performance.now() - t0; } });
    const addMs = performance.now() - t0;
    const hub = await stopProbe();
    if (!res.ok) throw new Error(`add failed: ${JSON.stringify(res.rolledBack)}`);
    log(`round ${i + 1}: add ${(addMs / 1000).toFixed(2)} s (${id} started after ${(res.started.ms / 1000).toFixed(2)} s of compose; hub away ${(res.recreated[0].ms / 1000).toFixed(2)} s; prep ${(prepMs / 1000).toFixed(2)} s); hub probes ${hub.probes}, failed ${hub.failures}`);
    // floor: the same service from scratch
    const ctx = await openFederation(fed.spec, { outDir: fed.outDir });
    const c = (await gatewayContainers(ctx, fed.deps.engine)).current.get(id);
    await fed.deps.engine.remove(c.id, { force: true });
    await fed.deps.engine.removeVolume(projectResource(ctx.project.name, stateVolume(id)));
    t0 = performance.now();
    const up = await fed.deps.compose(ctx.project, ["up", "-d", "--no-deps", serviceName(id)]);
    if (up.code !== 0) throw new Error(`compose up failed: ${up.stderr}`);
    for (;;) {
      const r = await probe(fed.deps.get, `http://127.0.0.1:${plan.gateway.port}`, "/startupz");
      if (r.ok) break;
      await new Promise((res2) => setTimeout(res2, GATE_POLL_MS));
    }
    const floorMs = performance.now() - t0;
    log(`round ${i + 1}: floor ${(floorMs / 1000).toFixed(2)} s`);
    // remove again (timed), so the next round starts from the same two gateways
    t0 = performance.now();
    const rm = await applyRemove(await planRemove(fed.spec, id, { outDir: fed.outDir }), fed.deps);
    const removeMs = performance.now() - t0;
    if (!rm.ok) throw new Error(`remove failed: ${JSON.stringify(rm.rolledBack)}`);
    log(`round ${i + 1}: remove ${(removeMs / 1000).toFixed(2)} s (hub away ${(rm.recreated[0].ms / 1000).toFixed(2)} s)`);
    rows.push({ addMs, prepMs, floorMs, startMs: res.started.ms, hubAwayMs: res.recreated[0].ms, removeMs, removeHubAwayMs: rm.recreated[0].ms, hub });
  }
} finally {
  await fed.down();
}
const s = (ms) => +(ms / 1000).toFixed(2);
const result = {
  bench: "add-one-spoke",
  image: IMAGE,
  rounds: ROUNDS,
  floorMedianS: s(median(rows.map((r) => r.floorMs))),
  addMedianS: s(median(rows.map((r) => r.addMs))),
  ratio: +(median(rows.map((r) => r.addMs)) / median(rows.map((r) => r.floorMs))).toFixed(2),
  // Plan, journal, spec, generate: what add does before its compose call.
  prepMedianS: s(median(rows.map((r) => r.prepMs))),
  hubAwayMedianS: s(median(rows.map((r) => r.hubAwayMs))),
  hubProbeFailures: rows.map((r) => r.hub.failures),
  hubProbes: rows.map((r) => r.hub.probes),
  hubLongestOutageS: rows.map((r) => s(r.hub.longestFailMs)),
  removeMedianS: s(median(rows.map((r) => r.removeMs))),
  target: "ratio <= 1.2",
};
console.log(JSON.stringify(result, null, 2));
