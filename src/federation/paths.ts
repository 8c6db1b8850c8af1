/**
 * Path rules of the spec, written once: which strings may be a path at all (`pathTextProblem`),
 * the one normal form (`normalizePath`), and which places a host folder or a container mount
 * target may not be (`hostPathProblem`, `mountTargetProblem`, `overlap`). The schema checks the
 * text and normalises (schema.ts `SpecPath`); the `mounts` rule (rules.ts) checks the places.
 *
 * Where paths land: compose bind mounts in the short syntax `host:container[:ro]` (Compose
 * Specification, services.volumes short syntax: `:` separates the parts, and `,` separates mount
 * options in `--mount`/long syntax); openclaw.json (JSON); the workspace Markdown; systemd
 * `ReadOnlyPaths=`/`ReadWritePaths=` lines (targets/host/systemd.ts adds its stricter literal-path check);
 * PM2 ecosystem JSON and launchd plists (serialised, escaped). A newline, a control character, a
 * `:` or a `,` could add or split a mount or a unit line, so they are refused here for every target.
 * `$` is not refused here: compose interpolation is escaped by the compose target.
 */
import { CONTAINER_COMMS_DIR, CONTAINER_CONFIG_DIR, CONTAINER_STATE_DIR } from "../vocabulary/names.js";

/** Linux PATH_MAX (bytes, including the terminating NUL): longer paths cannot be opened. */
export const PATH_MAX_BYTES = 4095;

/**
 * Characters refused anywhere in a path: controls (C0 incl. newline and tab, DEL, C1), format
 * characters (zero-width, bidi overrides and isolates, BOM: \p{Cf}), line/paragraph separators,
 * unpaired surrogates, and the compose short-syntax separators `:` and `,`.
 */
const BAD_PATH_CHAR = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}:,]/u;

/** A path problem: what is wrong (completes "<key>: …") and how to fix it. */
export interface PathProblem {
  message: string;
  hint: string;
}

