/**
 * The rehearsal of an upgrade (ops/upgrade.ts), one gateway at a time, modelled on OpenClaw's `ocm`
 * which rehearses an upgrade on a clone of the environment before touching it:
 *  1. copy the gateway's state volume (and its workspace, which lives inside the state folder) into
 *     scratch volumes, read-only from the live mounts while the gateway keeps serving; in the copy,
 *     release the leases the live process holds (runtime/scratch.ts releaseCopiedLeases), as its
 *     clean shutdown would, and leave out its lock tree (state/tmp);
 *  2. write the gateway's config as the new version compiles it into a scratch folder;
 *  3. create a scratch container of the new image like the gateway (command, env, user, limits),
 *     on the copies, the new config and the read-only knowledge mounts only: no published ports,
 *     on an internal network of its own (an interface with an address, as the gateway has, but no
 *     route out and no other container: no link, no egress), no mailboxes, no Docker socket, none
 *     of compose's labels;
 *  4. start it: /startupz (asked inside it) must say `started` within the health timeout, without
 *     the container exiting;
 *  5. `openclaw doctor --lint --severity-min error --json` inside it must report no error;
 *  6. always: remove the scratch container, network, volumes and folder (when this process is
 *     killed first, the next upgrade removes them, found by their labels: ops/rehearsal-leftovers.ts).
 * Nothing of the running federation changes: the live state is only read.
 */
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { CONTAINER_CONFIG_DIR, CONTAINER_STATE_DIR, projectResource, stateVolume } from "../vocabulary/names.js";
import { LABELS } from "../vocabulary/labels.js";
import { replaceFile } from "../emit/safe-fs.js";
import { formatMs } from "../runtime/clock.js";
import type { ContainerInfo, JobMount, Labels } from "../runtime/docker/types.js";
import { redact } from "../runtime/redact.js";
import { doctorInside, releaseCopiedLeases, startupzInside, type DoctorFinding, type InsideProbe } from "../runtime/scratch.js";
import { copyTree, stamp } from "../runtime/snapshot.js";
import type { FederationContext } from "./context.js";
import { REHEARSAL_KIND, scratchLabels } from "./rehearsal-leftovers.js";
import type { ClawfedDeps } from "./deps.js";

/** Suffix of a scratch container's name (after the gateway container's name). */
export const REHEARSAL_SUFFIX = ".clawfed-rehearsal";
export { REHEARSAL_KIND } from "./rehearsal-leftovers.js";
/** The state folder's temporary tree, where OpenClaw keeps its gateway locks (facts §1.2). */
const STATE_TMP_DIR = "tmp";
/** Milliseconds between two looks at a starting scratch gateway. */
const POLL_MS = 1_000;
/** Log lines of a failed scratch gateway kept in the report. */
const LOG_TAIL_LINES = 20;

/** The outcome of one gateway's rehearsal. */
export interface Rehearsal {
  id: string;
  ok: boolean;
  /** Milliseconds the rehearsal took (copy, start, doctor, cleanup). */
  ms: number;
  /** Milliseconds until the scratch gateway reported started. */
  startedMs?: number;
  /** Files and bytes of state copied. */
  copied?: { files: number; bytes: number };
  /** The version /startupz reported. */
  version?: string;
  /** Doctor: checks run and error findings. */
  doctor?: { checksRun?: number; errors: DoctorFinding[] };
  /** Why it failed. */
  reason?: string;
  /** Last lines of the scratch gateway's log, secrets redacted (failures only). */
  logTail?: string[];
  /** Scratch resources that could not be removed (a warning; named so they can be removed by hand). */
  leftovers?: string[];
}

export interface RehearseInput {
  ctx: FederationContext;
  deps: ClawfedDeps;
  id: string;
  /** The live container (inspected). */
  info: ContainerInfo;
  image: string;
  /** The gateway's `openclaw.json` as the new version compiles it. */
  config: string;
  timeoutMs: number;
  say: (line: string) => void;
}

