/**
 * The shapes of the operations layer (createClawfed in ops/clawfed.ts): the only place that chains stages (load → compile → emit → runtime).
 * `createClawfed(deps)` returns one object whose methods are every operation clawfed has; each takes
 * `(federation, options)` — a spec path, or a federation already opened with {@link openFederation}
 * — and returns a typed result with at least `ok`, `next` (the command to run when not ok),
 * `gateways` (those concerned) and `ms` (how long it took). The CLI calls exactly one method per
 * command.
 *
 * Errors: SpecError (invalid spec, exit 1), UsageError (bad options such as an unknown gateway id,
 * exit 2), RuntimeError (Docker, compose, PM2, health; exit 3), ArchiveError (a refused backup
 * archive, exit 1). Anything else is a bug (InternalError, exit 70).
 */
import type { GenerateOptions, GenerateResult } from "./generate.js";
import type { FederationContext } from "./context.js";
import type { UpOptions, UpResult } from "./up.js";
import type { DownOptions, DownResult } from "./down.js";
import type { FederationStatus, StatusOptions } from "./status.js";
import type { LogSink, LogsOptions } from "./logs.js";
import type { RolloutOptions, RolloutPlan, RolloutResult, RolloutSelection } from "./rollout.js";
import type { RecordResult } from "./record.js";
import type { UpgradeOptions, UpgradePlan, UpgradeResult, UpgradeSelection } from "./upgrade.js";
import type { BackupOptions, BackupResult } from "./backup.js";
import type { RestoreOptions, RestoreResult } from "./restore.js";
import type { VerifyResult } from "./verify.js";
import type { RecoverOptions, RecoverResult } from "./recover-types.js";
import type { RotateOptions, RotateResult } from "./rotate.js";
import type { PlanOptions, PlanResult } from "./plan.js";
import type { DoctorOptions, DoctorResult } from "./doctor.js";
import type { AddOptions, AddPlan, AddResult } from "./add.js";
import type { RemoveOptions, RemovePlan, RemoveResult } from "./remove.js";
import type { AskOptions, AskResult } from "./ask.js";
import type { EcsRunTaskOptions, EcsRunTaskResult } from "./ecs.js";
import type { ArchiveLimits } from "../runtime/backup/archive.js";
import type { DownResult as NativeDownResultBase, NativeOptions, NativeStatus, RestartOptions, UpOptions as NativeUpOptions } from "./native.js";

import type { SwarmDownResult, SwarmUpOptions, SwarmUpResult } from "./swarm.js";
import type { SwarmStatus } from "./swarm-status.js";

export type { ClawfedDeps } from "./deps.js";
export type { FederationContext } from "./context.js";

/** A federation to operate on: the path of its spec file, or one opened with `openFederation`. */
export type FederationRef = string | FederationContext;

/** What every operation's result has. */
export interface OpResult {
  /** The operation did what was asked (every gateway concerned is where it should be). */
  ok: boolean;
  /** The command to run next, when not ok (or when a follow-up is needed). */
  next?: string;
  /** Milliseconds the operation took. */
  ms: number;
}

/** Common options: the output folder of the generated federation, and progress lines. */
export interface OutOptions {
  /** Output folder (compose: `out/<name>` by default; native: the root, `~/.clawfed/<name>`). */
  out?: string;
  /** Called with one line of progress at a time (the CLI prints them on stderr). */
  onProgress?: (line: string) => void;
}

/** `generate`: what the writer did (paths written, unchanged, removed; the .env summary), the gateways, `ms`. */
export type GenerateOpResult = GenerateResult & OpResult;
/** `down`: containers, volumes and state folders removed, the gateways, `ms`. */
export type DownOpResult = DownResult & OpResult & { gateways: Array<{ id: string }> };
/**
 * `status`: every gateway judged (container, probes, problems); `ok` when all are healthy, else
 * `next`; `interrupted` when an operation on the federation is unfinished (see ops/journal.ts).
 */
