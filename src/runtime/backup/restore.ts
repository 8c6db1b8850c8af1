/**
 * `clawfed restore`: put a federation back from a `clawfed backup` archive.
 *
 * Order, so that a bad archive or a refused gateway changes nothing:
 * 1. verify the whole archive (structure, limits, every member's sha256 against the manifest);
 * 2. check the archive belongs to this federation and holds the chosen gateways;
 * 3. refuse gateways that are running, unless `force` (then they are stopped, one at a time);
 * 4. host files (generated files + .env, mailbox, workspaces; knowledge with `withKnowledge`) are
 *    written into staging places while the archive is read a second time, re-checked against the
 *    manifest, and only then swapped in;
 * 5. `compose up --no-start` recreates missing containers and volumes (e.g. after `down -v`), each
 *    state is emptied by a throw-away job of the gateway's image and filled through the Engine's
 *    archive API (owners and modes from the archive), or, for a live capture, rebuilt by
 *    `openclaw backup restore` in such a job;
 * 6. the gateways are started (spokes first, hub last) and must report `started`.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { projectResource, serviceName, stateVolume } from "../../vocabulary/names.js";
import { LABELS } from "../../vocabulary/labels.js";
import { RuntimeError } from "../../errors.js";
import type { GatewayModel } from "../../federation/normalize.js";
import { systemClock, type Clock } from "../clock.js";
import { compose } from "../compose.js";
import { openFederation, redact, secretValues, type FederationContext } from "../context.js";
import { createDockerEngine, type Engine, type MountSource } from "../engine.js";
import { gateStarted, nodeHttpGet, type HttpGet } from "../health.js";
import { ArchiveError, readArchive, validateArchive, verifyArchive, type ArchiveLimits, type ReadResult, type VerifiedArchive } from "./archive.js";
import { backupOrder, byteTicker, gatewayContainer, HEALTH_TIMEOUT_MS, selectGateways, stateSource, STOP_TIMEOUT_S } from "./backup.js";
import { StagedDir, StagedFiles } from "./host.js";
import { liveMember, statePrefix, within, workspacePrefix, type Manifest } from "./manifest.js";
import { emptyState, restoreLive, StateWriter } from "./state.js";

export interface RestoreOptions {
  spec: string;
  outDir?: string;
  /** The archive. */
  from: string;
  /** Only these gateways (state + workspace); shared files are then left alone. */
  only?: string[];
  /** Stop running gateways first instead of refusing. */
  force?: boolean;
  /** Also write the knowledge mounts back (merged: files in the archive replace those on disk). */
  withKnowledge?: boolean;
  limits?: Partial<ArchiveLimits>;
  engine?: Engine;
  get?: HttpGet;
  clock?: Clock;
  healthTimeoutMs?: number;
  onProgress?: (line: string) => void;
  /** Stops the restore while nothing was changed yet (before any gateway is stopped or file replaced). */
  signal?: AbortSignal;
}

export interface GatewayRestore {
  id: string;
  capture: "stopped" | "live";
  /** It was running and `force` stopped it. */
  stopped: boolean;
  /** Milliseconds from start until it reported `started`. */
  startedMs: number;
}

export interface RestoreResult {
  ok: true;
  federation: string;
  from: string;
  gateways: GatewayRestore[];
  /** Whether generated files, .env and the mailbox were restored. */
  shared: boolean;
  /** Host files and directories put back (relative to the output directory when inside it). */
  restoredPaths: string[];
  /** The spec's sha256 differs from the one the archive was made from. */
  specChanged: boolean;
  warnings: string[];
  seconds: number;
}

/**
 * Restore a federation from an archive.
 * @throws ArchiveError when the archive is refused (nothing changed); SpecError for an invalid
 *   spec or unknown ids; RuntimeError when a gateway is running without `force`, or Docker fails.
 */
