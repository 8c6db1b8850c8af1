// `--target swarm` branches of up, status, logs and down: map flags to options, call one ops
// function, print text or --json of the same result, return the exit code.
import { EXIT, printJson, progress } from "../output.js";
import { interruptSignal } from "./runtime-args.js";

async function deps() {
  const { createSwarmEngine } = await import("../../runtime/swarm/docker.js");
  const { createDockerEngine } = await import("../../runtime/engine.js");
  const { nodeHttpGet } = await import("../../runtime/health.js");
  const { systemClock } = await import("../../runtime/clock.js");
  return { swarm: createSwarmEngine(), engine: createDockerEngine(), get: nodeHttpGet, clock: systemClock };
}

export async function swarmUpCommand(spec: string, opts: { out?: string; image?: string; timeout?: number; force?: boolean; json?: boolean; ready?: boolean }): Promise<number> {
  if (opts.ready) {
    process.stderr.write("error: --ready is not available with --target swarm yet (it waits for /startupz started)\n");
    return EXIT.usage;
  }
  const { swarmUp } = await import("../../ops/swarm.js");
  const { formatMs } = await import("../../runtime/clock.js");
  const intr = interruptSignal(() => progress("interrupted: stopping the wait (the services keep running)"));
  try {
    const res = await swarmUp(spec, await deps(), { outDir: opts.out, image: opts.image, timeoutMs: opts.timeout, force: opts.force, onProgress: progress, signal: intr.signal });
    if (opts.json) printJson(res);
    else {
      for (const g of res.gateways) process.stdout.write(`${g.ok ? "ok  " : "FAIL"} ${g.id}: ${g.reason}${g.ok ? ` after ${formatMs(g.ms)}` : ""}\n`);
      if (res.ok) process.stdout.write(`${res.federation}: all ${res.gateways.length} gateway(s) up on Swarm in ${formatMs(res.ms)}\n`);
      else process.stderr.write(`error: ${res.gateways.filter((g) => !g.ok).map((g) => g.id).join(", ")} did not come up\nNext: ${res.next}\n`);
    }
    return res.ok ? EXIT.ok : EXIT.runtime;
  } finally {
    intr.dispose();
  }
}

export async function swarmStatusCommand(spec: string, opts: { out?: string; probeTimeout?: number; json?: boolean; watch?: boolean; only?: string[] }): Promise<number> {
  if (opts.watch || opts.only) {
    process.stderr.write("error: --watch and --only are not available with --target swarm yet\n");
    return EXIT.usage;
  }
  const { openFederation } = await import("../../runtime/context.js");
  const { swarmStatus, renderSwarmStatus } = await import("../../ops/swarm-status.js");
  const ctx = await openFederation(spec, { outDir: opts.out });
  const st = await swarmStatus(ctx, await deps(), { probeTimeoutMs: opts.probeTimeout });
  if (opts.json) printJson(st);
  else process.stdout.write(renderSwarmStatus(st));
  return st.healthy ? EXIT.ok : EXIT.unhealthy;
}

export async function swarmLogsCommand(spec: string, gateway: string, opts: { out?: string; follow?: boolean; tail?: number; since?: number; timestamps?: boolean }): Promise<number> {
  const { openFederation } = await import("../../runtime/context.js");
  const { swarmLogs } = await import("../../ops/swarm.js");
  const ctx = await openFederation(spec, { outDir: opts.out });
  const intr = interruptSignal();
  try {
    await swarmLogs(ctx, await deps(), gateway, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) }, {
      follow: opts.follow,
      tail: opts.tail,
      sinceMs: opts.since,
      timestamps: opts.timestamps,
      signal: intr.signal,
    });
    return EXIT.ok;
  } finally {
    intr.dispose();
  }
}

export async function swarmDownCommand(spec: string, opts: { out?: string; volumes?: boolean; json?: boolean }): Promise<number> {
  const { openFederation } = await import("../../runtime/context.js");
  const { swarmDown } = await import("../../ops/swarm.js");
  const ctx = await openFederation(spec, { outDir: opts.out });
  const res = await swarmDown(ctx, await deps(), { volumes: opts.volumes, onProgress: progress });
  if (opts.json) printJson({ ok: true, ...res });
  else {
    process.stdout.write(
      `${res.federation}: removed ${res.services.length} service(s), ${res.networks.length} network(s), ${res.secrets.length} secret(s)${opts.volumes ? `, ${res.volumes.length} volume(s)` : ""}\n`,
    );
  }
  return EXIT.ok;
}