/** Rehearse one gateway; never throws (a failure is the result's `reason`). */
export async function rehearseOne(r: RehearseInput): Promise<Rehearsal> {
  const { engine, clock } = r.deps;
  const t0 = clock.now();
  const out: Rehearsal = { id: r.id, ok: false, ms: 0 };
  const log = (l: string) => r.say(`${r.id}: rehearsal: ${l}`);
  // Found by these labels (and removed) by the next upgrade when this process is killed (ops/rehearsal-leftovers.ts).
  const labels = scratchLabels(r.ctx.fed.name, r.id);
  const volumes: string[] = [];
  let network: string | undefined;
  let dir: string | undefined;
  let scratch: string | undefined;
  try {
    const stale = await engine.inspect(`${r.info.name}${REHEARSAL_SUFFIX}`);
    if (stale?.labels[LABELS.kind] === REHEARSAL_KIND) await engine.remove(stale.id, { force: true });
    const mounts = await cloneMounts(r, labels, volumes, out, log);
    // Named after the federation and gateway, so a check for leftovers sees only its own.
    dir = await mkdtemp(path.join(tmpdir(), `clawfed-rehearsal-${r.ctx.fed.name}-${r.id}-`));
    // The gateway (uid 1000) reads the config; it holds ${VAR} references, never token values.
    await chmod(dir, 0o755);
    await replaceFile(path.join(dir, "openclaw.json"), r.config, 0o644);
    mounts.push({ source: { kind: "bind", path: dir }, target: CONTAINER_CONFIG_DIR, readOnly: true });
    const net = `${r.info.name}${REHEARSAL_SUFFIX}`;
    await engine.removeNetwork(net).catch(() => undefined); // a leftover of a killed run
    await engine.createNetwork(net, labels, { internal: true });
    network = net;
    scratch = await engine.createScratch(r.info.id, { name: `${r.info.name}${REHEARSAL_SUFFIX}`, image: r.image, mounts, labels, network });
    await engine.start(scratch);
    log(`scratch gateway started on ${r.image} (no ports, internal network ${net} of its own); waiting for /startupz (up to ${formatMs(r.timeoutMs)})`);
    const started = await waitStarted(r, scratch, t0);
    if (!started.ok) throw new Failure(started.reason);
    out.startedMs = started.ms;
    if (started.version) out.version = started.version;
    log(`started in ${formatMs(started.ms)}; running openclaw doctor --lint (read-only)`);
    const doc = await doctorInside(engine, scratch);
    out.doctor = { ...(doc.checksRun !== undefined ? { checksRun: doc.checksRun } : {}), errors: doc.errors };
    if (!doc.ok) throw new Failure(doc.failure ?? `openclaw doctor reports ${doc.errors.length} error(s): ${doc.errors.map((e) => `${e.checkId}: ${e.message}`).join("; ")}`);
    out.ok = true;
    log(`passed (doctor: ${doc.checksRun ?? "?"} checks, no errors)`);
  } catch (err) {
    out.reason = redact(err instanceof Failure ? err.message : `${(err as Error).message}`, r.ctx.secrets);
    if (scratch) out.logTail = await logTail(r, scratch).catch(() => undefined);
    log(`failed: ${out.reason}`);
  } finally {
    const left = await cleanup(r, scratch, network, volumes, dir);
    if (left.length) out.leftovers = left;
    out.ms = Math.round(clock.now() - t0);
  }
  return out;
}

class Failure extends Error {}

/**
 * Scratch copies of the gateway's writable mounts inside its state folder (the state itself and
 * the workspace), plus its read-only mounts (knowledge) as they are. Every other writable mount
 * (mailboxes, the Docker socket) is left out: a rehearsal must not read or write shared things.
 */
