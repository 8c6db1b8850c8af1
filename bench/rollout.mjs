// Benchmark: one spoke rollout versus its floor, measured in the same run on the same container.
//   floor:   stop + start of the spoke's container through the Engine API (what `docker stop` +
//            `docker start` do), then poll /startupz every 250 ms until it says "started";
//   rollout: what `clawfed rollout` does for that spoke, to another tag of the same image: plan,
//            apply (compose config hash of the compiled model alongside stop and state snapshot,
//            recreate, start, gate with its 1 s stability window, cleanup), then the record step
//            (spec write, regenerate).
// Rounds alternate floor / rollout so that load from elsewhere hits both alike; each rollout is
// also compared with the floor measured just before it. Target: rollout ≤ 1.3 × floor.
// Run: npm run build && node bench/rollout.mjs [rounds=3]
import { IMAGE, dist, log, median, run, startFederation } from "./common.mjs";

const ROUNDS = Number(process.argv[2] ?? 3);
const TAG_B = `${IMAGE}-cfrbench`;

const { rollout } = await import(dist("ops/rollout.js"));
const { recordImages } = await import(dist("ops/record.js"));
const { gatewayContainers } = await import(dist("runtime/containers.js"));
const { probe, GATE_POLL_MS } = await import(dist("runtime/health.js"));
const { openFederation } = await import(dist("ops/context.js"));

await run("docker", ["tag", IMAGE, TAG_B]);
const fed = await startFederation("cfrbench", { hub: 28180, spoke: 28181 });
const floor = [];
const floorStopStart = [];
const roll = [];
const rollPre = [];
const rollPost = [];
try {
  const url = "http://127.0.0.1:28181";
  for (let i = 0; i < ROUNDS; i++) {
    // floor
    const { current } = await gatewayContainers(fed.ctx, fed.deps.engine);
    const id = current.get("spoke").id;
    let t0 = performance.now();
    await fed.deps.engine.stop(id, 60);
    await fed.deps.engine.start(id);
    floorStopStart.push(performance.now() - t0);
    for (;;) {
      const r = await probe(fed.deps.get, url, "/startupz");
      if (r.ok) break;
      await new Promise((res) => setTimeout(res, GATE_POLL_MS));
    }
    floor.push(performance.now() - t0);
    log(`round ${i + 1}: floor ${(floor.at(-1) / 1000).toFixed(2)} s`);
    // rollout
    const ctx = await openFederation(fed.spec, { outDir: fed.outDir });
    t0 = performance.now();
    // Split the rollout's time at its progress lines: before the new container starts (stop,
    // snapshot, recreate), the gateway's boot, and after it reports started (stability, cleanup).
    let tNew = 0;
    let tStarted = 0;
    const onProgress = (line) => {
      if (line.includes(": started on ")) tNew = performance.now();
      if (line.endsWith(": started")) tStarted = performance.now();
    };
    const res = await rollout(ctx, fed.deps, { image: i % 2 === 0 ? TAG_B : IMAGE, only: ["spoke"], onProgress });
    if (res.updated.length) await recordImages(ctx, res.updated);
    const tEnd = performance.now();
    roll.push(tEnd - t0);
    rollPre.push(tNew - t0);
    rollPost.push(tEnd - tStarted);
    if (!res.ok) throw new Error(`rollout failed: ${res.message}`);
    const g = res.gateways[0];
    log(`round ${i + 1}: rollout ${(roll.at(-1) / 1000).toFixed(2)} s (not serving ${(g.downtimeMs / 1000).toFixed(2)} s)`);
  }
} finally {
  await fed.down();
  await run("docker", ["rmi", TAG_B]).catch(() => undefined);
}
const result = {
  bench: "rollout-one-spoke",
  rounds: ROUNDS,
  floorMedianS: +(median(floor) / 1000).toFixed(2),
  rolloutMedianS: +(median(roll) / 1000).toFixed(2),
  ratio: +(median(roll) / median(floor)).toFixed(2),
  // Each rollout against the floor measured just before it (load from elsewhere changes slowly).
  pairedRatios: roll.map((r, i) => +(r / floor[i]).toFixed(2)),
  medianPairedRatio: +median(roll.map((r, i) => r / floor[i])).toFixed(2),
  // The gateway's boot depends on the machine's load; what the rollout adds around it does not
  // much. Fixed parts, medians: the floor's stop+start calls; the rollout's time before its new
  // container starts and after it reports started.
  floorStopStartMedianS: +(median(floorStopStart) / 1000).toFixed(2),
  rolloutBeforeStartMedianS: +(median(rollPre) / 1000).toFixed(2),
  rolloutAfterStartedMedianS: +(median(rollPost) / 1000).toFixed(2),
  floorS: floor.map((x) => +(x / 1000).toFixed(2)),
  rolloutS: roll.map((x) => +(x / 1000).toFixed(2)),
  target: "ratio <= 1.3",
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
