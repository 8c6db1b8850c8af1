/**
 * `clawfed backup`: the whole federation in one verified `.tar.gz` (layout in manifest.ts).
 *
 * Per gateway, one at a time, spokes first and the hub last (so the federation stays mostly up):
 * - default: stop it, copy its state through the Engine's archive API (a helper container of its
 *   own image, never started, nothing pulled) and its workspace from the host, start it again and
 *   wait until /startupz says `started`. A raw copy of a running gateway's SQLite is unsafe (facts
 *   §6.2), hence the stop; a gateway that was not running is copied as it is and left stopped.
 * - `live`: `openclaw backup create --verify` runs inside the running gateway and its archive is
 *   included as `live/<id>.tar.gz` (the gateway keeps running).
 * Shared parts (not with `only`): the spec, the generated files with `.env`, and the mailbox.
 * Knowledge mounts only with `withKnowledge`.
 *
 * The archive is written to a temporary name (0600) and published without replacing anything. It
 * holds secrets: the tokens in `.env` and each gateway's credentials.
 */
import { mkdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { projectResource, stateVolume } from "../vocabulary/names.js";
import { mailboxDirs } from "../compile/workspace.js";
import { RuntimeError, SpecError, UsageError } from "../errors.js";
import { MANIFEST as GENERATED_MANIFEST } from "../emit/write.js";
import { ENV_FILE } from "../emit/env-file.js";
import type { GatewayModel } from "../federation/normalize.js";
import { systemClock } from "../runtime/clock.js";
import { redact } from "../runtime/redact.js";
import { openFederation, type FederationContext } from "./context.js";
import { createDockerEngine } from "../runtime/docker/engine.js";
import type { Engine } from "../runtime/docker/types.js";
import { nodeHttpGet } from "../runtime/health.js";
import { captureGateway } from "./backup-gateway.js";
import { backupOrder, CLAWFED_VERSION, gatewayContainer, unusedArchivePath, selectGateways, stateSource, type BackupJob, type BackupOptions, type BackupResult, type GatewayBackup, type PlannedGateway } from "./backup-common.js";

export {
  backupOrder,
  byteTicker,
  CLAWFED_VERSION,
  compactUtc,
  defaultArchivePath,
  gatewayContainer,
  HEALTH_TIMEOUT_MS,
  PROGRESS_EVERY_MS,
  selectGateways,
  stateSource,
  STOP_TIMEOUT_S,
  type BackupOptions,
  type BackupResult,
  type GatewayBackup,
} from "./backup-common.js";
import { ArchiveError, checkMemberPath } from "../runtime/backup/archive.js";
import { checkGeneratedList } from "../runtime/backup/archive-verify.js";
import { ArchiveWriter } from "../runtime/backup/archive-writer.js";
import { addHostFile, addHostTree } from "../runtime/backup/host.js";
import { escapeUnsafe, FORMAT, GENERATED_MEMBER, FORMAT_VERSION, type GatewayEntry, type Manifest, type Member } from "../runtime/backup/manifest.js";

/**
 * Back up a federation into one archive.
 * @throws SpecError for an invalid spec; UsageError for unknown `only` ids; RuntimeError when the federation
 *   was not generated, the archive exists, a gateway cannot be stopped/copied/restarted (every
 *   gateway it stopped is started again first; no archive is published).
 */
export async function backupFederation(opts: BackupOptions): Promise<BackupResult> {
  const ctx = await openFederation(opts.spec, { outDir: opts.outDir });
  try {
    return await backupInner(ctx, opts);
  } catch (err) {
    // Messages may quote OpenClaw's or a job's output: never let a token through.
    if (err instanceof Error) err.message = redact(err.message, ctx.secrets);
    throw err;
  }
}

/** The generated-files list of the output folder, checked the way a restore will check it. */
async function generatedList(ctx: FederationContext, opts: BackupOptions): Promise<string[]> {
  const generated = path.join(ctx.outDir, GENERATED_MANIFEST);
  const again = `clawfed generate ${opts.spec}${opts.outDir ? ` --out ${opts.outDir}` : ""}`;
  try {
    const text = await readFile(generated);
    const files = (JSON.parse(text.toString("utf8")) as { files?: string[] }).files ?? [];
    // The list is archived as it is: an archive whose list a restore would refuse is not written.
    checkGeneratedList(text);
    return files;
  } catch (err) {
    if (err instanceof ArchiveError) {
      throw new RuntimeError(`${generated} is not a list clawfed wrote: ${err.message.replace(`${GENERATED_MEMBER} `, "it ")}; no archive was written`, { next: `${again} rewrites it` });
    }
    throw new RuntimeError(`${ctx.outDir} holds no generated federation (no ${GENERATED_MANIFEST})`, { next: again });
  }
}

/** Where the archive goes: never an existing file, never inside what it backs up. */
async function archivePath(ctx: FederationContext, opts: BackupOptions, created: Date): Promise<string> {
  const exists = (p: string) => stat(p).then(() => true, () => false);
  // A default name taken (two backups in one second) gets a suffix; a chosen one is never replaced.
  const file = opts.file ? path.resolve(opts.file) : await unusedArchivePath(ctx.outDir, ctx.fed.name, created);
  if (await exists(file)) throw new RuntimeError(`${file} already exists; a backup never replaces a file`, { next: "choose another --file" });
  const inside = (dir: string) => file === dir || file.startsWith(dir + path.sep);
  for (const d of ["workspaces", "comms", "state"].map((x) => path.join(ctx.outDir, x))) {
    if (inside(d)) throw new RuntimeError(`the archive ${file} would be inside ${d}, which it backs up`, { next: "choose a --file outside the output folder's workspaces/, comms/ and state/" });
  }
  return file;
}

/** Everything that can be checked before touching a gateway. */
async function planGateways(ctx: FederationContext, opts: BackupOptions, engine: Engine, selected: GatewayModel[]): Promise<PlannedGateway[]> {
  const plan: PlannedGateway[] = [];
  for (const g of backupOrder(selected)) {
    const container = await gatewayContainer(engine, ctx.fed.name, g.id);
    const source = await stateSource(engine, ctx, g);
    if (opts.live && !container?.running) {
      throw new RuntimeError(`${g.id} is not running; --live runs openclaw backup create inside the running gateway`, { next: `start it (clawfed up ${opts.spec}), or back up without --live` });
    }
    if (!opts.live && !source) {
      throw new RuntimeError(`${g.id} has no state yet (no volume ${projectResource(ctx.project.name, stateVolume(g.id))}): it was never started`, { next: `start it first (clawfed up ${opts.spec}), or leave it out with --only` });
    }
    if (!opts.live && source?.kind === "bind" && !(await stat(source.path).then((s) => s.isDirectory(), () => false))) {
      throw new RuntimeError(`${g.id}'s state directory ${source.path} does not exist`, { next: `clawfed generate ${opts.spec} and start the federation first` });
    }
    plan.push({ g, container, source });
  }
  return plan;
}

/** The spec, exactly the bytes whose hash the manifest records. */
async function addSpec(job: BackupJob, created: Date): Promise<Manifest["spec"]> {
  const { opts, ctx, w } = job;
  const specText = await readFile(opts.spec);
  // A spec file name an archive may not carry (control characters …) is stored as spec.yaml.
  const file = "error" in checkMemberPath(`spec/${path.basename(opts.spec)}`) ? "spec.yaml" : path.basename(opts.spec);
  const member = `spec/${file}`;
  const sha256 = (await w.addFile(member, specText.length, specText, { mode: 0o644, uid: 0, gid: 0, mtime: Math.floor(created.getTime() / 1000) })).sha256!;
  if (sha256 !== ctx.loaded.sha256) throw new RuntimeError(`${opts.spec} changed while the backup started; run it again`);
  return { file, sha256, member };
}

/** Generated files, .env and the mailbox (the shared part), then the knowledge mounts when asked. */
async function addSharedAndKnowledge(job: BackupJob, generatedFiles: string[], shared: boolean, selected: GatewayModel[]): Promise<Record<string, string>> {
  const { ctx, w, skipped, say } = job;
  const fed = ctx.fed;
  if (shared) {
    say("generated files, .env and mailbox");
    // Generated files under workspaces/ and comms/ travel with those trees.
    const rels = [...new Set([...generatedFiles, ENV_FILE, GENERATED_MANIFEST])].filter((r) => !/^(workspaces|comms|state)\//.test(r)).sort();
    for (const rel of rels) {
      const p = path.join(ctx.outDir, rel);
      const st = await stat(p).catch(() => undefined);
      if (!st?.isFile()) {
        skipped.push({ path: `files/${rel}`, reason: st ? "not a regular file" : "missing" });
        continue;
      }
      await addHostFile(w, p, `files/${rel}`);
    }
    const commsRoot = fed.comms.hostPath ?? path.join(ctx.outDir, "comms");
    for (const route of mailboxDirs(fed)) await addHostTree(w, path.join(commsRoot, route), `comms/${route}`, skipped);
  }
  const knowledge: Record<string, string> = {};
  if (job.opts.withKnowledge) {
    const names = new Set(selected.flatMap((g) => g.knowledge.map((k) => k.name)));
    for (const k of fed.knowledge.filter((x) => names.has(x.name))) {
      say(`knowledge ${k.name} (${k.hostPath})`);
      const s = await addHostTree(w, k.hostPath, `knowledge/${k.name}`, skipped);
      if (s.dirs > 0) knowledge[k.name] = k.hostPath;
    }
  }
  return knowledge;
}

async function backupInner(ctx: FederationContext, opts: BackupOptions): Promise<BackupResult> {
  const t0 = performance.now();
  const fed = ctx.fed;
  const selected = selectGateways(ctx, opts.only);
  const shared = !opts.only;
  const engine = opts.engine ?? createDockerEngine();
  const generatedFiles = await generatedList(ctx, opts);
  const created = new Date();
  const file = await archivePath(ctx, opts, created);
  await engine.ping();
  const plan = await planGateways(ctx, opts, engine, selected);

  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const say = opts.onProgress ?? (() => undefined);
  say(`writing ${file}`);
  const w = await ArchiveWriter.open(file, { level: opts.level });
  const hide = (s: string) => redact(s, ctx.secrets);
  const job: BackupJob = { ctx, opts, say, hide, engine, get: opts.get ?? nodeHttpGet, clock: opts.clock ?? systemClock, w, skipped: [] };
  try {
    const spec = await addSpec(job, created);
    const knowledge = await addSharedAndKnowledge(job, generatedFiles, shared, selected);
    const gatewaysOut: GatewayBackup[] = [];
    const entries: GatewayEntry[] = [];
    for (const planned of plan) {
      if (opts.signal?.aborted) throw new RuntimeError(`interrupted before ${planned.g.id}; no archive was written, and every gateway runs as before`);
      const { out, entry } = await captureGateway(job, planned);
      gatewaysOut.push(out);
      entries.push(entry);
    }
    if (opts.signal?.aborted) throw new RuntimeError("interrupted; no archive was written, and every gateway runs as before");
    say("writing the manifest");
    // Skipped names may hold characters a manifest (or a terminal) may not carry: written as \u{…} escapes.
    const shownSkipped = job.skipped.map((s) => ({ path: escapeUnsafe(s.path), reason: escapeUnsafe(s.reason) }));
    const res = await w.finish((members: Member[]): Manifest => ({
      format: FORMAT,
      formatVersion: FORMAT_VERSION,
      createdAt: created.toISOString(),
      clawfedVersion: CLAWFED_VERSION,
      openclawVersion: fed.openclawVersion,
      federation: fed.name,
      spec,
      outDir: ctx.outDir,
      ...(fed.comms.hostPath ? { commsHostPath: fed.comms.hostPath } : {}),
      gateways: entries,
      shared,
      knowledge,
      skipped: shownSkipped,
      members,
      totals: {
        files: members.filter((m) => m.type === "file").length,
        dirs: members.filter((m) => m.type === "dir").length,
        bytes: members.reduce((n, m) => n + m.size, 0),
      },
    }));
    return {
      ok: true,
      federation: fed.name,
      file: res.path,
      bytes: res.bytes,
      contentBytes: w.members.reduce((n, m) => n + m.size, 0),
      files: w.members.filter((m) => m.type === "file").length,
      dirs: w.members.filter((m) => m.type === "dir").length,
      gateways: gatewaysOut,
      shared,
      skipped: shownSkipped,
      warnings: shownSkipped.map((s) => `skipped ${s.path}: ${s.reason}`),
      holdsSecrets: true,
      ms: Math.round(performance.now() - t0),
    };
  } catch (err) {
    await w.abort();
    if (err instanceof RuntimeError || err instanceof SpecError || err instanceof UsageError) throw err;
    throw new RuntimeError(`backup of ${fed.name} failed: ${hide((err as Error).message ?? String(err))}`, { cause: err });
  }
}
