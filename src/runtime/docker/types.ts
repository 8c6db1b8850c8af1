/**
 * The container engine's interface and the shapes it speaks in. Every Docker call clawfed makes
 * goes through `Engine`; `createDockerEngine()` (./engine.ts) implements it with dockerode, and unit
 * tests use an in-memory implementation (test/helpers/memory-engine.ts).
 *
 * What the interface offers, and nothing more:
 * - find containers by labels, inspect one (normalized: `undefined` when it does not exist);
 * - stop / start / remove / rename a container;
 * - create a container *like* an existing one (same networks, mounts, env, labels, limits,
 *   restart policy, command) but with another image: the step of a rolling update;
 * - images: inspect, pull;
 * - volumes: create (with labels), list by labels, remove; networks: list by labels;
 * - the engine's own version and data folder;
 * - run a throw-away job container (e.g. to copy a volume with the gateway's own image) and get its
 *   exit code and output;
 * - stream a container's logs (demultiplexed); wait for a container to exit.
 *
 * Errors: "not found" is a normal answer (`undefined`); an unreachable engine is a RuntimeError
 * naming what to start; anything else is a RuntimeError carrying the engine's message. Request
 * bodies (which hold a gateway's env, hence its tokens) never appear in error messages.
 */
import type { Readable } from "node:stream";

/** Docker labels: name → value (e.g. `ai.clawfed.managed` → `true`). */
export type Labels = Record<string, string>;

/** Where a mount's data lives: a named volume or a host directory. */
export type MountSource = { kind: "volume"; name: string } | { kind: "bind"; path: string };

/** A volume or bind mount of a container, as `inspect` reports it. */
export interface ContainerMount {
  source: MountSource;
  /** Path inside the container. */
  destination: string;
  readOnly: boolean;
}

/** A container port published on the host (`ports:` of compose). */
export interface PublishedPort {
  /** e.g. 18789 */
  containerPort: number;
  protocol: string;
  /** e.g. "127.0.0.1" ("0.0.0.0" when published on every interface). */
  hostIp: string;
  hostPort: number;
}

/** The engine's state of a container (`State.Status`). */
export type ContainerStatus = "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";

/** A container as a list shows it (`docker ps -a`): enough to find it by name or label. */
export interface ContainerSummary {
  id: string;
  /** Without the leading slash. */
  name: string;
  /** Image reference as created (e.g. `openclaw:2026.9.6-local`). */
  image: string;
  status: ContainerStatus;
  labels: Labels;
  /** Ports published on the host (listings fill it; undefined when the engine did not say). */
  ports?: PublishedPort[];
}

/**
 * A container as `inspect` shows it, normalized: times are ISO strings, missing fields are
 * undefined, health is "none" without a healthcheck.
 */
export interface ContainerInfo extends ContainerSummary {
  /** `sha256:…` of the image the container runs. */
  imageId: string;
  /** ISO time the container was created. */
  created: string;
  running: boolean;
  exitCode: number;
  /** ISO time of the last start; undefined when never started. */
  startedAt?: string;
  finishedAt?: string;
  /** How often the engine restarted it (restart policy), since it was created. */
  restartCount: number;
  oomKilled: boolean;
  /** The engine's error text for a failed start, if any. */
  error?: string;
  /** Docker HEALTHCHECK state; "none" when the container has no healthcheck. */
  health: "starting" | "healthy" | "unhealthy" | "none";
  mounts: ContainerMount[];
  /** Names of the networks it is attached to, sorted. */
  networks: string[];
  ports: PublishedPort[];
  /** Seconds `stop` waits before SIGKILL, when the container sets it. */
  stopTimeoutS?: number;
  /** Names of its environment variables, sorted (never their values: they hold tokens). */
  envKeys?: string[];
}

/** A local image (`docker image inspect`). */
export interface ImageInfo {
  /** `sha256:…` */
  id: string;
  repoTags: string[];
  labels: Labels;
  /** Names of the environment variables the image sets (never their values), sorted. */
  envKeys?: string[];
}

