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
import { RuntimeError } from "../errors.js";
import type { GatewayModel } from "../federation/normalize.js";
import type { Clock } from "../runtime/clock.js";
import type { FederationContext } from "./context.js";
import type { Engine } from "../runtime/docker/types.js";
import type { HttpGet } from "../runtime/health.js";
import { ArchiveError, readArchive, type ArchiveLimits, type ReadResult } from "../runtime/backup/archive.js";
import { validateArchive, verifyArchive, type VerifiedArchive } from "../runtime/backup/archive-verify.js";
import { byteTicker, selectGateways } from "./backup-common.js";
import { StagedDir, StagedFiles } from "../runtime/backup/host.js";
import { workspacePrefix, type Manifest } from "../runtime/backup/manifest.js";

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
  /** Milliseconds the whole operation took. */
  ms: number;
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
 *   UsageError for unknown `only` ids
 */
export async function planRestore(ctx: FederationContext, opts: Pick<RestoreOptions, "spec" | "from" | "only" | "withKnowledge" | "limits" | "onProgress">): Promise<RestorePlan> {
  const say = opts.onProgress ?? (() => undefined);
  const fed = ctx.fed;
  const from = path.resolve(opts.from);
  const warnings: string[] = [];
  // Unknown ids are a usage mistake, reported before the (possibly long) verification.
  if (opts.only) selectGateways(ctx, opts.only);
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
export function sameArchive(plan: RestorePlan, read: ReadResult): void {
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
