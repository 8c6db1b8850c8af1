/**
 * A gateway's state (its named volume, or the bind-mounted state directory of a sandboxed
 * gateway) moved through the Docker Engine without pulling anything:
 * - read: a helper container of the gateway's own image is created (never started) with the state
 *   mounted at /clawfed/state, and the Engine's archive API streams it out;
 * - write: a throw-away job of the same image empties the state, then the archive API streams the
 *   backup into a helper, keeping owners and modes;
 * - live: `openclaw backup create --verify` runs inside the running gateway (docker exec), and its
 *   archive is copied out with the archive API; restoring it runs `openclaw backup restore` in a job.
 */
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import * as tarStream from "tar-stream";
import { inStateCompileCache } from "../../vocabulary/compile-cache.js";
import { LABELS } from "../../vocabulary/labels.js";
import { RuntimeError } from "../../errors.js";
import type { Engine, Labels, MountSource } from "../docker/types.js";
import { checkMemberPath, type EntryInfo } from "./archive.js";
import { eachTarEntry } from "./tar-read.js";

/** Where helpers mount the state; archive entries are then named `state/…`. */
const HELPER_PARENT = "/clawfed";
const HELPER_STATE = `${HELPER_PARENT}/state`;
/** Milliseconds a job (emptying the state, an OpenClaw restore) may take. */
export const JOB_TIMEOUT_MS = 10 * 60_000;
/** Milliseconds `openclaw backup create --verify` may take inside a gateway. */
export const LIVE_BACKUP_TIMEOUT_MS = 10 * 60_000;
/** The OpenClaw CLI inside the image (facts §5.1, src/runtime/image/recipe.ts). */
const OPENCLAW_CLI = ["node", "/app/openclaw.mjs"];

export function helperLabels(federation: string): Labels {
  return { [LABELS.federation]: federation, [LABELS.managed]: "true", [LABELS.kind]: "backup-helper" };
}

/** A state member as read from the engine: path relative to the state root ("" for the root). */
export type StateEntry = Omit<EntryInfo, "path"> & { rel: string };

/**
 * Stream a state out of the engine. `onFile`/`onDir` are called in archive order; the workspace
 * (a separate bind mount inside the state directory of a running gateway) never appears because
 * the helper mounts only the state. Links, devices and odd names are reported to `onSkip`.
 */
export async function readState(
  engine: Engine,
  o: { image: string; source: MountSource; federation: string },
  on: { entry: (e: StateEntry, body: AsyncIterable<Buffer> | null) => Promise<void>; skip: (rel: string, reason: string) => void },
): Promise<void> {
  const helper = await engine.createIdle({ image: o.image, mounts: [{ source: o.source, target: HELPER_STATE, readOnly: true }], labels: helperLabels(o.federation) });
  try {
    const tar = await engine.getArchive(helper, HELPER_STATE);
    if (!tar) throw new RuntimeError(`the state of ${describe(o.source)} could not be read (the engine found no ${HELPER_STATE} in the helper container)`);
    const extract = tarStream.extract();
    let failure: unknown;
    const done = eachTarEntry(extract, async (header, stream) => {
      const raw = (header.name ?? "").replace(/\/+$/, "");
      const rel = raw === "state" ? "" : raw.startsWith("state/") ? raw.slice("state/".length) : undefined;
      if (rel === undefined) throw new RuntimeError(`unexpected entry ${raw} in the engine's archive of ${describe(o.source)}`);
      // Node rebuilds the compile cache; see inStateCompileCache for why it is never backed up.
      if (inStateCompileCache(rel)) return;
      if (header.type !== "file" && header.type !== "directory") {
        on.skip(rel, `${header.type === "symlink" ? "a symbolic link" : header.type === "link" ? "a hard link" : `a ${header.type}`}; only regular files and directories are backed up`);
        return;
      }
      if (rel && "error" in checkMemberPath(rel)) {
        on.skip(rel, "its name cannot be stored safely");
        return;
      }
      const e: StateEntry = {
        rel,
        type: header.type === "file" ? "file" : "dir",
        size: header.type === "file" ? header.size ?? 0 : 0,
        mode: (header.mode ?? 0) & 0o7777,
        uid: header.uid ?? 0,
        gid: header.gid ?? 0,
        mtime: Math.floor((header.mtime?.getTime() ?? 0) / 1000),
      };
      await on.entry(e, e.type === "file" ? stream : null);
    });
    tar.on("error", (err) => {
      failure ??= err;
      extract.destroy(err);
    });
    tar.pipe(extract as unknown as NodeJS.WritableStream);
    failure ??= await done;
    tar.destroy();
    if (failure) throw failure instanceof RuntimeError ? failure : new RuntimeError(`reading the state of ${describe(o.source)} failed: ${(failure as Error).message}`, { cause: failure });
  } finally {
    await engine.remove(helper, { force: true });
  }
}