/** What the engine says about itself (`docker version`, `docker info`). */
export interface EngineFacts {
  /** e.g. "20.10.24+dfsg1" */
  version: string;
  /** e.g. "1.41" */
  apiVersion: string;
  /** Where the engine keeps images, containers and volumes (`DockerRootDir`), on its host. */
  rootDir?: string;
}

/** A mount of a job or helper container: a volume or host directory at `target`. */
export interface JobMount {
  source: MountSource;
  target: string;
  readOnly?: boolean;
}

/** A throw-away container: created, started, waited for, its output read, then removed. */
export interface JobSpec {
  image: string;
  /** Replaces the image's entrypoint (e.g. ["node"]). */
  entrypoint?: string[];
  cmd: string[];
  /** e.g. "0:0"; default the image's user. */
  user?: string;
  mounts: JobMount[];
  /** Ownership labels, so a job left behind by a crash can be found and removed. */
  labels: Labels;
  /** Milliseconds before the job is killed and reported as failed. */
  timeoutMs: number;
}

export interface JobResult {
  exitCode: number;
  /** stdout and stderr, interleaved, at most the last 64 KiB. */
  output: string;
}

/** Which logs `Engine.logs` streams. */
export interface LogOptions {
  follow: boolean;
  /** Only the last N lines. */
  tail?: number;
  /** Unix time in seconds; only lines since then. */
  sinceS?: number;
  timestamps?: boolean;
  /** Ends the stream (follow mode) when aborted. */
  signal?: AbortSignal;
}

/** A piece of a container's output, from one of its two streams. */
export interface LogChunk {
  stream: "stdout" | "stderr";
  data: Buffer;
}

/** What differs between a container and its replacement (`Engine.createLike`). */
export interface CreateLikeOptions {
  /** Name of the new container. */
  name: string;
  /** Image reference of the new container (must exist locally). */
  image: string;
  /** Labels to add or replace (e.g. compose's config hash). */
  labels?: Labels;
}

/** What a scratch container gets instead of the source's mounts, name, image and labels (`Engine.createScratch`). */
export interface ScratchOptions {
  name: string;
  /** Image reference (must exist locally). */
  image: string;
  /** Its only mounts. */
  mounts: JobMount[];
  /** Labels added after compose's are dropped (ownership, `ai.clawfed.kind`). */
  labels: Labels;
  /** Its only network (e.g. one made by `createNetwork` with `internal`); default `none`. */
  network?: string;
}

/**
 * The container engine as clawfed uses it: every Docker call goes through this interface.
 * Implementations: `createDockerEngine()` (./engine.ts, dockerode) and the in-memory engine of unit
 * tests (test/helpers/memory-engine.ts). Ids are container ids or names; times in the options are
 * in the unit their name says (`timeoutS` seconds, `timeoutMs` milliseconds). Errors: "not
 * found" is an answer (`undefined`, or a no-op where the method says "missing is fine"); anything
 * else is a RuntimeError whose message never holds a request body (a gateway's env).
 */