export type StatusOpResult = FederationStatus & { interrupted?: { message: string; next: string } };
/** `resume` / `abort`: what happened to each gateway of the interrupted operation. */
export type { RecoverOptions, RecoverResult };
/** `rotate`: token NAMES replaced, gateways recreated, each affected route proved (new 200, old 401). */
export type { RotateOptions, RotateResult };
/** `logs`: which container was read (the text itself went to the sink, redacted). */
export interface LogsResult extends OpResult {
  federation: string;
  container: string;
  gateways: Array<{ id: string }>;
}
/** `rollout`: the outcome per gateway, `updated` (for `recordRollout`), `message`/`next` after a stop, and the plan applied. */
export type RolloutOpResult = RolloutResult & { plan: RolloutPlan };
/** `upgrade`: image and its source, per gateway the rehearsal and rollout outcome, the steps done, the record, and the plan. */
export type UpgradeOpResult = UpgradeResult & { plan: UpgradePlan };
/** `recordRollout`: the spec file edited, the gateways recorded, the files regenerated. */
export type RecordOpResult = RecordResult;
/** `backup`: the archive (path, bytes, files), per gateway how it was captured and how long it was down. */
export type BackupOpResult = BackupResult & OpResult;
/** `restore`: per gateway what was put back and when it started; paths restored; warnings. */
export type RestoreOpResult = RestoreResult & OpResult;
/** `native up|status|restart`: PM2 and every gateway (pid, restarts, memory, probes); `ok` when all are healthy. */
/** An unfinished operation on the federation (ops/journal.ts), as read-only commands report it. */
export interface Interrupted {
  interrupted?: { message: string; next: string };
}
export type NativeStatusResult = NativeStatus & OpResult & Interrupted;
export type { VerifyResult };
export type { PlanOptions, PlanResult, PlannedContainer, PlannedFile, PlannedResource } from "./plan.js";
export type { DoctorCheck, DoctorOptions, DoctorResult, Finding, FindingStatus } from "./doctor.js";
export type { AddOptions, AddPlan, AddResult, RemoveOptions, RemovePlan, RemoveResult };
/** `ask`: the A2A task's state and answer (secrets redacted), its contextId; `ok` when it completed. */
export type AskOpResult = AskResult;
export type { EcsRunTaskOptions, EcsRunTaskResult };
/** `native down`: whether PM2 was stopped and which unsupervised processes were. */
export type NativeDownResult = NativeDownResultBase & OpResult & { gateways: Array<{ id: string }> };

/** `swarm.down`: the stack's services, networks, secrets (and with `volumes`, state volumes) removed. */
export type SwarmDownOpResult = SwarmDownResult & OpResult & { gateways: Array<{ id: string }> };
/** `swarm.status`: every gateway's service, task, update/rollback and probes; `ok` when all are healthy, else `next`. */
export type SwarmStatusResult = SwarmStatus & OpResult & Interrupted;
/** `swarm.logs`: which service was read (the text itself went to the sink, redacted). */
export interface SwarmLogsResult extends OpResult {
  federation: string;
  service: string;
  gateways: Array<{ id: string }>;
}