export function describe(s: MountSource): string {
  return s.kind === "volume" ? `volume ${s.name}` : s.path;
}

/** Empties argv[1] (keeps the directory itself). */
const EMPTY_SCRIPT = `
const fs = require("fs"), p = require("path");
const d = process.argv[1];
let n = 0;
for (const x of fs.readdirSync(d)) { fs.rmSync(p.join(d, x), { recursive: true, force: true }); n++; }
console.log(JSON.stringify({ removed: n }));
`;

/**
 * Remove everything inside a state (volume or bind) with a throw-away job of `image`, as root.
 * @throws RuntimeError with the job's output when it fails
 */
export async function emptyState(engine: Engine, o: { image: string; source: MountSource; federation: string }): Promise<void> {
  const res = await engine.runJob({
    image: o.image,
    entrypoint: ["node"],
    cmd: ["-e", EMPTY_SCRIPT, HELPER_STATE],
    user: "0:0",
    mounts: [{ source: o.source, target: HELPER_STATE }],
    labels: { ...helperLabels(o.federation), [LABELS.kind]: "job" },
    timeoutMs: JOB_TIMEOUT_MS,
  });
  if (res.exitCode !== 0) throw new RuntimeError(`emptying ${describe(o.source)} before the restore failed (exit code ${res.exitCode}): ${lastLines(res.output)}`);
}

function lastLines(text: string, n = 5): string {
  return text.trim().split("\n").slice(-n).join(" | ");
}

/**
 * A writer of one state: entries go into a tar stream that the engine extracts into the state
 * (through a helper container) as they come. Call `add` for the root ("" rel) and every member,
 * then `close` (which waits for the engine) or `abort`.
 */
export class StateWriter {
  private readonly pack = tarStream.pack();
  private readonly body = new PassThrough({ highWaterMark: 1 << 20 });
  private put?: Promise<void>;
  private helper?: string;

  private constructor(private readonly engine: Engine) {}

  static async open(engine: Engine, o: { image: string; source: MountSource; federation: string }): Promise<StateWriter> {
    const w = new StateWriter(engine);
    w.helper = await engine.createIdle({ image: o.image, mounts: [{ source: o.source, target: HELPER_STATE }], labels: helperLabels(o.federation) });
    w.pack.on("error", () => undefined);
    const pump = (async () => {
      for await (const chunk of w.pack as AsyncIterable<Buffer>) {
        if (!w.body.write(chunk)) await new Promise<void>((r) => w.body.once("drain", r));
      }
      w.body.end();
    })();
    w.put = Promise.all([pump, engine.putArchive(w.helper, HELPER_PARENT, w.body)]).then(() => undefined);
    w.put.catch(() => undefined);
    return w;
  }

