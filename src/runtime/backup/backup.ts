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
import { projectResource, stateVolume } from "../../vocabulary/names.js";
import { LABELS } from "../../vocabulary/labels.js";
import { mailboxDirs } from "../../compile/workspace.js";
import { RuntimeError, SpecError } from "../../errors.js";
import { MANIFEST as GENERATED_MANIFEST, ENV_FILE } from "../../emit/write.js";
import type { GatewayModel } from "../../federation/normalize.js";
import { systemClock, type Clock } from "../clock.js";
import { openFederation, redact, secretValues, type FederationContext } from "../context.js";
import { createDockerEngine, type ContainerInfo, type Engine, type MountSource } from "../engine.js";
import { gateStarted, nodeHttpGet, type HttpGet } from "../health.js";
import { composeImage } from "../regenerate.js";
import { ArchiveError, checkGeneratedList, checkMemberPath } from "./archive.js";
import { ArchiveWriter, type WriterOptions } from "./archive-writer.js";
import { addHostFile, addHostTree, type Skipped } from "./host.js";
import { escapeUnsafe, FORMAT, GENERATED_MEMBER, FORMAT_VERSION, liveMember, statePrefix, VERSION_PATTERN, within, workspacePrefix, type GatewayEntry, type Manifest, type Member } from "./manifest.js";
import { captureLive, readState } from "./state.js";

/** clawfed's version, recorded in manifests. */
export const CLAWFED_VERSION = "0.1.0";
/** Seconds a gateway gets to stop cleanly (compose's stop_grace_period). */
export const STOP_TIMEOUT_S = 60;
/** Milliseconds a restarted gateway may take to report `started` (more on a busy 2-core host). */
export const HEALTH_TIMEOUT_MS = 240_000;

export interface BackupOptions {
  /** Federation spec path. */
  spec: string;
  /** Output directory of the generated federation; default out/<name>. */
  outDir?: string;
  /** Archive to write; default `<dir of outDir>/backups/<name>-<UTC time>.tar.gz`. Never replaced. */
  file?: string;
  /** Only these gateways (their state and workspaces; the shared files are then left out). */
  only?: string[];
  /** Run `openclaw backup create --verify` inside each running gateway instead of stopping it. */
  live?: boolean;
  /** Also the knowledge mounts of the included gateways. */
  withKnowledge?: boolean;
  /** gzip level 1-9 (default 6). */
  level?: WriterOptions["level"];
  engine?: Engine;
  get?: HttpGet;
  clock?: Clock;
  healthTimeoutMs?: number;
  onProgress?: (line: string) => void;
  /**
   * Stops the backup between gateways: a gateway being copied is finished and started again
   * first; no archive is published.
   */
  signal?: AbortSignal;
}

export interface GatewayBackup {
  id: string;
  capture: "stopped" | "live";
  wasRunning: boolean;
  /** Files and bytes of its state (or its live archive). */
  stateFiles: number;
  stateBytes: number;
  /** Milliseconds it was down (stopped capture of a running gateway). */
  downMs?: number;
}

export interface BackupResult {
  ok: true;
  federation: string;
  /** Absolute path of the archive. */
  file: string;
  /** Size of the archive in bytes. */
  bytes: number;
  /** Content bytes archived (uncompressed). */
  contentBytes: number;
  files: number;
  dirs: number;
  gateways: GatewayBackup[];
  shared: boolean;
  skipped: Skipped[];
  warnings: string[];
  /** Always true: the archive holds .env tokens and gateway credentials. */
  holdsSecrets: true;
  seconds: number;
}

/** Milliseconds between two progress lines of a long copy. */
export const PROGRESS_EVERY_MS = 5_000;

/** Calls `say` with the running total at most every PROGRESS_EVERY_MS. */
export function byteTicker(say: (line: string) => void, what: string): (bytes: number) => void {
  let total = 0;
  let last = performance.now();
  return (bytes) => {
    total += bytes;
    const now = performance.now();
    if (now - last >= PROGRESS_EVERY_MS) {
      last = now;
      say(`${what}: ${(total / 1e6).toFixed(0)} MB so far`);
    }
  };
}