/** `U+001B`-style name of a character, for messages (never the raw character). */
function charName(c: string): string {
  if (c === ":" || c === ",") return `'${c}'`;
  return `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * Why `p` cannot be a path of the spec (host folder or container mount target), or undefined.
 * Refused: not absolute; longer than PATH_MAX; a character of BAD_PATH_CHAR (named by code point);
 * a `..` segment (a path must say where it is, not climb out of somewhere).
 */
export function pathTextProblem(p: string): PathProblem | undefined {
  if (!p.startsWith("/")) return { message: "must be an absolute path", hint: "start it with '/', e.g. /srv/koda/knowledge" };
  if (Buffer.byteLength(p, "utf8") > PATH_MAX_BYTES) return { message: `is longer than ${PATH_MAX_BYTES} bytes (PATH_MAX)`, hint: "use a shorter path" };
  const bad = BAD_PATH_CHAR.exec(p);
  if (bad) {
    const c = bad[0];
    const what = c === ":" || c === "," ? `contains ${charName(c)}, which separates the parts of a compose volume (host:container:mode)` : `contains the control or invisible character ${charName(c)}`;
    return { message: `${what}`, hint: "rename the folder, or link it from a path of letters, digits, '/', '-', '_' and '.'" };
  }
  if (p.split("/").includes("..")) return { message: "contains a '..' segment", hint: "write the path without '..', e.g. /srv/comms instead of /srv/x/../comms" };
  return undefined;
}

/**
 * The one normal form of an absolute path: `//` collapsed, `.` segments removed, no trailing `/`
 * (except the root itself). Does not resolve `..` (refused by pathTextProblem) or symlinks.
 * `/srv//a/./b/` → `/srv/a/b`; `/` and `//.` → `/`.
 */
export function normalizePath(p: string): string {
  const parts = p.split("/").filter((s) => s !== "" && s !== ".");
  return `/${parts.join("/")}`;
}

/** `a` is `b` or inside it (both normalised). */
export function isWithin(a: string, b: string): boolean {
  return a === b || b === "/" || a.startsWith(`${b}/`);
}

/** How two normalised paths relate: the same, one inside the other, or apart. */
export function overlap(a: string, b: string): "same" | "inside" | "above" | undefined {
  if (a === b) return "same";
  if (isWithin(a, b)) return "inside";
  if (isWithin(b, a)) return "above";
  return undefined;
}

/** A reserved place and why it is reserved. */
export interface ReservedPath {
  path: string;
  why: string;
}

/**
 * Container paths a knowledge mount may not be on, inside or above (above would hide them):
 * the gateway's own state (config, sessions and the workspace), the generated config, the mailbox,
 * OpenClaw's install (the image's WORKDIR /app), and the system folders of the image, whose
 * programs, devices and runtime files a mount would shadow. `/` itself is above all of them.
 * Free for knowledge: /shared/<name> (the default), /srv, /opt, /mnt, /media, /data, other homes.
 */
export const RESERVED_CONTAINER_PATHS: ReadonlyArray<ReservedPath> = [
  { path: CONTAINER_STATE_DIR, why: "the gateway's own state directory (config, sessions, workspace)" },
  { path: CONTAINER_CONFIG_DIR, why: "the generated config directory" },
  { path: CONTAINER_COMMS_DIR, why: "the mailbox folders" },
  { path: "/app", why: "OpenClaw's install" },
  ...["/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/root", "/run", "/sbin", "/sys", "/tmp", "/usr", "/var"].map(
    (p): ReservedPath => ({ path: p, why: "a system folder of the image" }),
  ),
];

/** The Docker daemon's sockets (rootful; rootless ones live under /run/user, inside /run). */
export const DOCKER_SOCKETS = ["/var/run/docker.sock", "/run/docker.sock"] as const;

/**
 * Host folders never shared with gateways, on, inside or above: the Docker socket and Docker's
 * own data (either gives control of every container and so of the host, as root), the kernel's
 * and devices' views, configuration and credentials (/etc, /root), runtime sockets, and the
 * system's programs and libraries.
 */
export const RESERVED_HOST_PATHS: ReadonlyArray<ReservedPath> = [
  ...DOCKER_SOCKETS.map((p): ReservedPath => ({ path: p, why: "the Docker socket: whoever can reach it controls Docker, and through it the host as root" })),
  { path: "/var/lib/docker", why: "Docker's data: the files and secrets of every container" },
  { path: "/var/lib/containerd", why: "containerd's data: the files of every container" },
  ...["/proc", "/sys", "/dev"].map((p): ReservedPath => ({ path: p, why: "a kernel or device file system" })),
  { path: "/etc", why: "the host's configuration, including password hashes and keys" },
  { path: "/root", why: "root's home (keys, credentials)" },
  ...["/run", "/var/run"].map((p): ReservedPath => ({ path: p, why: "runtime sockets of the host's services, among them Docker's" })),
  { path: "/boot", why: "the host's kernel and boot files" },
  ...["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/usr"].map((p): ReservedPath => ({ path: p, why: "the host's programs and libraries" })),
];

/**
 * Host folders refused exactly (their sub-folders are fine): shared roots whose content belongs to
 * other users or programs (every home, world-writable temporary folders, mount points).
 */
export const SHARED_HOST_ROOTS: ReadonlyArray<ReservedPath> = [
  ...["/home", "/tmp", "/var/tmp", "/mnt", "/media", "/srv", "/opt"].map((p): ReservedPath => ({ path: p, why: "a shared root of the host (other users' or programs' files), not a folder of its own" })),
];

/**
 * Why the normalised host folder `p` may not be shared with gateways (knowledge.path, comms.path),
 * or undefined: the host root `/` (it contains everything, the Docker socket included); on, inside
 * or above a RESERVED_HOST_PATHS entry; exactly a SHARED_HOST_ROOTS entry; inside any `.openclaw`
 * folder (an OpenClaw state directory, e.g. the host user's own). `what` names the folder in the
 * hint. Symlinks are not followed: the check is on the text (a spec is validated without touching
 * the disk).
 */
export function hostPathProblem(p: string, what = "<name>"): PathProblem | undefined {
  const hint = `use a folder of its own, e.g. /srv/<federation>/${what}`;
  if (p === "/") return { message: "is the host's root folder: it holds everything, the Docker socket (/var/run/docker.sock) included, which gives control of the host as root", hint };
  for (const r of RESERVED_HOST_PATHS) {
    const o = overlap(p, r.path);
    if (o === "same" || o === "inside") return { message: `is ${o === "same" ? "" : `inside ${r.path}, `}${r.why}`, hint };
    if (o === "above") return { message: `contains ${r.path}, ${r.why}`, hint };
  }
  for (const r of SHARED_HOST_ROOTS) if (p === r.path) return { message: `is ${r.why}`, hint };
  if (p.split("/").includes(".openclaw")) return { message: "is inside an OpenClaw state directory (.openclaw: config, tokens, sessions)", hint };
  return undefined;
}

/**
 * Why the normalised container path `p` cannot be a knowledge mount target, or undefined: on,
 * inside or above a RESERVED_CONTAINER_PATHS entry.
 */
export function mountTargetProblem(p: string): PathProblem | undefined {
  const hint = "mount it under /shared/<name>, the default when `mount` is left out";
  if (p === "/") return { message: "is the container's root folder", hint };
  for (const r of RESERVED_CONTAINER_PATHS) {
    const o = overlap(p, r.path);
    if (o === "same") return { message: `is ${r.path}, ${r.why}`, hint };
    if (o === "inside") return { message: `is inside ${r.path}, ${r.why}`, hint };
    if (o === "above") return { message: `contains ${r.path}, ${r.why}: the mount would hide it`, hint };
  }
  return undefined;
}