async function cloneMounts(r: RehearseInput, labels: Labels, volumes: string[], out: Rehearsal, log: (l: string) => void): Promise<JobMount[]> {
  const { engine } = r.deps;
  const inState = (d: string) => d === CONTAINER_STATE_DIR || d.startsWith(`${CONTAINER_STATE_DIR}/`);
  if (!r.info.mounts.some((m) => m.destination === CONTAINER_STATE_DIR)) throw new Failure(`the gateway has no state mount at ${CONTAINER_STATE_DIR}`);
  const mounts: JobMount[] = [];
  const base = `${projectResource(r.ctx.fed.name, stateVolume(r.id))}.rehearsal-${stamp(r.deps.wallNow()).toLowerCase()}`;
  let files = 0;
  let bytes = 0;
  for (const m of r.info.mounts) {
    if (m.destination === CONTAINER_CONFIG_DIR) continue;
    if (m.readOnly) {
      mounts.push({ source: m.source, target: m.destination, readOnly: true });
      continue;
    }
    if (!inState(m.destination)) continue;
    const name = volumes.length === 0 ? base : `${base}-${volumes.length}`;
    await engine.createVolume(name, labels);
    volumes.push(name);
    // The live gateway's lock tree (state/tmp/openclaw-<uid>/) is not copied: the scratch gateway
    // must own a fresh one, not a copy of locks held by a process in another container.
    const omit = m.destination === CONTAINER_STATE_DIR ? [STATE_TMP_DIR] : [];
    const c = await copyTree(engine, { image: r.info.imageId, from: m.source, to: { kind: "volume", name }, labels, omit });
    files += c.files;
    bytes += c.bytes;
    if (m.destination === CONTAINER_STATE_DIR) {
      const n = await releaseCopiedLeases(engine, { image: r.info.imageId, volume: name, labels: { ...labels, [LABELS.kind]: "job" } });
      if (n) log(`released ${n} lease(s) the live gateway holds in the copy of its state`);
    }
    mounts.push({ source: { kind: "volume", name }, target: m.destination });
  }
  out.copied = { files, bytes };
  log(`state copied to ${volumes.join(", ")} (${files} files, ${(bytes / 1e6).toFixed(1)} MB)`);
  // Parents before children: the state volume, then the workspace inside it.
  return mounts.sort((a, b) => a.target.length - b.target.length);
}

/** Poll the scratch gateway until it says started, exits, or the timeout passes. */
async function waitStarted(r: RehearseInput, id: string, t0: number): Promise<{ ok: true; ms: number; version?: string } | { ok: false; reason: string }> {
  const { engine, clock } = r.deps;
  const deadline = clock.now() + r.timeoutMs;
  let last = "";
  for (;;) {
    const info = await engine.inspect(id);
    if (!info?.running) return { ok: false, reason: `the scratch gateway exited with code ${info?.exitCode ?? "?"} before it started` };
    // The container may exit between the look and the probe: then the exit is the reason.
    const p = await startupzInside(engine, id).catch(async (err: Error): Promise<InsideProbe | undefined> => {
      const again = await engine.inspect(id);
      return again?.running ? { started: false, detail: err.message.split("\n")[0]! } : undefined;
    });
    if (!p) continue;
    if (p.started) return { ok: true, ms: Math.round(clock.now() - t0), ...(p.version ? { version: p.version } : {}) };
    if (p.detail !== last) r.say(`${r.id}: rehearsal: /startupz: ${p.detail}`);
    last = p.detail;
    if (clock.now() >= deadline) return { ok: false, reason: `the scratch gateway did not report started within ${formatMs(r.timeoutMs)} (last: ${last})` };
    await clock.sleep(POLL_MS);
  }
}

async function logTail(r: RehearseInput, id: string): Promise<string[]> {
  let text = "";
  for await (const c of r.deps.engine.logs(id, { follow: false, tail: LOG_TAIL_LINES })) text += c.data.toString("utf8");
  return redact(text, r.ctx.secrets)
    .split("\n")
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-LOG_TAIL_LINES);
}

/** Remove the scratch container, volumes and folder; returns what could not be removed. */
async function cleanup(r: RehearseInput, scratch: string | undefined, network: string | undefined, volumes: string[], dir: string | undefined): Promise<string[]> {
  const { engine } = r.deps;
  const left: string[] = [];
  if (scratch) await engine.remove(scratch, { force: true }).catch(() => left.push(`container ${r.info.name}${REHEARSAL_SUFFIX}`));
  if (network) await engine.removeNetwork(network).catch(() => left.push(`network ${network}`));
  for (const v of volumes) await engine.removeVolume(v).catch(() => left.push(`volume ${v}`));
  if (dir) await rm(dir, { recursive: true, force: true }).catch(() => left.push(`folder ${dir}`));
  return left;
}