/** `2026-11-21T05:06:07.123Z` → `20261121T050607Z`. */
export function compactUtc(d: Date): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

/** Default archive path of a federation: `<dir of outDir>/backups/<name>-<UTC time>.tar.gz`. */
export function defaultArchivePath(outDir: string, federation: string, when: Date): string {
  return path.join(path.dirname(path.resolve(outDir)), "backups", `${federation}-${compactUtc(when)}.tar.gz`);
}

/** Spokes first (sorted), the hub last. */
export function backupOrder(gateways: GatewayModel[]): GatewayModel[] {
  return [...gateways].sort((a, b) => (a.role === b.role ? (a.id < b.id ? -1 : 1) : a.role === "hub" ? 1 : -1));
}

/** Check `--only` against the spec. @throws SpecError naming the unknown ids. */
export function selectGateways(ctx: FederationContext, only: string[] | undefined, flag = "--only"): GatewayModel[] {
  if (!only) return ctx.fed.gateways;
  const ids = new Set(ctx.fed.gateways.map((g) => g.id));
  const unknown = only.filter((o) => !ids.has(o));
  if (unknown.length > 0 || only.length === 0) {
    throw new SpecError(
      (unknown.length ? unknown : [""]).map((u) => ({
        file: ctx.loaded.file,
        line: 0,
        col: 0,
        path: "gateways",
        message: u ? `${flag} names "${u}", which is not a gateway of ${ctx.fed.name}` : `${flag} names no gateway`,
        hint: `use some of: ${[...ids].join(", ")}`,
      })),
    );
  }
  return ctx.fed.gateways.filter((g) => only.includes(g.id));
}

/** The gateway's container (the newest when several carry its labels), if any. */
export async function gatewayContainer(engine: Engine, federation: string, id: string): Promise<ContainerInfo | undefined> {
  const list = await engine.listContainers({ [LABELS.federation]: federation, [LABELS.gateway]: id });
  const infos = (await Promise.all(list.map((c) => engine.inspect(c.id)))).filter((c): c is ContainerInfo => c !== undefined);
  infos.sort((a, b) => (a.created < b.created ? 1 : -1));
  return infos.find((c) => c.running) ?? infos[0];
}

/**
 * Where a gateway's state lives: the bind-mounted directory of a sandboxed gateway, else its
 * named volume (found by clawfed's labels, or compose's `<project>_<id>-state` name).
 * @returns undefined when the volume does not exist (the gateway was never created).
 */
export async function stateSource(engine: Engine, ctx: FederationContext, g: GatewayModel): Promise<MountSource | undefined> {
  if (g.sandboxed) return { kind: "bind", path: path.join(ctx.outDir, "state", g.id) };
  const vols = await engine.listVolumes({ [LABELS.federation]: ctx.fed.name, [LABELS.gateway]: g.id, [LABELS.kind]: "state" });
  const expected = projectResource(ctx.project.name, stateVolume(g.id));
  const v = vols.find((x) => x.name === expected) ?? vols[0];
  return v ? { kind: "volume", name: v.name } : undefined;
}

