/**
 * clawfed's public library API. The CLI is a thin layer over exactly these calls:
 *
 *   loadFederation (read + validate + normalize a spec) → compile (pure: Federation → files)
 *   → writeArtifacts (the only writer) — or createClawfed(), which chains them and operates the
 *   running federation (up, status, logs, rollout, backup, restore, native …).
 *
 * Everything else under src/ is internal and may change without notice.
 */
import { compile as compileImpl, type CompileOptions as CompileOptionsImpl, type TargetName as TargetNameImpl } from "./targets/registry.js";
import type { Artifact as ArtifactImpl, CompileResult as CompileResultImpl, EnvSlot as EnvSlotImpl } from "./compile/artifact.js";
import { writeArtifacts as writeArtifactsImpl, type WriteOptions as WriteOptionsImpl, type WriteResult as WriteResultImpl } from "./emit/write.js";
import { loadSpecFile, type LoadedSpec } from "./federation/load.js";
import type { Federation as FederationImpl, GatewayModel as GatewayModelImpl } from "./federation/normalize.js";
import { type ArchiveLimits as ArchiveLimitsImpl } from "./runtime/backup/archive.js";
import { verifyArchive as verifyArchiveImpl, type VerifiedArchive as VerifiedArchiveImpl } from "./runtime/backup/archive-verify.js";

export { SpecError, UsageError, RuntimeError, InternalError, formatIssue, type SpecIssue } from "./errors.js";
export { ArchiveError } from "./runtime/backup/archive.js";
export { createClawfed } from "./ops/clawfed.js";
export type {
  Clawfed,
  ClawfedDeps,
  FederationContext,
  FederationRef,
  OpResult,
  OutOptions,
  GenerateOpResult,
  DownOpResult,
  StatusOpResult,
  LogsResult,
  RolloutOpResult,
  RecordOpResult,
  BackupOpResult,
  RestoreOpResult,
  VerifyResult,
  NativeStatusResult,
  NativeDownResult,
} from "./ops/index.js";
export type { UpResult, GatewayUp } from "./ops/up.js";
export type { FederationStatus, GatewayStatus } from "./ops/status.js";
export type { RolloutPlan, RolloutStep, RolloutResult, GatewayRollout } from "./ops/rollout.js";

/**
 * A validated spec: `federation` is the normalized model every other call takes; `spec` the
 * parsed YAML as written (defaults applied); `file` the path as given (used in messages);
 * `sha256` the hex digest of the spec text.
 */
export type LoadedFederation = LoadedSpec;

/**
 * The normalized federation (the model compile takes): `name`, `openclawVersion`, the default
 * `image`, `gateways` (each with id, role, port on 127.0.0.1, model, channels, knowledge, secrets,
 * sandbox, its own image), `routes` (one per link direction and transport), knowledge bases and
 * the comms mailbox.
 */
export type Federation = FederationImpl;

/** One gateway of a {@link Federation}: id, role (`hub` | `spoke`), host port, image, and what it may reach. */
export type GatewayModel = GatewayModelImpl;

/** What to compile for: `compose` (Docker Compose), `native` (PM2), `systemd` units or `launchd` plists. */
export type TargetName = TargetNameImpl;

/**
 * Host facts a native target needs (`root`: absolute folder the gateways run in; `openclaw`:
 * absolute paths of Node ≥ 24.16 and OpenClaw's entry; `systemd`: scope, user, version). Compose
 * needs none.
 */
export type CompileOptions = CompileOptionsImpl;

/**
 * What compile produces: `artifacts` (files and folders relative to the output folder, with mode;
 * secrets never filled in), `env` (the `.env` plan: which variables are generated tokens, user
 * secrets, fixed values or host facts, and which gateways get each) and `warnings`.
 */
export type CompileResult = CompileResultImpl;

/** A file (`path`, `content`, `mode`, `secret`) or folder of a {@link CompileResult}. */
export type Artifact = ArtifactImpl;

/** One variable of the federation's `.env` plan (name, kind, consumers, rotation group). */
export type EnvSlot = EnvSlotImpl;

/** Where and how {@link writeArtifacts} writes: `outDir`, `specFile` (for headers), `rotate`, `dryRun`, `force`. */
export type WriteOptions = WriteOptionsImpl;

/** What {@link writeArtifacts} did: paths `written`, `unchanged`, `removed` (relative), the `.env` summary, warnings. */
export type WriteResult = WriteResultImpl;

/** Limits applied while reading a backup archive: `maxBytes` (uncompressed), `maxEntries`, `maxRatio` (gzip bomb). */
export type ArchiveLimits = ArchiveLimitsImpl;

/** A verified backup archive: its `manifest`, counts of `files` and `dirs`, `compressedBytes`. */
export type VerifiedArchive = VerifiedArchiveImpl;

/**
 * Read, validate and normalize a federation spec (YAML, at most 2 MiB of UTF-8).
 * @param file path of the spec, as it should appear in messages
 * @param opts.target also apply the rules of this target (native targets need spaced ports)
 * @throws SpecError with every problem found, each `file:line:col key: message (hint)`
 */
export function loadFederation(file: string, opts: { target?: TargetName } = {}): Promise<LoadedFederation> {
  return loadSpecFile(file, opts);
}

/**
 * Compile a federation for a target. Pure: no file system, environment, clock or randomness;
 * the same input gives the same bytes.
 * @throws Error for an unknown target name (a bug in the caller)
 */
export function compile(fed: Federation, target: TargetName = "compose", opts: CompileOptions = {}): CompileResult {
  return compileImpl(fed, target, opts);
}

/**
 * Write a compile result into `opts.outDir`: the only writer. Temporary files plus rename, secrets
 * (`.env`) mode 0600 and generated once (kept across runs unless rotated), unchanged files left
 * alone, only files its own manifest lists removed; nothing below the folder is followed.
 * @throws UsageError (exit 2) for a non-empty folder clawfed did not create, without `force`;
 *   RuntimeError (exit 3) when the folder cannot be written safely (the path is named)
 */
export function writeArtifacts(result: CompileResult, opts: WriteOptions): Promise<WriteResult> {
  return writeArtifactsImpl(result, opts);
}

/**
 * Verify a clawfed backup archive without extracting or changing anything: only regular files and
 * folders, no absolute or `..` paths, limits on size, entries and compression ratio, and every
 * sha256 of its manifest.
 * @param opts.onBytes called with the number of compressed bytes read, as they are read
 * @throws ArchiveError (exit 1 in the CLI) naming the member and the reason
 */
export function verifyArchive(file: string, opts: { limits?: Partial<ArchiveLimits>; onBytes?: (bytes: number) => void } = {}): Promise<VerifiedArchive> {
  return verifyArchiveImpl(file, opts);
}
