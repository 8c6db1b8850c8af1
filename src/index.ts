/** clawfed's library API. The CLI is a thin layer over these calls. */
export { loadSpecFile, loadSpecText, type LoadedSpec } from "./federation/load.js";
export { normalize, type Federation, type GatewayModel, type Route } from "./federation/normalize.js";
export { Spec, specJsonSchema, DEFAULT_OPENCLAW_VERSION, type SpecInput, type SpecParsed } from "./federation/schema.js";
export { compile, TARGETS, type TargetName, type CompileOptions, type NativeCompileOptions, type OpenclawHost, type SystemdOptions } from "./targets/registry.js";
export type { Artifact, CompileResult, EnvSlot } from "./compile/artifact.js";
export { writeArtifacts, type WriteOptions, type WriteResult } from "./emit/write.js";
export { generate, withImage, defaultOutDir, defaultNativeRoot, type GenerateOptions, type GenerateResult } from "./generate.js";
export { SpecError, UsageError, RuntimeError, InternalError, formatIssue, type SpecIssue } from "./errors.js";
export { openFederation, type FederationContext } from "./runtime/context.js";
export { createDockerEngine, type Engine, type ContainerInfo, type ContainerSummary, type MountSource } from "./runtime/engine.js";
export { systemClock, parseDuration, type Clock } from "./runtime/clock.js";
export { probeGateway, gateStarted, PROBE_TIMEOUT_MS, type GatewayProbes, type ProbeResult } from "./runtime/health.js";
export { getStatus, defaultDeps, type FederationStatus, type GatewayStatus, type RuntimeDeps } from "./runtime/status.js";
export { up, type UpOptions, type UpResult } from "./runtime/up.js";
export { rollout, HEALTH_TIMEOUT_MS, type RolloutOptions, type RolloutResult } from "./runtime/rollout.js";
export { down, type DownOptions, type DownResult } from "./runtime/down.js";
export { streamLogs, StreamRedactor, type LogsOptions } from "./runtime/logs.js";
export { backupFederation, type BackupOptions, type BackupResult } from "./runtime/backup/backup.js";
export { restoreFederation, type RestoreOptions, type RestoreResult } from "./runtime/backup/restore.js";
export { verifyArchive, ArchiveError, DEFAULT_LIMITS as BACKUP_ARCHIVE_LIMITS, type ArchiveLimits, type VerifiedArchive } from "./runtime/backup/archive.js";
export { type Manifest as BackupManifest } from "./runtime/backup/manifest.js";
export {
  nativeUp,
  nativeDown,
  nativeStatus,
  nativeRestart,
  type NativeStatus,
  type GatewayStatus as NativeGatewayStatus,
  type UpOptions as NativeUpOptions,
  type RestartOptions as NativeRestartOptions,
  type DownResult as NativeDownResult,
} from "./runtime/native/index.js";
export { auditLaunchAgents, auditInstances, type AuditResult, type Finding as AuditFinding, type Instance as AuditInstance } from "./audit/launchd.js";