/** Read the OpenClaw version from an image's /app/package.json (helper container, never started). */
async function imageOpenclawVersion(engine: Engine, image: string, federation: string): Promise<string | undefined> {
  const { helperLabels } = await import("./state.js");
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

/**
 * Back up a federation into one archive.
 * @throws SpecError for an invalid spec or unknown `only` ids; RuntimeError when the federation
 *   was not generated, the archive exists, a gateway cannot be stopped/copied/restarted (every
 *   gateway it stopped is started again first; no archive is published).
 */
export async function backupFederation(opts: BackupOptions): Promise<BackupResult> {
  const ctx = await openFederation(opts.spec, { outDir: opts.outDir });
  try {
    return await backupInner(ctx, opts);
  } catch (err) {
    // Messages may quote OpenClaw's or a job's output: never let a token through.
    if (err instanceof Error) err.message = redact(err.message, secretValues(ctx));
    throw err;
  }
}

async function backupInner(ctx: FederationContext, opts: BackupOptions): Promise<BackupResult> {
  const t0 = performance.now();
  const say = opts.onProgress ?? (() => undefined);
  const fed = ctx.fed;
  const secrets = secretValues(ctx);
  const hide = (s: string) => redact(s, secrets);
  const selected = selectGateways(ctx, opts.only);
  const shared = !opts.only;
  const engine = opts.engine ?? createDockerEngine();
  const clock = opts.clock ?? systemClock;
  const get = opts.get ?? nodeHttpGet;

  const generated = path.join(ctx.outDir, GENERATED_MANIFEST);
  let generatedFiles: string[];
  try {
    const text = await readFile(generated);
    generatedFiles = (JSON.parse(text.toString("utf8")) as { files?: string[] }).files ?? [];
    // The list is archived as it is: an archive whose list a restore would refuse is not written.
    checkGeneratedList(text);
  } catch (err) {
    if (err instanceof ArchiveError) {
      throw new RuntimeError(`${generated} is not a list clawfed wrote: ${err.message.replace(`${GENERATED_MEMBER} `, "it ")}; no archive was written`, { next: `clawfed generate ${opts.spec}${opts.outDir ? ` --out ${opts.outDir}` : ""} rewrites it` });
    }
    throw new RuntimeError(`${ctx.outDir} holds no generated federation (no ${GENERATED_MANIFEST})`, { next: `clawfed generate ${opts.spec}${opts.outDir ? ` --out ${opts.outDir}` : ""}` });
  }

  const created = new Date();
  const exists = (p: string) => stat(p).then(() => true, () => false);
  let file = path.resolve(opts.file ?? defaultArchivePath(ctx.outDir, fed.name, created));
  // A default name taken (two backups in one second) gets a suffix; a chosen one is never replaced.
  for (let n = 2; !opts.file && (await exists(file)); n++) file = file.replace(/(-\d+)?\.tar\.gz$/, `-${n}.tar.gz`);
  if (await exists(file)) throw new RuntimeError(`${file} already exists; a backup never replaces a file`, { next: "choose another --out" });
  const inside = (dir: string) => file === dir || file.startsWith(dir + path.sep);
  for (const d of ["workspaces", "comms", "state"].map((x) => path.join(ctx.outDir, x))) {
    if (inside(d)) throw new RuntimeError(`the archive ${file} would be inside ${d}, which it backs up`, { next: "choose an --out outside the output directory's workspaces/, comms/ and state/" });
  }
  await engine.ping();

  // Everything that can be checked before touching a gateway.
  const plan: Array<{ g: GatewayModel; container?: ContainerInfo; source?: MountSource }> = [];
  for (const g of backupOrder(selected)) {
    const container = await gatewayContainer(engine, fed.name, g.id);
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

  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  say(`writing ${file}`);
  const w = await ArchiveWriter.open(file, { level: opts.level });
  const skipped: Skipped[] = [];
  const warnings: string[] = [];
  const gatewaysOut: GatewayBackup[] = [];
  const entries: GatewayEntry[] = [];
  const knowledge: Record<string, string> = {};
  try {
    // The spec, exactly the bytes whose hash the manifest records.
    const specText = await readFile(opts.spec);
    // A spec file name an archive may not carry (control characters …) is stored as spec.yaml.
    const specName = "error" in checkMemberPath(`spec/${path.basename(opts.spec)}`) ? "spec.yaml" : path.basename(opts.spec);
    const specMember = `spec/${specName}`;
    const specSha = (await w.addFile(specMember, specText.length, specText, { mode: 0o644, uid: 0, gid: 0, mtime: Math.floor(created.getTime() / 1000) })).sha256!;
    if (specSha !== ctx.loaded.sha256) throw new RuntimeError(`${opts.spec} changed while the backup started; run it again`);

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

    if (opts.withKnowledge) {
      const names = new Set(selected.flatMap((g) => g.knowledge.map((k) => k.name)));
      for (const k of fed.knowledge.filter((x) => names.has(x.name))) {
        say(`knowledge ${k.name} (${k.hostPath})`);
        const s = await addHostTree(w, k.hostPath, `knowledge/${k.name}`, skipped);
        if (s.dirs > 0) knowledge[k.name] = k.hostPath;
      }
    }

    for (const { g, container, source } of plan) {
      if (opts.signal?.aborted) throw new RuntimeError(`interrupted before ${g.id}; no archive was written, and every gateway runs as before`);
      // The image the state was last run with: the container's, else the generated compose file's.
      const image = container?.imageId ?? (await composeImage(ctx, g.id)) ?? g.image;
      const openclawVersion = await imageOpenclawVersion(engine, image, fed.name);
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
          hide,
        );
        out.stateFiles = 1;
        out.stateBytes = live.size;
        await addHostTree(w, path.join(ctx.outDir, "workspaces", g.id), workspacePrefix(g.id), skipped);
      } else {
        const tStop = performance.now();
        if (wasRunning) {
          say(`${g.id}: stopping`);
          await engine.stop(container!.id, container!.stopTimeoutS ?? STOP_TIMEOUT_S);
        }
        let copyError: unknown;
        try {
          say(`${g.id}: copying its state (${src.kind === "volume" ? `volume ${src.name}` : src.path}) and workspace`);
          const tick = byteTicker(say, `${g.id}: state`);
          const collided: string[] = [];
          await readState(
            engine,
            { image, source: src, federation: fed.name },
            {
              entry: async (e, body) => {
                const member = e.rel ? `${statePrefix(g.id)}/${e.rel}` : statePrefix(g.id);
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
              skip: (rel, reason) => skipped.push({ path: `${statePrefix(g.id)}/${rel}`, reason }),
            },
          );
          await addHostTree(w, path.join(ctx.outDir, "workspaces", g.id), workspacePrefix(g.id), skipped);
        } catch (err) {
          copyError = err;
        }
        if (wasRunning) {
          say(`${g.id}: starting again`);
          await engine.start(container!.id);
          const gate = await gateStarted({ engine, get, clock, containerId: container!.id, timeoutMs: opts.healthTimeoutMs ?? HEALTH_TIMEOUT_MS, onChange: (l) => say(`${g.id}: ${l}`) });
          out.downMs = Math.round(performance.now() - tStop);
          if (!gate.ok) {
            const msg = `${g.id} did not come back after its copy: ${gate.reason}`;
            if (copyError) throw copyError;
            throw new RuntimeError(msg, { next: `clawfed logs ${opts.spec} ${g.id}` });
          }
          say(`${g.id}: started again (down ${(out.downMs / 1000).toFixed(1)} s)`);
        }
        if (copyError) throw copyError;
      }
      gatewaysOut.push(out);
      entries.push({
        id: g.id,
        role: g.role,
        image,
        // Read from the image: recorded only when it is a plain version (the manifest carries no odd text).
        ...(openclawVersion && VERSION_PATTERN.test(openclawVersion) ? { openclawVersion } : {}),
        stateSource: src.kind === "volume" ? { kind: "volume", volume: src.name } : { kind: "bind", dir: path.relative(ctx.outDir, src.path) },
        capture: opts.live ? "live" : "stopped",
        wasRunning,
      });
    }

    if (opts.signal?.aborted) throw new RuntimeError("interrupted; no archive was written, and every gateway runs as before");
    say("writing the manifest");
    // Skipped names may hold characters a manifest (or a terminal) may not carry: written as \u{…} escapes.
    const shownSkipped = skipped.map((s) => ({ path: escapeUnsafe(s.path), reason: escapeUnsafe(s.reason) }));
    const res = await w.finish((members: Member[]): Manifest => ({
      format: FORMAT,
      formatVersion: FORMAT_VERSION,
      createdAt: created.toISOString(),
      clawfedVersion: CLAWFED_VERSION,
      openclawVersion: fed.openclawVersion,
      federation: fed.name,
      spec: { file: specName, sha256: specSha, member: specMember },
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
    for (const s of shownSkipped) warnings.push(`skipped ${s.path}: ${s.reason}`);
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
      warnings,
      holdsSecrets: true,
      seconds: (performance.now() - t0) / 1000,
    };
  } catch (err) {
    await w.abort();
    if (err instanceof RuntimeError || err instanceof SpecError) throw err;
    throw new RuntimeError(`backup of ${fed.name} failed: ${hide((err as Error).message ?? String(err))}`, { cause: err });
  }
}
