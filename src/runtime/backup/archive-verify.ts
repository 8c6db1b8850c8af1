/**
 * Validation of a clawfed backup archive after it was read (archive.ts): the manifest's schema and
 * consistency, the generated-files list, and every member against the manifest (type, size,
 * sha256, mode, owner). `validateArchive` is THE check, shared by `backup verify` and `restore`,
 * so verify refuses at least everything restore refuses. Writes nothing.
 */
import { stat } from "node:fs/promises";
import { ArchiveError, checkMemberPath, foldPath, readArchive, type ArchiveLimits, type ReadResult, type SeenEntry } from "./archive.js";
import { FORMAT, FORMAT_VERSION, GENERATED_MEMBER, Manifest, MANIFEST_MEMBER, sectionOf, type Member } from "./manifest.js";

/** What verification found. */
export interface VerifiedArchive {
  file: string;
  manifest: Manifest;
  /** Bytes of the .tar.gz file. */
  compressedBytes: number;
  /** Uncompressed tar bytes. */
  tarBytes: number;
  files: number;
  dirs: number;
}

/** Parse and validate manifest.json against its schema. @throws ArchiveError */
export function parseManifest(text: Buffer | undefined): Manifest {
  if (!text) throw new ArchiveError("no manifest.json: this is not a clawfed backup (or it is incomplete)");
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(text));
  } catch (err) {
    throw new ArchiveError(`manifest.json is not valid JSON (${(err as Error).message})`, MANIFEST_MEMBER);
  }
  const head = data as { format?: unknown; formatVersion?: unknown };
  if (head?.format !== FORMAT) throw new ArchiveError(`manifest.json does not describe a clawfed backup (format ${JSON.stringify(head?.format)?.slice(0, 80)})`, MANIFEST_MEMBER);
  if (typeof head.formatVersion === "number" && head.formatVersion > FORMAT_VERSION) {
    throw new ArchiveError(`the archive uses backup format ${head.formatVersion}; this clawfed reads format ${FORMAT_VERSION} (upgrade clawfed)`, MANIFEST_MEMBER);
  }
  const parsed = Manifest.safeParse(data);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new ArchiveError(`manifest.json is malformed at ${i.path.map(String).join(".") || "<root>"}: ${i.message}`, MANIFEST_MEMBER);
  }
  return parsed.data;
}

/** A path the manifest names must be a canonical member-style path. @throws ArchiveError */
function listedPath(where: string, p: string, member = MANIFEST_MEMBER): void {
  const c = checkMemberPath(p);
  if ("error" in c || c.path !== p) throw new ArchiveError(`${where} names ${JSON.stringify(p)}, which ${"error" in c ? c.error : "is not canonical (trailing slash)"}`, member);
}

/**
 * The manifest's own consistency, beyond its schema: every path it names (members, the spec
 * member, bind-mounted state folders) obeys the member path rules; no two members collide
 * (exactly, or by case); the gateway list has no duplicate and each gateway has its state;
 * every member of a per-gateway section belongs to a listed gateway (or knowledge mount).
 * @throws ArchiveError naming the first problem
 */
export function checkManifest(manifest: Manifest): Map<string, Member> {
  const listed = new Map<string, Member>();
  const folded = new Map<string, string>();
  for (const m of manifest.members) {
    listedPath("manifest.json", m.path);
    if (m.path === MANIFEST_MEMBER || sectionOf(m.path) === undefined) throw new ArchiveError(`manifest.json lists an invalid member path ${JSON.stringify(m.path)}`, MANIFEST_MEMBER);
    if (listed.has(m.path)) throw new ArchiveError(`manifest.json lists ${m.path} twice`, MANIFEST_MEMBER);
    const other = folded.get(foldPath(m.path));
    if (other !== undefined) throw new ArchiveError(`manifest.json lists ${m.path} and ${other}, which differ only in case or Unicode normalisation`, MANIFEST_MEMBER);
    folded.set(foldPath(m.path), m.path);
    if (m.type === "file" && !m.sha256) throw new ArchiveError(`manifest.json has no sha256 for ${m.path}`, MANIFEST_MEMBER);
    if (m.type === "dir" && (m.size !== 0 || m.sha256 !== undefined)) throw new ArchiveError(`manifest.json gives the folder ${m.path} a size or a checksum`, MANIFEST_MEMBER);
    listed.set(m.path, m);
  }
  listedPath("manifest.json spec.file", manifest.spec.file);
  if (manifest.spec.file.includes("/") || manifest.spec.member !== `spec/${manifest.spec.file}`) {
    throw new ArchiveError(`manifest.json spec.member must be spec/<spec.file> (it is ${JSON.stringify(manifest.spec.member)})`, MANIFEST_MEMBER);
  }
  const specMember = listed.get(manifest.spec.member);
  if (specMember && (specMember.type !== "file" || specMember.sha256 !== manifest.spec.sha256)) {
    throw new ArchiveError(`checksum mismatch for ${manifest.spec.member}: manifest.json records another spec sha256`, MANIFEST_MEMBER);
  }
  const ids = new Set<string>();
  for (const g of manifest.gateways) {
    if (ids.has(g.id)) throw new ArchiveError(`manifest.json lists gateway ${g.id} twice`, MANIFEST_MEMBER);
    ids.add(g.id);
    if (g.stateSource.kind === "bind") listedPath(`manifest.json gateway ${g.id} stateSource.dir`, g.stateSource.dir);
    const need = g.capture === "stopped" ? `state/${g.id}` : `live/${g.id}.tar.gz`;
    const m = listed.get(need);
    if (!m || m.type !== (g.capture === "stopped" ? "dir" : "file")) throw new ArchiveError(`gateway ${g.id}: the archive has no ${need}`, need);
  }
  for (const p of listed.keys()) {
    const [section, owner] = p.split("/");
    if ((section === "state" || section === "workspaces") && owner && !ids.has(owner)) {
      throw new ArchiveError(`member ${p} belongs to gateway ${owner}, which manifest.json does not list`, p);
    }
    if (section === "live" && owner && !ids.has(owner.replace(/\.tar\.gz$/, ""))) throw new ArchiveError(`member ${p} belongs to no listed gateway`, p);
    if (section === "knowledge" && owner && !(owner in manifest.knowledge)) throw new ArchiveError(`member ${p} belongs to knowledge mount ${owner}, which manifest.json does not list`, p);
  }
  return listed;
}

