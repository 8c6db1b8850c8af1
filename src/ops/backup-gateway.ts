/**
 * One gateway of a backup (see ops/backup.ts): `live` (openclaw backup create inside the running
 * gateway) or stopped (stop, copy the state through the Engine and the workspace from the host,
 * start again and wait until /startupz says started).
 */
import path from "node:path";
import { projectResource, stateVolume } from "../vocabulary/names.js";
import { RuntimeError } from "../errors.js";
import type { Engine, MountSource } from "../runtime/docker/types.js";
import { gateStarted } from "../runtime/health.js";
import { addHostTree } from "../runtime/backup/host.js";
import { liveMember, statePrefix, VERSION_PATTERN, within, workspacePrefix, type GatewayEntry } from "../runtime/backup/manifest.js";
import { captureLive, readState } from "../runtime/backup/state.js";
import { byteTicker, HEALTH_TIMEOUT_MS, STOP_TIMEOUT_S, type BackupJob, type GatewayBackup, type PlannedGateway } from "./backup-common.js";
import { composeImage } from "./regenerate.js";

/** Read the OpenClaw version from an image's /app/package.json (helper container, never started). */
async function imageOpenclawVersion(engine: Engine, image: string, federation: string): Promise<string | undefined> {
  const { helperLabels } = await import("../runtime/backup/state.js");
  let helper: string | undefined;
  try {
    helper = await engine.createIdle({ image, mounts: [], labels: helperLabels(federation) });
    const tar = await engine.getArchive(helper, "/app/package.json");
    if (!tar) return undefined;
    const chunks: Buffer[] = [];
    for await (const c of tar) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    return /"version"\s*:\s*"([^"]+)"/.exec(text)?.[1];
  } catch {
    return undefined;
  } finally {
    if (helper) await engine.remove(helper, { force: true });
  }
}

/** Capture one gateway into the archive; a stopped gateway is started again before this returns or throws. */
export async function captureGateway(job: BackupJob, { g, container, source }: PlannedGateway): Promise<{ out: GatewayBackup; entry: GatewayEntry }> {
  const { ctx, opts, engine, w, say } = job;
  // The image the state was last run with: the container's, else the generated compose file's.
  const image = container?.imageId ?? (await composeImage(ctx, g.id)) ?? g.image;
  const openclawVersion = await imageOpenclawVersion(engine, image, ctx.fed.name);
  const wasRunning = Boolean(container?.running);
  const out: GatewayBackup = { id: g.id, capture: opts.live ? "live" : "stopped", wasRunning, stateFiles: 0, stateBytes: 0 };
  const src: MountSource = source ?? { kind: "volume", name: projectResource(ctx.project.name, stateVolume(g.id)) };
  if (opts.live) {
    say(`${g.id}: openclaw backup create --verify inside the running gateway`);
    const live = await captureLive(
      engine,
      container!.id,
      g.id,
      async (a, body) => {
        await w.addFile(liveMember(g.id), a.size, body, { mode: a.mode, uid: a.uid, gid: a.gid, mtime: a.mtime });
      },
      job.hide,
    );
    out.stateFiles = 1;
    out.stateBytes = live.size;
    await addHostTree(w, path.join(ctx.outDir, "workspaces", g.id), workspacePrefix(g.id), job.skipped);
  } else {
    const tStop = performance.now();
    if (wasRunning) {
      say(`${g.id}: stopping`);
      await engine.stop(container!.id, container!.stopTimeoutS ?? STOP_TIMEOUT_S);
    }
    const copyError = await copyState(job, g.id, image, src, out).then(() => undefined, (err: unknown) => err ?? new Error("copy failed"));
    if (wasRunning) {
      say(`${g.id}: starting again`);
      await engine.start(container!.id);
      const gate = await gateStarted({ engine, get: job.get, clock: job.clock, containerId: container!.id, timeoutMs: opts.healthTimeoutMs ?? HEALTH_TIMEOUT_MS, onChange: (l) => say(`${g.id}: ${l}`) });
      out.downMs = Math.round(performance.now() - tStop);
      if (!gate.ok) {
        if (copyError) throw copyError;
        throw new RuntimeError(`${g.id} did not come back after its copy: ${gate.reason}`, { next: `clawfed logs ${opts.spec} ${g.id}` });
      }
      say(`${g.id}: started again (down ${(out.downMs / 1000).toFixed(1)} s)`);
    }
    if (copyError) throw copyError;
  }
  const entry: GatewayEntry = {
    id: g.id,
    role: g.role,
    image,
    // Read from the image: recorded only when it is a plain version (the manifest carries no odd text).
    ...(openclawVersion && VERSION_PATTERN.test(openclawVersion) ? { openclawVersion } : {}),
    stateSource: src.kind === "volume" ? { kind: "volume", volume: src.name } : { kind: "bind", dir: path.relative(ctx.outDir, src.path) },
    capture: opts.live ? "live" : "stopped",
    wasRunning,
  };
  return { out, entry };
}

/** Copy a stopped gateway's state (through the Engine) and its workspace (from the host) into the archive. */
async function copyState(job: BackupJob, id: string, image: string, src: MountSource, out: GatewayBackup): Promise<void> {
  const { w, skipped, say } = job;
  say(`${id}: copying its state (${src.kind === "volume" ? `volume ${src.name}` : src.path}) and workspace`);
  const tick = byteTicker(say, `${id}: state`);
  const collided: string[] = [];
  await readState(
    job.engine,
    { image, source: src, federation: job.ctx.fed.name },
    {
      entry: async (e, body) => {
        const member = e.rel ? `${statePrefix(id)}/${e.rel}` : statePrefix(id);
        if (collided.some((c) => within(member, c))) return; // inside a folder skipped below
        const other = w.collides(member);
        if (other !== undefined) {
          collided.push(member);
          skipped.push({ path: member, reason: `its name differs from ${other} only in case or Unicode normalisation (one file on a case-insensitive file system)` });
          return;
        }
        if (e.type === "dir") await w.addDir(member, e);
        else {
          await w.addFile(member, e.size, body!, e);
          tick(e.size);
          out.stateFiles++;
          out.stateBytes += e.size;
        }
      },
      skip: (rel, reason) => skipped.push({ path: `${statePrefix(id)}/${rel}`, reason }),
    },
  );
  await addHostTree(w, path.join(job.ctx.outDir, "workspaces", id), workspacePrefix(id), skipped);
}
