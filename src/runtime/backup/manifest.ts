/**
 * The clawfed backup archive format (version 1): one `.tar.gz` whose members live in a few fixed
 * sections, and a `manifest.json` (the last member) that lists every other member with its type,
 * size, sha256, mode and owner.
 *
 * Layout (every path is relative, `/`-separated, without `.` or `..` segments):
 * ```
 * spec/<spec file name>              the spec the federation was generated from
 * files/<relative path>              generated files of the output directory: docker-compose.yml,
 *                                    .env (holds the tokens), gateways/<id>/openclaw.json, README.md,
 *                                    .clawfed/manifest.json
 * comms/<from>--to--<to>/...         the mailbox
 * workspaces/<id>/...                each gateway's workspace (bind-mounted from the output directory)
 * knowledge/<name>/...               knowledge mounts (only with --with-knowledge)
 * state/<id>/...                     a stopped gateway's state directory (/home/node/.openclaw),
 *                                    without the workspace mounted inside it
 * live/<id>.tar.gz                   `openclaw backup create --verify` of a running gateway (--live)
 * manifest.json                      this manifest, last
 * ```
 */
import { z } from "zod";
import { MANIFEST_PATH as GENERATED_MANIFEST } from "../../vocabulary/names.js";
import { ID_PATTERN } from "../../federation/schema.js";

export const FORMAT = "clawfed-backup";
export const FORMAT_VERSION = 1;
export const MANIFEST_MEMBER = "manifest.json";
/** The generated-files list of the output directory (write.ts), as archived; restore writes it back. */
export const GENERATED_MEMBER = `files/${GENERATED_MANIFEST}`;

/** Sections in the order the writer emits them (the manifest comes after all of them). */
export const SECTIONS = ["spec", "files", "comms", "workspaces", "knowledge", "state", "live"] as const;
export type Section = (typeof SECTIONS)[number];

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "a sha256 in lower-case hex");
/** Gateway, federation and knowledge ids: the spec's own rule (federation/schema.ts ID_PATTERN). */
const id = z.string().regex(ID_PATTERN, "an id of the spec's form (a-z, 0-9 and '-')");

/**
 * Characters a manifest string may not hold: C0/C1 controls and DEL (terminal escapes, line
 * breaks), lone surrogates, U+FFFD (what undecodable bytes become), U+2028/U+2029 and bidi
 * overrides (text that prints as something else).
 */
// eslint-disable-next-line no-control-regex
export const UNSAFE_TEXT = /[\p{Cc}\p{Cs}\uFFFD\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;
/** Free text that is printed or shown: no control or invisible characters, at most `max` characters. */
const text = (max = 4096) => z.string().max(max).refine((s) => !UNSAFE_TEXT.test(s), "a string without control or invisible characters");
/** A version string (`2026.9.6`, `0.1.0`, `1.2.3-beta.1+sha`). */
export const VERSION_PATTERN = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/;
const version = z.string().regex(VERSION_PATTERN, "a version such as 2026.9.6");
/** An absolute host path (informative: restore takes every location from the spec). */
const hostPath = text().refine((s) => s.startsWith("/"), "an absolute path");

/** `s` with control and invisible characters written as `\u{…}` escapes (for skipped names). */
export function escapeUnsafe(s: string): string {
  return s.replace(new RegExp(UNSAFE_TEXT.source, "gu"), (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** One member of the archive (a file or a directory). Times are Unix seconds. */
export const Member = z.strictObject({
  path: z.string().min(1),
  type: z.enum(["file", "dir"]),
  /** Bytes; 0 for directories. */
  size: z.number().int().nonnegative(),
  /** sha256 of the content (files only). */
  sha256: sha256.optional(),
  /** Permission bits (0..0o7777). */
  mode: z.number().int().min(0).max(0o7777),
  uid: z.number().int().nonnegative(),
  gid: z.number().int().nonnegative(),
  mtime: z.number().int().nonnegative(),
});
export type Member = z.infer<typeof Member>;

export const GatewayEntry = z.strictObject({
  id,
  role: z.enum(["hub", "spoke"]),
  /** Image the gateway ran (what the state was last written by). */
  image: text(512),
  /** OpenClaw version read from the image's /app/package.json, when readable. */
  openclawVersion: version.optional(),
  /** Where the state lives: a compose named volume, or a host directory relative to the output directory. */
  stateSource: z.discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("volume"), volume: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/, "a Docker volume name") }),
    z.strictObject({ kind: z.literal("bind"), dir: text() }),
  ]),
  /** `stopped`: state/<id>/ is a copy taken while the gateway was stopped; `live`: live/<id>.tar.gz. */
  capture: z.enum(["stopped", "live"]),
  /** Whether the gateway was running when the backup started (it was started again afterwards). */
  wasRunning: z.boolean(),
});
export type GatewayEntry = z.infer<typeof GatewayEntry>;

export const Manifest = z.strictObject({
  format: z.literal(FORMAT),
  formatVersion: z.literal(FORMAT_VERSION),
  /** ISO 8601, UTC. */
  createdAt: z.iso.datetime(),
  clawfedVersion: version,
  /** OpenClaw version the spec pins. */
  openclawVersion: version,
  federation: id,
  /** The spec file's name, its sha256, and the member holding it (`spec/<file>`). */
  spec: z.strictObject({ file: text(255), sha256, member: z.string() }),
  /** Output directory the files came from (informative; restore uses the spec's or --out). */
  outDir: hostPath,
  /** Absolute host directory of the mailbox when the spec sets comms.path; otherwise comms/ in the output directory. */
  commsHostPath: hostPath.optional(),
  /** Gateways included (all of them unless the backup used --only). */
  gateways: z.array(GatewayEntry),
  /** Whether the generated files, .env and mailbox were included (not with --only). */
  shared: z.boolean(),
  /** Knowledge mounts included (name → host path), only with --with-knowledge. */
  knowledge: z.record(id, hostPath),
  /**
   * Files skipped because they were not regular files or directories (symlinks, sockets …) or had
   * names an archive may not carry (those written with escapeUnsafe).
   */
  skipped: z.array(z.strictObject({ path: text(), reason: text() })),
  members: z.array(Member),
  totals: z.strictObject({ files: z.number().int().nonnegative(), dirs: z.number().int().nonnegative(), bytes: z.number().int().nonnegative() }),
});
export type Manifest = z.infer<typeof Manifest>;

/** Section of a member path (`state/korax/x` → `state`), or undefined for an unknown one. */
export function sectionOf(p: string): Section | undefined {
  const head = p.split("/", 1)[0];
  return (SECTIONS as readonly string[]).includes(head ?? "") ? (head as Section) : undefined;
}

/** Member paths of one gateway's stopped-state copy start with this. */
export function statePrefix(id: string): string {
  return `state/${id}`;
}

/** The member holding one gateway's live OpenClaw archive. */
export function liveMember(id: string): string {
  return `live/${id}.tar.gz`;
}

export function workspacePrefix(id: string): string {
  return `workspaces/${id}`;
}

/** True when `p` is `prefix` itself or inside it. */
export function within(p: string, prefix: string): boolean {
  return p === prefix || p.startsWith(`${prefix}/`);
}
