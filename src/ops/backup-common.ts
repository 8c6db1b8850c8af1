/**
 * What backup and restore share: constants, option and result types, gateway selection and order,
 * where a gateway's container and state are, and the byte ticker of long copies.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { projectResource, stateVolume } from "../vocabulary/names.js";
import { LABELS } from "../vocabulary/labels.js";
import type { GatewayModel } from "../federation/normalize.js";
import type { ArchiveWriter, WriterOptions } from "../runtime/backup/archive-writer.js";
import type { Skipped } from "../runtime/backup/host.js";
import type { Clock } from "../runtime/clock.js";
import type { ContainerInfo, Engine, MountSource } from "../runtime/docker/types.js";
import type { HttpGet } from "../runtime/health.js";
import { pickGateways, type FederationContext } from "./context.js";

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
  /** Milliseconds the whole operation took. */
  ms: number;
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

/**
 * The default archive path of a federation at `when` that no file holds yet: a name taken (two
 * backups in one second) gets a suffix `-2`, `-3` …
 */
export async function unusedArchivePath(outDir: string, federation: string, when: Date): Promise<string> {
  const exists = (p: string) => stat(p).then(() => true, () => false);
  let file = defaultArchivePath(outDir, federation, when);
  for (let n = 2; await exists(file); n++) file = file.replace(/(-\d+)?\.tar\.gz$/, `-${n}.tar.gz`);
  return file;
}

/** Spokes first (sorted), the hub last. */
export function backupOrder(gateways: GatewayModel[]): GatewayModel[] {
  return [...gateways].sort((a, b) => (a.role === b.role ? (a.id < b.id ? -1 : 1) : a.role === "hub" ? 1 : -1));
}

/** Check `--only` against the spec. @throws UsageError naming the unknown ids (exit 2). */
export function selectGateways(ctx: FederationContext, only: string[] | undefined, flag = "--only"): GatewayModel[] {
  return pickGateways(ctx.fed, only, flag);
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

/** One backup run: what every step shares. */
export interface BackupJob {
  ctx: FederationContext;
  opts: BackupOptions;
  say: (line: string) => void;
  hide: (text: string) => string;
  engine: Engine;
  get: HttpGet;
  clock: Clock;
  w: ArchiveWriter;
  skipped: Skipped[];
}

/** A gateway to capture, as checked before anything is touched. */
export interface PlannedGateway {
  g: GatewayModel;
  container?: ContainerInfo;
  source?: MountSource;
}