export async function restoreFederation(opts: RestoreOptions): Promise<RestoreResult> {
  const ctx = await openFederation(opts.spec, { outDir: opts.outDir });
  try {
    return await restoreInner(ctx, opts);
  } catch (err) {
    // Messages may quote a job's or OpenClaw's output: never let a token through.
    if (err instanceof Error) err.message = redact(err.message, secretValues(ctx));
    throw err;
  }
}

async function collect(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(c);
  return Buffer.concat(parts);
}

/** Identity of the archive file, to notice it being replaced or rewritten between two reads. */
async function fileIdentity(file: string): Promise<string> {
  const st = await stat(file);
  return [st.dev, st.ino, st.size, st.mtimeMs, st.ctimeMs].join(":");
}

/** What a restore will do, decided before anything is changed (planRestore). */
export interface RestorePlan {
  /** Absolute path of the archive. */
  from: string;
  /** The one verification (validateArchive) the archive passed. */
  verified: VerifiedArchive;
  manifest: Manifest;
  /** Gateways whose state and workspace are restored. */
  chosen: GatewayModel[];
  /** Whether generated files, .env and the mailbox are restored. */
  shared: boolean;
  specChanged: boolean;
  warnings: string[];
  /** @throws ArchiveError when the archive file changed (replaced or rewritten) since it was verified. */
  unchanged: () => Promise<void>;
}

/**
 * Steps 1-2 of a restore, without Docker and without writing anything: verify the whole archive
 * (verifyArchive, the same validation as `clawfed backup verify`), then check that it belongs to
 * this federation and holds the chosen gateways.
 * @throws ArchiveError (the archive is refused; the reason is verify's own for a bad archive),
 *   SpecError for unknown `only` ids
 */
export async function planRestore(ctx: FederationContext, opts: Pick<RestoreOptions, "spec" | "from" | "only" | "withKnowledge" | "limits" | "onProgress">): Promise<RestorePlan> {
  const say = opts.onProgress ?? (() => undefined);
  const fed = ctx.fed;
  const from = path.resolve(opts.from);
  const warnings: string[] = [];
  say(`verifying ${from}`);
  const identity = await fileIdentity(from).catch(() => "");
  const verified = await verifyArchive(from, { limits: opts.limits, onBytes: byteTicker(say, "verifying") });
  const unchanged = async () => {
    if ((await fileIdentity(from).catch(() => "gone")) !== identity) throw new ArchiveError(`${from} changed since it was verified; nothing more was changed`);
  };
  const m: Manifest = verified.manifest;
  say(`verified: ${verified.files} files, ${(verified.tarBytes / 1e6).toFixed(1)} MB, every checksum matches`);
  if (m.federation !== fed.name) throw new ArchiveError(`the archive is a backup of federation ${m.federation}, not of ${fed.name} (${opts.spec})`);
  const inArchive = new Map(m.gateways.map((g) => [g.id, g]));
  const chosen: GatewayModel[] = opts.only
    ? selectGateways(ctx, opts.only)
    : fed.gateways.filter((g) => inArchive.has(g.id));
  if (chosen.length === 0) throw new ArchiveError(`the archive holds none of ${fed.name}'s gateways (it has: ${[...inArchive.keys()].join(", ") || "no gateway"})`);
  const missing = chosen.filter((g) => !inArchive.has(g.id)).map((g) => g.id);
  if (missing.length) throw new ArchiveError(`the archive holds no ${missing.join(", ")} (it has: ${[...inArchive.keys()].join(", ") || "no gateway"})`);
  const notInSpec = m.gateways.filter((g) => !fed.gateways.some((x) => x.id === g.id)).map((g) => g.id);
  if (!opts.only && notInSpec.length) warnings.push(`the archive also holds ${notInSpec.join(", ")}, which ${opts.spec} no longer has; not restored`);
  const shared = !opts.only && m.shared;
  const specChanged = m.spec.sha256 !== ctx.loaded.sha256;
  if (specChanged) warnings.push(`${opts.spec} changed since the backup; the restored generated files are the backup's (run clawfed generate to apply the current spec)`);
  if (opts.withKnowledge && Object.keys(m.knowledge).length === 0) warnings.push("the archive holds no knowledge mounts (it was made without --with-knowledge)");
  return { from, verified, manifest: m, chosen, shared, specChanged, warnings, unchanged };
}