/**
 * Compare what a read saw with the manifest: the same members, and for each the same type, size,
 * sha256, mode and owner. Also checks the manifest's own consistency (checkManifest).
 * @throws ArchiveError naming the first difference.
 */
export function checkAgainstManifest(manifest: Manifest, seen: SeenEntry[]): void {
  const listed = checkManifest(manifest);
  const present = new Set<string>();
  for (const e of seen) {
    if (e.path === MANIFEST_MEMBER) continue;
    present.add(e.path);
    const m = listed.get(e.path);
    if (!m) throw new ArchiveError(`member ${e.path} is not listed in manifest.json (the archive was altered)`, e.path);
    if (m.type !== e.type) throw new ArchiveError(`member ${e.path} is a ${e.type} but manifest.json says ${m.type}`, e.path);
    if (m.type === "file") {
      if (m.size !== e.size) throw new ArchiveError(`member ${e.path} has ${e.size} bytes but manifest.json says ${m.size} (the archive is corrupt or was altered)`, e.path);
      if (m.sha256 !== e.sha256) throw new ArchiveError(`checksum mismatch for ${e.path}: the archive is corrupt or was altered`, e.path);
    }
    if (m.mode !== e.mode || m.uid !== e.uid || m.gid !== e.gid) {
      throw new ArchiveError(`member ${e.path} has mode/owner ${e.mode.toString(8)} ${e.uid}:${e.gid} but manifest.json says ${m.mode.toString(8)} ${m.uid}:${m.gid}`, e.path);
    }
  }
  for (const p of listed.keys()) if (!present.has(p)) throw new ArchiveError(`member ${p} is listed in manifest.json but missing from the archive`, p);
}

/**
 * The generated-files list (`files/.clawfed/manifest.json`, written by `clawfed generate`) that a
 * restore puts back: `generate` later deletes the files it names, so every entry must obey the
 * member path rules (relative, canonical, no `..`, no control characters), once, without case
 * collisions. @throws ArchiveError
 */
export function checkGeneratedList(text: Buffer): void {
  const where = GENERATED_MEMBER;
  let files: unknown;
  try {
    files = (JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(text)) as { files?: unknown } | null)?.files;
  } catch {
    throw new ArchiveError(`${where} is not valid JSON`, where);
  }
  if (files === undefined) return;
  if (!Array.isArray(files)) throw new ArchiveError(`${where} has a "files" entry that is not a list`, where);
  const folded = new Map<string, string>();
  for (const f of files) {
    if (typeof f !== "string") throw new ArchiveError(`${where} lists ${JSON.stringify(f)?.slice(0, 80)}, which is not a string`, where);
    listedPath(where, f, where);
    const other = folded.get(foldPath(f));
    if (other !== undefined) throw new ArchiveError(`${where} lists ${f} and ${other}, which name the same file${other === f ? "" : " on a case-insensitive file system"}`, where);
    folded.set(foldPath(f), f);
  }
}

/**
 * THE validation of an archive, shared by `backup verify` and `restore`: given what readArchive
 * saw (structure already checked member by member), parse the manifest and check it, the
 * generated-files list, and every member against it (type, size, sha256, mode, owner).
 * @returns the manifest. @throws ArchiveError saying why the archive is refused.
 */
export function validateArchive(read: ReadResult): Manifest {
  const manifest = parseManifest(read.manifestText);
  checkAgainstManifest(manifest, read.entries);
  if (read.generatedText) checkGeneratedList(read.generatedText);
  return manifest;
}

/**
 * Verify an archive completely: structure, limits, manifest, generated-files list and every
 * member's sha256 (validateArchive). Reads the whole archive once; writes nothing.
 * @throws ArchiveError saying why it is refused.
 */
export async function verifyArchive(file: string, opts: { limits?: Partial<ArchiveLimits>; onBytes?: (tarBytes: number) => void } = {}): Promise<VerifiedArchive> {
  const res = await readArchive(file, { limits: opts.limits, onBytes: opts.onBytes });
  const manifest = validateArchive(res);
  const compressedBytes = (await stat(file)).size;
  return {
    file,
    manifest,
    compressedBytes,
    tarBytes: res.tarBytes,
    files: res.entries.filter((e) => e.type === "file" && e.path !== MANIFEST_MEMBER).length,
    dirs: res.entries.filter((e) => e.type === "dir").length,
  };
}