export interface Engine {
  /** @throws RuntimeError when the engine cannot be reached. */
  ping(): Promise<void>;
  /** Containers in any state carrying every one of `labels`. */
  listContainers(labels: Labels): Promise<ContainerSummary[]>;
  /** @returns undefined when no such container exists. */
  inspect(idOrName: string): Promise<ContainerInfo | undefined>;
  /** Stop (SIGTERM, then SIGKILL after `timeoutS` seconds); a stopped container is fine. */
  stop(id: string, timeoutS: number): Promise<void>;
  /** Start; a running container is fine. */
  start(id: string): Promise<void>;
  /** Remove (and its anonymous volumes); `force` also kills a running one. Missing is fine. */
  remove(id: string, opts?: { force?: boolean }): Promise<void>;
  rename(id: string, name: string): Promise<void>;
  /**
   * Create (not start) a container configured like `sourceId` but running `opts.image`: same
   * command, env, labels (plus `opts.labels`), mounts, published ports, networks with their
   * aliases, restart policy, limits and security options. Settings the old container only had
   * because its old image had them (image env, labels, entrypoint, working dir) come from the new
   * image instead.
   * @returns the new container's id
   */
  createLike(sourceId: string, opts: CreateLikeOptions): Promise<string>;
  /**
   * Create (not start) a scratch container like `sourceId` (same command, env, user, limits and
   * security options) on `opts.image`, isolated: only `opts.mounts` (none of the source's), no
   * published ports, only `opts.network` (default `none`), no restart policy, none of compose's labels (compose
   * never sees it as a service), `opts.labels` added. An upgrade rehearses on it (ops/upgrade-rehearse.ts).
   * @returns the new container's id
   */
  createScratch(sourceId: string, opts: ScratchOptions): Promise<string>;
  /** Create a bridge network; `internal`: no route out of it (Docker's `--internal`). */
  createNetwork(name: string, labels: Labels, opts: { internal: boolean }): Promise<void>;
  /** @returns undefined when the image is not present locally. */
  image(ref: string): Promise<ImageInfo | undefined>;
  /** Pull from its registry; `onProgress` gets one line per status change. */
  pull(ref: string, onProgress?: (line: string) => void): Promise<void>;
  createVolume(name: string, labels: Labels): Promise<void>;
  listVolumes(labels: Labels): Promise<Array<{ name: string; labels: Labels }>>;
  /** The engine's version, API version and data folder. */
  engineInfo(): Promise<EngineFacts>;
  /** Missing is fine. */
  removeVolume(name: string): Promise<void>;
  /** Every network of the engine (`docker network ls` + inspect): name, IPAM subnets (IPv4 and IPv6), labels. */
  listNetworks(): Promise<NetworkSummary[]>;
  /** Remove a network; missing is fine. @throws RuntimeError when a container still uses it. */
  removeNetwork(name: string): Promise<void>;
  runJob(job: JobSpec): Promise<JobResult>;
  logs(id: string, opts: LogOptions): AsyncIterable<LogChunk>;
  /** @returns the exit code, or undefined when it still runs after `timeoutMs`. */
  waitExit(id: string, timeoutMs: number): Promise<number | undefined>;
  // --- backup/restore ---
  /**
   * Create, never start, a container of `spec.image` with `spec.mounts`, only to read and write
   * those mounts through the archive API (no process runs, nothing is pulled, no network).
   * @returns its id; remove it with `remove`.
   */
  createIdle(spec: IdleSpec): Promise<string>;
  /**
   * A tar stream of `path` in a container, running or stopped (mounted volumes and binds
   * included). Entries are named after the last segment of `path` (`/home/node/.openclaw` →
   * `.openclaw/…`) and keep their owners and modes.
   * @returns undefined when the path does not exist.
   */
  getArchive(id: string, path: string): Promise<Readable | undefined>;
  /**
   * Extract a tar stream into the existing directory `path` of a container, running or stopped.
   * Owners and modes come from the tar headers.
   */
  putArchive(id: string, path: string, tar: Readable): Promise<void>;
  /**
   * Run a command in a running container (docker exec) and collect its output. Secrets go in
   * `env`, never in `cmd`. A command still running after `timeoutMs` is reported with exit code 124.
   */
  exec(id: string, cmd: string[], opts: ExecOptions): Promise<ExecResult>;
}

/** A container created only for the archive API (see Engine.createIdle). */
/** One Docker network as `up` checks it against the subnets it is about to create. */
export interface NetworkSummary {
  name: string;
  /** IPAM subnets in CIDR form (IPv6 ones included; callers skip what they cannot parse). */
  subnets: string[];
  labels: Labels;
}

export interface IdleSpec {
  image: string;
  mounts: JobMount[];
  /** Ownership labels, so one left behind by a crash can be found and removed. */
  labels: Labels;
}

export interface ExecOptions {
  env?: Record<string, string>;
  /** e.g. "node"; default the container's user. */
  user?: string;
  timeoutMs: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}