/**
 * A later read of an archive that was verified: the same validation (validateArchive) must pass
 * and give the same manifest, else the file changed in between. @throws ArchiveError
 */
function sameArchive(plan: RestorePlan, read: ReadResult): void {
  const m = validateArchive(read);
  if (JSON.stringify(m) !== JSON.stringify(plan.manifest)) throw new ArchiveError("manifest.json differs from the one verified");
}

/** Host files of a restore, staged next to their targets; `commit` swaps them in. */
export interface StagedHostFiles {
  /** Swap everything in; @returns the paths put back (absolute). */
  commit(): Promise<{ paths: string[]; ownersLost: string[] }>;
  /** Remove every staged file. */
  discard(): Promise<void>;
}

/**
 * Step 4 of a restore (Docker-free): read the verified archive a second time and write the host
 * files (generated files and .env, mailbox, workspaces of the chosen gateways, knowledge with
 * `withKnowledge`) into staging places next to their targets, then validate this read exactly as
 * the first. Nothing is replaced before `commit`. Every location comes from the spec (`ctx`),
 * never from the archive.
 * @throws ArchiveError when the archive changed since it was verified (everything staged is removed)
 */
export async function stageHostFiles(ctx: FederationContext, plan: RestorePlan, opts: Pick<RestoreOptions, "limits" | "withKnowledge" | "signal">): Promise<StagedHostFiles> {
  const fed = ctx.fed;
  const files = new StagedFiles();
  const dirs = new Map<string, StagedDir>();
  const knowledgeFiles = new StagedFiles();
  const commsRoot = fed.comms.hostPath ?? path.join(ctx.outDir, "comms");
  // Knowledge goes only where the spec (trusted) puts it, never to a path the archive names.
  const knowledgeRoot = (name: string) => fed.knowledge.find((k) => k.name === name)?.hostPath;
  const chosenIds = new Set(plan.chosen.map((g) => g.id));
  const shared = plan.shared;
  const stageDir = async (prefix: string, target: string): Promise<StagedDir> => {
    let d = dirs.get(prefix);
    if (!d) {
      d = new StagedDir(target);
      await d.open();
      dirs.set(prefix, d);
    }
    return d;
  };
  const discard = async () => {
    await files.discard();
    await knowledgeFiles.discard();
    for (const d of dirs.values()) await d.discard();
  };
  try {
    await plan.unchanged();
    const second = await readArchive(plan.from, {
      limits: opts.limits,
      onEntry: async (e, body) => {
        const [section, owner, ...rest] = e.path.split("/");
        if (section === "files" && shared && e.type === "file") {
          await files.add(path.join(ctx.outDir, ...e.path.split("/").slice(1)), e, body!);
        } else if (section === "comms" && shared && owner) {
          const d = await stageDir(`comms/${owner}`, path.join(commsRoot, owner));
          await d.add(rest.join("/"), e, body);
        } else if (section === "workspaces" && owner && chosenIds.has(owner)) {
          const d = await stageDir(workspacePrefix(owner), path.join(ctx.outDir, "workspaces", owner));
          await d.add(rest.join("/"), e, body);
        } else if (section === "knowledge" && opts.withKnowledge && owner && knowledgeRoot(owner) && e.type === "file" && rest.length) {
          await knowledgeFiles.add(path.join(knowledgeRoot(owner)!, ...rest), e, body!);
        }
      },
    });
    sameArchive(plan, second); // the file did not change since the verification
    if (opts.signal?.aborted) throw new RuntimeError("interrupted; nothing was changed (gateways stopped by --force were started again)");
  } catch (err) {
    await discard();
    if (err instanceof ArchiveError) throw new ArchiveError(`${err.message} (on the second read: the archive changed during the restore); nothing was changed`, err.member);
    throw err;
  }
  return {
    discard,
    async commit() {
      const paths: string[] = [];
      const ownersLost: string[] = [];
      for (const p of await files.commit()) paths.push(p);
      for (const p of await knowledgeFiles.commit()) paths.push(p);
      for (const d of dirs.values()) {
        await d.commit();
        paths.push(d.target);
        if (d.ownersLost) ownersLost.push(d.target);
      }
      return { paths, ownersLost };
    },
  };
}

