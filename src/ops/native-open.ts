/**
 * A native federation as the operations open it: constants, option and status types, the
 * generated PM2 ecosystem, and `open` (load the spec, regenerate when asked, find the root).
 */
import { readFile } from "node:fs/promises";
import { parse as parseDotenv } from "dotenv";
import path from "node:path";
import { planEnv } from "../vocabulary/env-plan.js";
import { RuntimeError } from "../errors.js";
import { loadSpecFile } from "../federation/load.js";
import type { Federation } from "../federation/normalize.js";
import type { Clock } from "../runtime/clock.js";
import type { HttpGet } from "../runtime/health.js";
import type { Pm2Context, Pm2Proc } from "../runtime/native/pm2.js";
import { procfsAvailable } from "../runtime/native/procs.js";
import { rememberSecrets, secretValues } from "../runtime/redact.js";
import { pm2Home, ROOT_FILES } from "../vocabulary/host-layout.js";
import { defaultNativeRoot, generate } from "./generate.js";

/** Default wait for every gateway to be healthy (ms); a gateway takes 10-20 s alone, longer under load. */
export const NATIVE_HEALTH_TIMEOUT_MS = 240_000;
/** How long a replaced or stopped gateway gets after SIGTERM before SIGKILL (ms). */
export const STOP_GRACE_MS = 30_000;
/** PM2 app name of the log rotation module. */
export const LOGROTATE_APP = "clawfed-logrotate";
/** pm2-logrotate settings: rotate a log at 10 MiB or daily, keep 5 (pm2-logrotate README). */
export const LOGROTATE_CONF = { max_size: "10M", retain: "5", compress: false, workerInterval: "30", rotateInterval: "0 0 * * *", rotateModule: true };

/** A PM2 app of the generated ecosystem (the fields clawfed compares). */
export interface EcosystemApp {
  name: string;
  script: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  out_file: string;
  error_file: string;
}

export interface NativeOptions {
  /** Federation spec path. */
  spec: string;
  /** Root of the native federation; default `~/.clawfed/<federation>`. */
  root?: string;
  /** Progress lines (stderr in the CLI). */
  onProgress?: (line: string) => void;
  clock?: Clock;
  get?: HttpGet;
}

export interface UpOptions extends NativeOptions {
  /** Max wait for health (ms); default {@link NATIVE_HEALTH_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Regenerate the native files first (default true). */
  generate?: boolean;
  /** Generate into a non-empty root clawfed did not create (see writeArtifacts). */
  force?: boolean;
}

export interface RestartOptions extends UpOptions {
  /** Gateways to restart; default all. */
  gateways?: string[];
}

export interface GatewayStatus {
  id: string;
  port: number;
  url: string;
  /** PM2's status of the app (online, waiting restart, errored, …), or `absent`. */
  pm2: string;
  /** Pid of the gateway process PM2 supervises (0 when none). */
  pid: number;
  /** Gateway processes of this root that PM2 does not supervise (left by a dead supervisor). */
  orphans: number[];
  /** PM2 restarts so far. */
  restarts: number;
  /** Delay PM2 waited before the last automatic restart (ms); grows on repeated crashes. */
  restartDelayMs: number;
  /** Milliseconds since PM2 last started it. */
  uptimeMs?: number;
  /** Resident memory of the gateway's whole process tree (bytes). */
  rssBytes: number;
  probes: { live: boolean; started: boolean; ready: boolean; failing: string[]; error?: string };
  /** Supervised, live and started. */
  healthy: boolean;
}

export interface NativeStatus {
  federation: string;
  root: string;
  pm2Home: string;
  supervisor: { running: boolean; pid?: number };
  gateways: GatewayStatus[];
  /** Every gateway healthy and supervised. */
  healthy: boolean;
}

export interface Opened {
  fed: Federation;
  specFile: string;
  root: string;
  ctx: Pm2Context;
  ecosystemPath: string;
  apps: EcosystemApp[];
}

function requireProcfs(): void {
  if (!procfsAvailable()) {
    throw new RuntimeError("clawfed native needs Linux (it reads /proc to find gateway processes)", {
      next: "on macOS use `clawfed generate --target launchd`; elsewhere run the gateways under Docker with `clawfed generate`",
    });
  }
}

async function readEcosystem(file: string): Promise<EcosystemApp[] | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new RuntimeError(`cannot read ${file}`, { cause: err });
  }
  const apps = (JSON.parse(text) as { apps?: EcosystemApp[] }).apps;
  if (!Array.isArray(apps)) throw new RuntimeError(`${file} has no apps list`, { next: "clawfed generate --target native <spec>" });
  return apps;
}

export async function open(opts: NativeOptions & { generate?: boolean; force?: boolean }): Promise<Opened> {
  requireProcfs();
  let fed: Federation;
  let specFile: string;
  let root: string;
  if (opts.generate) {
    const res = await generate({ spec: opts.spec, target: "native", force: opts.force, ...(opts.root ? { root: opts.root } : {}) });
    for (const w of res.warnings) opts.onProgress?.(`warning: ${w}`);
    const loaded = await loadSpecFile(opts.spec, { target: "native" });
    fed = loaded.federation;
    specFile = loaded.file;
    root = res.root!;
    if (res.written.length > 0) opts.onProgress?.(`${fed.name}: generated ${res.written.length} file(s) in ${root}`);
  } else {
    const loaded = await loadSpecFile(opts.spec, { target: "native" });
    fed = loaded.federation;
    specFile = loaded.file;
    root = path.resolve(opts.root ?? defaultNativeRoot(fed.name));
  }
  // The root's .env holds every token: what the CLI prints is redacted of them (runtime/redact.ts).
  rememberSecrets(secretValues(parseDotenv(await readFile(path.join(root, ".env"), "utf8").catch(() => "")), planEnv(fed)));
  const ecosystemPath = path.join(root, ROOT_FILES.ecosystem);
  const apps = (await readEcosystem(ecosystemPath)) ?? [];
  const home = pm2Home(root);
  const nodeDirs = [...new Set(apps.map((a) => path.dirname(a.script)))];
  return { fed, specFile, root, ecosystemPath, apps, ctx: { home, cwd: root, pathPrefix: nodeDirs } };
}

export function appPort(app: EcosystemApp): number {
  const i = app.args.indexOf("--port");
  return Number(app.args[i + 1]);
}

/** True when PM2 runs `app` exactly as the ecosystem now declares it. */
export function sameDefinition(app: EcosystemApp, p: Pm2Proc): boolean {
  return (
    p.execPath === app.script &&
    p.args.length === app.args.length &&
    p.args.every((a, i) => a === app.args[i]) &&
    p.cwd === app.cwd &&
    p.outLog === app.out_file &&
    p.errLog === app.error_file &&
    Object.entries(app.env).every(([k, v]) => p.env[k] === v)
  );
}


export function gatewayIds(o: Opened): string[] {
  return o.apps.map((a) => a.name);
}
