/**
 * State snapshots of a stopped gateway: a full copy of its state (named volume or bind-mounted
 * directory) into a labelled snapshot volume, and back. OpenClaw's state migrations are one-way
 * (facts §5.4: "a rollback means old image plus matching pre-upgrade state"), so a rollout takes
 * one before a new image touches the state, and a rollback restores it.
 *
 * Copies run in a throw-away container of the gateway's own image (it has `node`; no other tool
 * is assumed), as root, without network, and keep modes, owners, times and symlinks.
 */
import { projectResource, stateVolume } from "../vocabulary/names.js";
import { LABELS } from "../vocabulary/labels.js";
import { STATE_COMPILE_CACHE_NAME } from "../vocabulary/compile-cache.js";
import { RuntimeError } from "../errors.js";
import type { Engine, Labels, MountSource } from "./docker/types.js";

/** Milliseconds a copy may take (state is SQLite files and small JSON: seconds at most). */
export const COPY_TIMEOUT_MS = 10 * 60_000;

/**
 * Copies the contents of argv[1] into argv[2] after emptying argv[2]; prints one JSON line
 * `{"files":n,"bytes":n,"skipped":n}`. Sockets, FIFOs, devices and entries that vanish while
 * they are copied (a live state) are skipped, and so is the
 * gateway's compile cache at the top (regenerable; thousands of files a rollout need not copy),
 * and the top-level entries named in argv[3] (a JSON array; optional).
 */
export const COPY_SCRIPT = `
const fs = require("fs"), p = require("path");
const [src, dst, omitJson] = process.argv.slice(1);
const omit = new Set(omitJson ? JSON.parse(omitJson) : []);
let files = 0, bytes = 0, skipped = 0;
for (const n of fs.readdirSync(dst)) fs.rmSync(p.join(dst, n), { recursive: true, force: true });
function attrs(d, st) { fs.lchownSync(d, st.uid, st.gid); fs.chmodSync(d, st.mode & 0o7777); fs.utimesSync(d, st.atime, st.mtime); }
function copy(s, d) {
  // A live state (an upgrade rehearsal copies a running gateway's) loses files while it is read:
  // what vanished between listing and copying is left out, counted with the skipped.
  try { copyOne(s, d); } catch (e) { if (e.code !== "ENOENT") throw e; skipped++; }
}
function copyOne(s, d) {
  const st = fs.lstatSync(s);
  if (st.isDirectory()) { fs.mkdirSync(d); for (const n of fs.readdirSync(s)) copy(p.join(s, n), p.join(d, n)); attrs(d, st); }
  else if (st.isSymbolicLink()) { fs.symlinkSync(fs.readlinkSync(s), d); fs.lchownSync(d, st.uid, st.gid); }
  else if (st.isFile()) { fs.copyFileSync(s, d); attrs(d, st); files++; bytes += st.size; }
  else skipped++;
}
// The gateway's own compile cache (src/vocabulary/compile-cache.ts) is not state: Node rebuilds it.
for (const n of fs.readdirSync(src)) if (n !== ${JSON.stringify(STATE_COMPILE_CACHE_NAME)} && !omit.has(n)) copy(p.join(src, n), p.join(dst, n));
attrs(dst, fs.statSync(src));
console.log(JSON.stringify({ files, bytes, skipped }));
`;

export interface CopyResult {
  files: number;
  bytes: number;
  skipped: number;
  ms: number;
}

/** `{kind:"volume",name}` → `volume x`; bind → the path. */
export function describeSource(s: MountSource): string {
  return s.kind === "volume" ? `volume ${s.name}` : s.path;
}

/**
 * Replace the contents of `to` with a copy of `from`, using `image` (which must have `node`);
 * `omit`: top-level entries of `from` not copied.
 * @throws RuntimeError with the job's output when the copy fails
 */
export async function copyTree(engine: Engine, o: { image: string; from: MountSource; to: MountSource; labels: Labels; timeoutMs?: number; omit?: string[] }): Promise<CopyResult> {
  const t0 = performance.now();
  const res = await engine.runJob({
    image: o.image,
    entrypoint: ["node"],
    cmd: ["-e", COPY_SCRIPT, "/clawfed-from", "/clawfed-to", ...(o.omit?.length ? [JSON.stringify(o.omit)] : [])],
    user: "0:0",
    mounts: [
      { source: o.from, target: "/clawfed-from", readOnly: true },
      { source: o.to, target: "/clawfed-to" },
    ],
    labels: { ...o.labels, [LABELS.kind]: "job" },
    timeoutMs: o.timeoutMs ?? COPY_TIMEOUT_MS,
  });
  const last = res.output.trim().split("\n").pop() ?? "";
  let parsed: { files?: number; bytes?: number; skipped?: number } = {};
  try {
    parsed = JSON.parse(last) as typeof parsed;
  } catch {
    /* reported below */
  }
  if (res.exitCode !== 0 || typeof parsed.files !== "number") {
    throw new RuntimeError(`copying ${describeSource(o.from)} to ${describeSource(o.to)} failed (exit code ${res.exitCode}): ${res.output.trim().split("\n").slice(-5).join(" | ")}`);
  }
  return { files: parsed.files, bytes: parsed.bytes ?? 0, skipped: parsed.skipped ?? 0, ms: performance.now() - t0 };
}

/** `20260918T101502Z`-style stamp for snapshot names (UTC, second precision). */
export function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

/** Name of a gateway's snapshot volume. */
export function snapshotVolumeName(federation: string, id: string, wallMs: number): string {
  return `${projectResource(federation, stateVolume(id))}.snapshot-${stamp(wallMs).toLowerCase()}`;
}

/** Labels of a gateway's snapshot volume. */
export function snapshotLabels(federation: string, id: string): Labels {
  return { [LABELS.federation]: federation, [LABELS.managed]: "true", [LABELS.gateway]: id, [LABELS.kind]: "snapshot" };
}