async function restoreInner(ctx: FederationContext, opts: RestoreOptions): Promise<RestoreResult> {
  const t0 = performance.now();
  const say = opts.onProgress ?? (() => undefined);
  const fed = ctx.fed;
  const engine = opts.engine ?? createDockerEngine();
  const clock = opts.clock ?? systemClock;
  const get = opts.get ?? nodeHttpGet;

  const plan = await planRestore(ctx, opts);
  const { from, chosen, shared, specChanged, warnings, unchanged } = plan;
  const m = plan.manifest;
  const inArchive = new Map(m.gateways.map((g) => [g.id, g]));

  await engine.ping();
  // Running gateways: this federation's containers, of the chosen gateways (all of them when the
  // shared files are restored, since every gateway reads .env and the compose file).
  const containers = await engine.listContainers({ [LABELS.federation]: fed.name });
  const concerned = new Set(shared ? fed.gateways.map((g) => g.id) : chosen.map((g) => g.id));
  const running = containers.filter((c) => concerned.has(c.labels[LABELS.gateway] ?? "") && (c.status === "running" || c.status === "restarting" || c.status === "paused"));
  if (running.length && !opts.force) {
    const names = [...new Set(running.map((c) => c.labels[LABELS.gateway]))].join(", ");
    throw new RuntimeError(`refusing to restore over running gateway(s): ${names}; nothing was changed`, {
      next: `stop them first (clawfed down ${opts.spec}), or pass --force to stop them`,
    });
  }
  if (opts.signal?.aborted) throw new RuntimeError("interrupted; nothing was changed");
  const stoppedByUs = new Set<string>();
  for (const c of running) {
    const id = c.labels[LABELS.gateway]!;
    say(`${id}: stopping (--force)`);
    await engine.stop(c.id, STOP_TIMEOUT_S);
    stoppedByUs.add(id);
  }

  // Host files: staged while the archive is read again, swapped in after the re-check.
  say("restoring files");
  let staged: StagedHostFiles;
  try {
    staged = await stageHostFiles(ctx, plan, opts);
  } catch (err) {
    await restartStopped();
    throw err;
  }
  const committed = await staged.commit();
  const restoredPaths = committed.paths;
  for (const t of committed.ownersLost) warnings.push(`${t}: owners could not be restored (not running as root)`);

  // Containers and volumes (compose creates what `down -v` removed), then each state.
  const services = chosen.map((g) => serviceName(g.id));
  say(`creating containers and volumes: ${services.join(", ")}`);
  const up = await compose(ctx.project, ["up", "--no-start", "--no-deps", ...services], { timeoutMs: 300_000 });
  if (up.code !== 0) throw new RuntimeError(`compose up --no-start failed: ${redact(up.stderr.trim().split("\n").slice(-5).join(" | "), secretValues(ctx))}`);

  const order = backupOrder(chosen);
  const targets = new Map<string, { image: string; source: MountSource; containerId: string }>();
  for (const g of order) {
    const c = await gatewayContainer(engine, fed.name, g.id);
    if (!c) throw new RuntimeError(`compose created no container for ${g.id}`);
    if (c.running) throw new RuntimeError(`${g.id} started by itself during the restore; stop it and run the restore again`);
    const source = (await stateSource(engine, ctx, g)) ?? { kind: "volume" as const, name: projectResource(ctx.project.name, stateVolume(g.id)) };
    targets.set(g.id, { image: c.imageId, source, containerId: c.id });
    say(`${g.id}: emptying its state (${source.kind === "volume" ? `volume ${source.name}` : source.path})`);
    await emptyState(engine, { image: c.imageId, source, federation: fed.name });
  }

  // Third read: the states, one tar stream per gateway into the engine.
  let current: { id: string; w: StateWriter } | undefined;
  await unchanged();
  const tick = byteTicker(say, "writing states");
  const third = await readArchive(from, {
    limits: opts.limits,
    onEntry: async (e, body) => {
      const [section, owner] = e.path.split("/");
      if (section === "live" && owner) {
        const id = owner.replace(/\.tar\.gz$/, "");
        const t = targets.get(id);
        if (!t || e.path !== liveMember(id)) return;
        say(`${id}: openclaw backup restore of its live archive`);
        await restoreLive(engine, { image: t.image, source: t.source, federation: fed.name, gateway: id }, body!);
        return;
      }
      if (section !== "state" || !owner || !targets.has(owner)) return;
      if (current && current.id !== owner) {
        await current.w.close();
        current = undefined;
      }
      if (!current) {
        say(`${owner}: writing its state`);
        const t = targets.get(owner)!;
        current = { id: owner, w: await StateWriter.open(engine, { image: t.image, source: t.source, federation: fed.name }) };
      }
      tick(e.size);
      const prefix = statePrefix(owner);
      const rel = e.path === prefix ? "" : e.path.slice(prefix.length + 1);
      if (!within(e.path, prefix)) return;
      await current.w.add(e, rel, body);
    },
  }).catch(async (err) => {
    await current?.w.abort();
    current = undefined;
    throw err;
  });
  await current?.w.close();
  sameArchive(plan, third);

  // Start spokes first, the hub last; then wait for each.
  const out: GatewayRestore[] = [];
  // Through compose: a container made by `up --no-start` is attached to its other networks only
  // when compose starts it (compose v1 connects them in its own start step).
  for (const g of order) {
    say(`${g.id}: starting`);
    const st = await compose(ctx.project, ["start", serviceName(g.id)], { timeoutMs: 120_000 });
    if (st.code !== 0) throw new RuntimeError(`compose start ${g.id} failed: ${redact(st.stderr.trim().split("\n").slice(-5).join(" | "), secretValues(ctx))}`);
  }
  const gates = await Promise.all(
    order.map(async (g) => {
      const r = await gateStarted({ engine, get, clock, containerId: targets.get(g.id)!.containerId, timeoutMs: opts.healthTimeoutMs ?? HEALTH_TIMEOUT_MS, onChange: (l) => say(`${g.id}: ${l}`) });
      return { g, r };
    }),
  );
  const failed = gates.filter((x) => !x.r.ok);
  if (failed.length) {
    throw new RuntimeError(`restored, but ${failed.map((x) => `${x.g.id} (${x.r.reason})`).join(", ")} did not start`, { next: `clawfed logs ${opts.spec} ${failed[0]!.g.id}` });
  }
  for (const { g, r } of gates) {
    out.push({ id: g.id, capture: inArchive.get(g.id)!.capture, stopped: stoppedByUs.has(g.id), startedMs: Math.round(r.ms) });
    say(`${g.id}: started`);
  }
  return {
    ok: true,
    federation: fed.name,
    from,
    gateways: out,
    shared,
    restoredPaths: restoredPaths.map((p) => (p.startsWith(ctx.outDir + path.sep) ? path.relative(ctx.outDir, p) : p)).sort(),
    specChanged,
    warnings,
    seconds: (performance.now() - t0) / 1000,
  };

  /** After a refused second read, put back what --force stopped. */
  async function restartStopped(): Promise<void> {
    for (const c of running) await engine.start(c.id).catch(() => undefined);
  }
}