/** Every operation, bound to one set of dependencies. */
export interface Clawfed {
  /** Load, compile and write (nothing written for an invalid spec). */
  generate(fed: FederationRef, opts?: Omit<GenerateOptions, "spec" | "outDir"> & OutOptions): Promise<GenerateOpResult>;
  /** Generate when needed, `compose up`, wait until every gateway is started. */
  up(fed: FederationRef, opts?: Omit<UpOptions, "outDir"> & OutOptions): Promise<UpResult>;
  /** Stop and remove the containers (with `volumes`: the state too). */
  down(fed: FederationRef, opts?: DownOptions & OutOptions): Promise<DownOpResult>;
  /** Health of every gateway (or `only` some). */
  status(fed: FederationRef, opts?: StatusOptions & OutOptions): Promise<StatusOpResult>;
  /** Write a gateway's logs to `sink`, secrets redacted. */
  logs(fed: FederationRef, opts: LogsOptions & OutOptions & { gateway: string; sink: LogSink }): Promise<LogsResult>;
  /**
   * What `up` would change (files with redacted diffs, containers with reasons, networks, volumes);
   * changes nothing. `changes` is 0 when `up` would leave everything as it is.
   */
  plan(fed: FederationRef, opts?: PlanOptions & OutOptions): Promise<PlanResult>;
  /** Audit the federation (drift, ports, .env, images, Docker, disk, OpenClaw's doctor); changes nothing. `ok` when no finding fails. */
  doctor(fed: FederationRef, opts?: DoctorOptions & OutOptions): Promise<DoctorResult>;
  /** The rollout plan (which gateways, which image, in which order); changes nothing. */
  planRollout(fed: FederationRef, opts?: RolloutSelection & OutOptions): Promise<RolloutPlan>;
  /** Plan, then apply the rolling update with rollback. Never edits the spec: see `recordRollout`. */
  rollout(fed: FederationRef, opts?: RolloutOptions & OutOptions): Promise<RolloutOpResult>;
  /** Record the images a rollout moved gateways to in the spec, and regenerate. */
  recordRollout(fed: FederationRef, updated: RolloutResult["updated"], opts?: OutOptions): Promise<RecordOpResult>;
  /** The upgrade plan (which gateways, from which version, in which order); changes nothing. @throws UsageError for a refused downgrade. */
  planUpgrade(fed: FederationRef, opts: UpgradeSelection & OutOptions): Promise<UpgradePlan>;
  /** Image for the version, rehearsal on a copy of each gateway's state, health-gated rollout, version recorded in the spec. */
  upgrade(fed: FederationRef, opts: UpgradeOptions & OutOptions): Promise<UpgradeOpResult>;
  /** One verified archive of the federation. */
  backup(fed: FederationRef, opts?: Omit<BackupOptions, "spec" | "outDir" | "engine" | "get" | "clock"> & OutOptions): Promise<BackupOpResult>;
  /** Verify a backup archive (structure, limits, every checksum) and describe it; changes nothing. */
  verifyBackup(file: string, opts?: { limits?: Partial<ArchiveLimits>; onProgress?: (line: string) => void }): Promise<VerifyResult>;
  /** Put a federation back from an archive (verified first) and start it. */
  restore(fed: FederationRef, opts: Omit<RestoreOptions, "spec" | "outDir" | "engine" | "get" | "clock"> & OutOptions): Promise<RestoreOpResult>;
  /** What `add` would do (the edited spec validated, the port, the steps); changes nothing. */
  planAdd(fed: FederationRef, id: string, opts: Omit<AddOptions, "outDir"> & OutOptions): Promise<AddPlan>;
  /** Add a gateway: edit the spec, generate, start it alone, recreate its linked gateways health-gated; rolled back on failure. */
  add(fed: FederationRef, id: string, opts: Omit<AddOptions, "outDir"> & OutOptions): Promise<AddResult>;
  /** What `remove` would do; changes nothing. @throws UsageError for the hub or an unknown id. */
  planRemove(fed: FederationRef, id: string, opts?: Omit<RemoveOptions, "outDir"> & OutOptions): Promise<RemovePlan>;
  /** Remove a spoke: back it up, remove its container, networks, volume, folders and tokens, edit the spec, recreate its peers. */
  remove(fed: FederationRef, id: string, opts?: Omit<RemoveOptions, "outDir"> & OutOptions): Promise<RemoveResult>;
  /**
   * Replace the tokens of a gateway, a link (`from:to`) or `all`; recreate exactly the gateways
   * holding them (health-gated, one at a time, journaled); prove each affected route.
   */
  rotate(fed: FederationRef, target: string, opts?: RotateOptions & OutOptions): Promise<RotateResult>;
  /**
   * Finish the operation an unfinished journal records (ops/journal.ts); `operation: "none"` when
   * there is none. @throws RuntimeError when it cannot (the journal then stays).
   */
  resume(fed: FederationRef, opts?: RecoverOptions & OutOptions): Promise<RecoverResult>;
  /** Roll back the operation an unfinished journal records, as far as it can be (see each operation). */
  abort(fed: FederationRef, opts?: RecoverOptions & OutOptions): Promise<RecoverResult>;
  native: {
    up(fed: FederationRef, opts?: Omit<NativeUpOptions, "spec" | "root" | "clock" | "get"> & OutOptions): Promise<NativeStatusResult>;
    down(fed: FederationRef, opts?: OutOptions): Promise<NativeDownResult>;
    status(fed: FederationRef, opts?: OutOptions): Promise<NativeStatusResult>;
    restart(fed: FederationRef, opts?: Omit<RestartOptions, "spec" | "root" | "clock" | "get"> & OutOptions): Promise<NativeStatusResult>;
  };
  /** One A2A task from the host to a gateway as the operator peer; waits for the answer. */
  ask(fed: FederationRef, opts: AskOptions & OutOptions & { gateway: string; text: string }): Promise<AskOpResult>;
  /** The federation as a Docker Swarm stack (issue 14), through the Engine API: services and tasks instead of containers. */
  swarm: {
    /** Generate for the swarm target, create or update networks, secrets and services, wait until every gateway is started. */
    up(fed: FederationRef, opts?: Omit<SwarmUpOptions, "outDir"> & OutOptions): Promise<SwarmUpResult>;
    /** Remove the stack's services, networks and secrets (with `volumes`: its state volumes on this node); nothing else. */
    down(fed: FederationRef, opts?: { volumes?: boolean } & OutOptions): Promise<SwarmDownOpResult>;
    /** Health of every gateway (or `only` some): service, task, last update or rollback, probes. */
    status(fed: FederationRef, opts?: { probeTimeoutMs?: number; only?: string[] } & OutOptions): Promise<SwarmStatusResult>;
    /** Write a gateway's service logs (every task) to `sink`, secrets redacted. */
    logs(fed: FederationRef, opts: LogsOptions & OutOptions & { gateway: string; sink: LogSink }): Promise<SwarmLogsResult>;
  };
  ecs: {
    /** The ECS RunTask input of one gateway (federation generated with `--target ecs`) with per-run overrides; never calls AWS. */
    runTask(fed: FederationRef, gateway: string, opts?: EcsRunTaskOptions & OutOptions): Promise<EcsRunTaskResult & Interrupted>;
  };
}

/** Options of the native operations (spec path, root, progress, clock, HTTP). */
export type { NativeOptions };