  async add(e: Pick<EntryInfo, "type" | "size" | "mode" | "uid" | "gid" | "mtime">, rel: string, body: AsyncIterable<Buffer> | null): Promise<void> {
    if (inStateCompileCache(rel)) {
      for await (const _ of body ?? []) void _; // an archive's compile cache is code: never restored
      return;
    }
    const header: tarStream.Header = {
      name: rel ? `state/${rel}` : "state",
      type: e.type === "file" ? "file" : "directory",
      size: e.type === "file" ? e.size : 0,
      // setuid/setgid bits are dropped: nothing in a gateway's state needs them.
      mode: e.mode & 0o1777,
      uid: e.uid,
      gid: e.gid,
      mtime: new Date(e.mtime * 1000),
      linkname: "",
      uname: "",
      gname: "",
      devmajor: 0,
      devminor: 0,
    };
    if (e.type === "dir") {
      await new Promise<void>((resolve, reject) => this.pack.entry(header, (err) => (err ? reject(err) : resolve())));
      return;
    }
    let cbErr: Error | null | undefined;
    let finished!: () => void;
    const written = new Promise<void>((r) => (finished = r));
    const sink = this.pack.entry(header, (err) => {
      cbErr = err;
      finished();
    });
    sink.on("error", () => undefined);
    for await (const chunk of body ?? []) if (!sink.write(chunk)) await new Promise<void>((r) => sink.once("drain", r));
    sink.end(undefined);
    await Promise.race([written, this.put!.then(() => undefined)]);
    if (cbErr) throw cbErr;
  }

  /** Finish the tar stream and wait until the engine has extracted it. */
  async close(): Promise<void> {
    try {
      this.pack.finalize();
      await this.put;
    } finally {
      await this.engine.remove(this.helper!, { force: true });
    }
  }

