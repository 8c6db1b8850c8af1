/**
 * `backup verify`: check an archive (structure, limits, every sha256 of its manifest) and describe
 * it; nothing is extracted or changed.
 */
import { type ArchiveLimits } from "../runtime/backup/archive.js";
import { verifyArchive } from "../runtime/backup/archive-verify.js";
import { byteTicker } from "./backup-common.js";

/** What a verified archive holds (the `--json` of `clawfed backup verify`). */
export interface VerifyResult {
  ok: true;
  file: string;
  federation: string;
  /** ISO time the archive was made. */
  createdAt: string;
  clawfedVersion: string;
  openclawVersion: string;
  specSha256: string;
  gateways: Array<{ id: string; capture: "stopped" | "live"; openclawVersion: string | null }>;
  /** It holds .env, the generated files and the mailbox. */
  shared: boolean;
  knowledge: string[];
  files: number;
  dirs: number;
  contentBytes: number;
  compressedBytes: number;
  skipped: Array<{ path: string; reason: string }>;
  /** Milliseconds the verification took. */
  ms: number;
}

/**
 * Verify `file`.
 * @throws ArchiveError (exit 1) naming the member and the reason when the archive is refused
 */
export async function verifyBackup(file: string, opts: { limits?: Partial<ArchiveLimits>; onProgress?: (line: string) => void } = {}): Promise<VerifyResult> {
  const t0 = performance.now();
  const say = opts.onProgress ?? (() => undefined);
  say(`verifying ${file}`);
  const v = await verifyArchive(file, { limits: opts.limits, onBytes: byteTicker(say, "verified") });
  const m = v.manifest;
  return {
    ok: true,
    file: v.file,
    federation: m.federation,
    createdAt: m.createdAt,
    clawfedVersion: m.clawfedVersion,
    openclawVersion: m.openclawVersion,
    specSha256: m.spec.sha256,
    gateways: m.gateways.map((g) => ({ id: g.id, capture: g.capture, openclawVersion: g.openclawVersion ?? null })),
    shared: m.shared,
    knowledge: Object.keys(m.knowledge),
    files: v.files,
    dirs: v.dirs,
    contentBytes: m.totals.bytes,
    compressedBytes: v.compressedBytes,
    skipped: m.skipped,
    ms: Math.round(performance.now() - t0),
  };
}