  async abort(): Promise<void> {
    this.pack.destroy(undefined as unknown as Error);
    this.body.destroy();
    await this.put?.catch(() => undefined);
    await this.engine.remove(this.helper!, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Live capture (openclaw backup create --verify inside a running gateway)

export interface LiveArchive {
  /** Bytes of OpenClaw's archive. */
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  /** What `backup create --json` reported. */
  report: { archivePath?: string; verified?: boolean; skippedVolatileCount?: number };
}

/**
 * Run `openclaw backup create --verify --no-include-workspace` inside a running gateway (the
 * workspace is backed up from the host), then stream the archive out to `sink` and delete it from
 * the container.
 * @throws RuntimeError with OpenClaw's own message when the backup or its verification fails
 */
export async function captureLive(engine: Engine, containerId: string, gateway: string, sink: (a: LiveArchive, body: AsyncIterable<Buffer>) => Promise<void>, secrets: (s: string) => string): Promise<LiveArchive> {
  const name = `clawfed-live-${gateway}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.tar.gz`;
  const inside = `/tmp/${name}`;
  const res = await engine.exec(containerId, [...OPENCLAW_CLI, "backup", "create", "--verify", "--no-include-workspace", "--output", inside, "--json"], { timeoutMs: LIVE_BACKUP_TIMEOUT_MS });
  try {
    if (res.exitCode !== 0) {
      throw new RuntimeError(`openclaw backup create --verify failed in ${gateway} (exit code ${res.exitCode}): ${secrets(lastLines(`${res.stderr}\n${res.stdout}`))}`);
    }
    let report: LiveArchive["report"] = {};
    try {
      report = JSON.parse(res.stdout.slice(res.stdout.indexOf("{"))) as LiveArchive["report"];
    } catch {
      /* text output: the file is still where we asked */
    }
    if (report.verified === false) throw new RuntimeError(`openclaw backup create in ${gateway} did not verify its archive`);
    const tar = await engine.getArchive(containerId, inside);
    if (!tar) throw new RuntimeError(`openclaw backup create in ${gateway} reported success but ${inside} does not exist`);
    let result: LiveArchive | undefined;
    const extract = tarStream.extract();
    const done = eachTarEntry(extract, async (header, stream) => {
      if (result || header.type !== "file") throw new RuntimeError(`unexpected ${header.type} ${header.name} in the engine's copy of ${inside}`);
      result = {
        size: header.size ?? 0,
        mode: (header.mode ?? 0o600) & 0o7777,
        uid: header.uid ?? 0,
        gid: header.gid ?? 0,
        mtime: Math.floor((header.mtime?.getTime() ?? 0) / 1000),
        report,
      };
      await sink(result, stream);
    });
    tar.on("error", (err) => extract.destroy(err));
    tar.pipe(extract as unknown as NodeJS.WritableStream);
    const failure = await done;
    if (failure) throw failure;
    if (!result) throw new RuntimeError(`the engine's copy of ${inside} from ${gateway} was empty`);
    return result;
  } finally {
    await engine.exec(containerId, ["node", "-e", "require('fs').rmSync(process.argv[1], { force: true })", inside], { timeoutMs: 30_000 }).catch(() => undefined);
  }
}

/**
 * Restores argv[1] (an `openclaw backup create` archive) with `openclaw backup restore` into a
 * fresh staging directory, then copies the state asset into the (empty) state directory argv[2]
 * and gives it to uid/gid 1000. Prints one JSON line.
 */
const LIVE_RESTORE_SCRIPT = `
const fs = require("fs"), p = require("path"), cp = require("child_process");
const [archive, state] = process.argv.slice(1);
const stage = fs.mkdtempSync("/tmp/clawfed-stage-");
const target = p.join(stage, "restored");
const out = cp.execFileSync(process.execPath, ["/app/openclaw.mjs", "backup", "restore", archive, "--target", target, "--json"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
const roots = fs.readdirSync(target);
if (roots.length !== 1) throw new Error("unexpected layout of the restored archive: " + roots.join(", "));
const root = p.join(target, roots[0]);
const manifest = JSON.parse(fs.readFileSync(p.join(root, "manifest.json"), "utf8"));
const asset = (manifest.assets || []).find((a) => a.kind === "state");
if (!asset) throw new Error("the OpenClaw archive has no state asset");
const src = p.join(target, asset.archivePath.split("/").slice(1).join("/"));
const srcAlt = p.join(target, asset.archivePath);
const from = fs.existsSync(src) ? src : srcAlt;
fs.cpSync(from, state, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true, force: true });
let n = 0;
(function own(d) { for (const x of fs.readdirSync(d, { withFileTypes: true })) { const q = p.join(d, x.name); fs.lchownSync(q, 1000, 1000); n++; if (x.isDirectory()) own(q); } })(state);
fs.lchownSync(state, 1000, 1000);
fs.rmSync(stage, { recursive: true, force: true });
console.log(JSON.stringify({ restored: n, report: out.length }));
`;

/**
 * Restore a live member into an emptied state: the OpenClaw archive is written to a private host
 * file, mounted read-only into a job of the gateway's image that runs `openclaw backup restore`.
 */
export async function restoreLive(
  engine: Engine,
  o: { image: string; source: MountSource; federation: string; gateway: string },
  body: AsyncIterable<Buffer>,
): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), "clawfed-live-"));
  const file = path.join(dir, "openclaw-backup.tar.gz");
  try {
    const fh = await open(file, "wx", 0o600);
    try {
      for await (const chunk of body) {
        let off = 0;
        while (off < chunk.length) off += (await fh.write(chunk, off)).bytesWritten;
      }
    } finally {
      await fh.close();
    }
    const res = await engine.runJob({
      image: o.image,
      entrypoint: ["node"],
      cmd: ["-e", LIVE_RESTORE_SCRIPT, "/clawfed/in/openclaw-backup.tar.gz", HELPER_STATE],
      user: "0:0",
      mounts: [
        { source: { kind: "bind", path: dir }, target: "/clawfed/in", readOnly: true },
        { source: o.source, target: HELPER_STATE },
      ],
      labels: { ...helperLabels(o.federation), [LABELS.kind]: "job" },
      timeoutMs: JOB_TIMEOUT_MS,
    });
    if (res.exitCode !== 0) throw new RuntimeError(`openclaw backup restore of ${o.gateway}'s live archive failed (exit code ${res.exitCode}): ${lastLines(res.output)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
