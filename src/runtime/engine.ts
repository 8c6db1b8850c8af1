/**
 * The container engine, behind a narrow interface. Every Docker call clawfed makes goes through
 * `Engine`; `createDockerEngine()` implements it with dockerode (the Docker Engine API over the
 * local socket, or `DOCKER_HOST`; the three plain reads — list, inspect, image inspect — go over
 * node:http when the socket is local, see `apiGet`), and unit tests use an in-memory implementation
 * (test/helpers/memory-engine.ts).
 *
 * What the interface offers, and nothing more:
 * - find containers by labels, inspect one (normalized: `undefined` when it does not exist);
 * - stop / start / remove / rename a container;
 * - create a container *like* an existing one (same networks, mounts, env, labels, limits,
 *   restart policy, command) but with another image: the step of a rolling update;
 * - images: inspect, pull;
 * - volumes: create (with labels), list by labels, remove;
 * - run a throw-away job container (e.g. to copy a volume with the gateway's own image) and get its
 *   exit code and output;
 * - stream a container's logs (demultiplexed); wait for a container to exit.
 *
 * Errors: "not found" is a normal answer (`undefined`); an unreachable engine is a RuntimeError
 * naming what to start; anything else is a RuntimeError carrying the engine's message. Request
 * bodies (which hold a gateway's env, hence its tokens) never appear in error messages.
 */
import http from "node:http";
import type { Readable } from "node:stream";
import type Docker from "dockerode";
import { RuntimeError } from "../errors.js";

export type Labels = Record<string, string>;

/** Where a mount's data lives: a named volume or a host directory. */
export type MountSource = { kind: "volume"; name: string } | { kind: "bind"; path: string };

export interface ContainerMount {
  source: MountSource;
  /** Path inside the container. */
  destination: string;
  readOnly: boolean;
}

export interface PublishedPort {
  /** e.g. 18789 */
  containerPort: number;
  protocol: string;
  /** e.g. "127.0.0.1" ("0.0.0.0" when published on every interface). */
  hostIp: string;
  hostPort: number;
}

export type ContainerStatus = "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";

export interface ContainerSummary {
  id: string;
  /** Without the leading slash. */
  name: string;
  /** Image reference as created (e.g. `openclaw:2026.9.6-local`). */
  image: string;
  status: ContainerStatus;
  labels: Labels;
}

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
}

export interface ImageInfo {
  /** `sha256:…` */
  id: string;
  repoTags: string[];
  labels: Labels;
}

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

export interface LogChunk {
  stream: "stdout" | "stderr";
  data: Buffer;
}

export interface CreateLikeOptions {
  /** Name of the new container. */
  name: string;
  /** Image reference of the new container (must exist locally). */
  image: string;
  /** Labels to add or replace (e.g. compose's config hash). */
  labels?: Labels;
}

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
  /** @returns undefined when the image is not present locally. */
  image(ref: string): Promise<ImageInfo | undefined>;
  /** Pull from its registry; `onProgress` gets one line per status change. */
  pull(ref: string, onProgress?: (line: string) => void): Promise<void>;
  createVolume(name: string, labels: Labels): Promise<void>;
  listVolumes(labels: Labels): Promise<Array<{ name: string; labels: Labels }>>;
  /** Missing is fine. */
  removeVolume(name: string): Promise<void>;
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

// ---------------------------------------------------------------------------------------------
// Pure helpers (unit-tested without an engine)

/** The parts of `docker inspect` of a container that `createLike` reads. */
export type InspectLike = Pick<Docker.ContainerInspectInfo, "Id" | "Name" | "Config" | "HostConfig" | "NetworkSettings">;
/** The parts of `docker image inspect` `createLike` reads. */
export type ImageConfigLike = Partial<Docker.ImageInspectInfo["Config"]>;

export interface RecreatePlan {
  create: Docker.ContainerCreateOptions;
  /** Networks to connect after creating (the API attaches only one at create time before 1.44). */
  connect: Array<{ network: string; endpoint: Docker.EndpointSettings }>;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * Create options for a container like `src` but on `opts.image`. `oldImage` is the config of the
 * image `src` was created from (undefined when that image is gone: then everything is kept).
 */
export function recreatePlan(src: InspectLike, oldImage: ImageConfigLike | undefined, opts: CreateLikeOptions): RecreatePlan {
  const cfg = src.Config;
  const img: ImageConfigLike = oldImage ?? {};
  const shortId = src.Id.slice(0, 12);
  const imageEnv = new Set(img.Env ?? []);
  const labels: Labels = {};
  for (const [k, v] of Object.entries(cfg.Labels ?? {})) if (img.Labels?.[k] !== v) labels[k] = v;
  Object.assign(labels, opts.labels ?? {});
  const entrypointFromImage = sameJson(cfg.Entrypoint, img.Entrypoint);
  const volumes: Record<string, object> = {};
  for (const v of Object.keys(cfg.Volumes ?? {})) if (!(img.Volumes && v in img.Volumes)) volumes[v] = {};

  const create: Docker.ContainerCreateOptions = {
    name: opts.name,
    Image: opts.image,
    Env: (cfg.Env ?? []).filter((e) => !imageEnv.has(e)),
    Labels: labels,
    Tty: cfg.Tty,
    OpenStdin: cfg.OpenStdin,
    StdinOnce: cfg.StdinOnce,
    AttachStdin: cfg.AttachStdin,
    AttachStdout: cfg.AttachStdout,
    AttachStderr: cfg.AttachStderr,
    ExposedPorts: cfg.ExposedPorts,
    HostConfig: src.HostConfig,
  };
  if (cfg.Hostname && cfg.Hostname !== shortId) create.Hostname = cfg.Hostname;
  if (cfg.Domainname) create.Domainname = cfg.Domainname;
  if (!entrypointFromImage) create.Entrypoint = cfg.Entrypoint;
  // A command equal to the old image's default, with the image's entrypoint, is the image's:
  // the new image brings its own. Anything else was set for this container.
  if (!(entrypointFromImage && sameJson(cfg.Cmd, img.Cmd))) create.Cmd = cfg.Cmd;
  if (cfg.WorkingDir && cfg.WorkingDir !== img.WorkingDir) create.WorkingDir = cfg.WorkingDir;
  if (cfg.User && cfg.User !== img.User) create.User = cfg.User;
  if (cfg.Healthcheck && !sameJson(cfg.Healthcheck, img.Healthcheck)) create.Healthcheck = cfg.Healthcheck;
  const stopTimeout = (cfg as { StopTimeout?: number }).StopTimeout;
  if (stopTimeout !== undefined) (create as { StopTimeout?: number }).StopTimeout = stopTimeout;
  const stopSignal = (cfg as { StopSignal?: string }).StopSignal;
  if (stopSignal && stopSignal !== (img as { StopSignal?: string }).StopSignal) (create as { StopSignal?: string }).StopSignal = stopSignal;
  if (Object.keys(volumes).length > 0) create.Volumes = volumes;

  const nets = Object.entries(src.NetworkSettings?.Networks ?? {});
  const endpoint = (e: (typeof nets)[number][1]): Docker.EndpointSettings => {
    const out: Docker.EndpointSettings = {};
    const aliases = ((e.Aliases as string[] | null) ?? []).filter((a) => a !== shortId && a !== src.Id);
    if (aliases.length) out.Aliases = aliases;
    if (e.IPAMConfig) out.IPAMConfig = e.IPAMConfig as Docker.IPAMConfig;
    if (Array.isArray(e.Links) && e.Links.length) out.Links = e.Links as string[];
    return out;
  };
  const mode = src.HostConfig?.NetworkMode;
  const primary = nets.find(([n]) => n === mode) ?? nets[0];
  const connect: RecreatePlan["connect"] = [];
  if (primary && !["host", "none", "bridge", "default"].includes(primary[0]) && !mode?.startsWith("container:")) {
    create.NetworkingConfig = { EndpointsConfig: { [primary[0]]: endpoint(primary[1]) } };
    for (const [n, e] of nets) if (n !== primary[0]) connect.push({ network: n, endpoint: endpoint(e) });
  }
  return { create, connect };
}

/**
 * Split Docker's multiplexed log stream (8-byte frame headers: stream type, 3 zero bytes,
 * big-endian length) into chunks; frames may be split across reads.
 */
export async function* demuxDockerStream(source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>): AsyncGenerator<LogChunk> {
  let buf = Buffer.alloc(0);
  for await (const piece of source) {
    buf = Buffer.concat([buf, typeof piece === "string" ? Buffer.from(piece) : piece]);
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      const kind = buf[0];
      const data = buf.subarray(8, 8 + size);
      buf = buf.subarray(8 + size);
      if (size > 0) yield { stream: kind === 2 ? "stderr" : "stdout", data: Buffer.from(data) };
    }
  }
  if (buf.length > 0) yield { stream: "stdout", data: buf };
}

// ---------------------------------------------------------------------------------------------
// dockerode implementation

/** Last bytes of a job's output kept (copy jobs print a line or two; errors a stack). */
const JOB_OUTPUT_MAX_BYTES = 64 * 1024;

const ENGINE_DOWN_CODES = new Set(["ECONNREFUSED", "ENOENT", "EACCES", "ECONNRESET", "EPIPE", "ETIMEDOUT"]);

function engineError(err: unknown, what: string): RuntimeError {
  const e = err as { code?: string; statusCode?: number; json?: { message?: string }; reason?: string; message?: string };
  if (e?.code && ENGINE_DOWN_CODES.has(e.code)) {
    const where = process.env.DOCKER_HOST ?? "/var/run/docker.sock";
    return new RuntimeError(`cannot reach the Docker Engine at ${where} (${e.code}) while trying to ${what}`, {
      next: e.code === "EACCES" ? "run as root or as a member of the docker group" : "start Docker (systemctl start docker, or run scripts/provision-docker.sh)",
      cause: err,
    });
  }
  const msg = e?.json?.message ?? e?.reason ?? e?.message ?? String(err);
  return new RuntimeError(`Docker could not ${what}: ${msg.trim()}`, { cause: err });
}

const notFound = (err: unknown) => (err as { statusCode?: number }).statusCode === 404;

function normalizeInfo(i: Docker.ContainerInspectInfo): ContainerInfo {
  const s = i.State;
  const ports: PublishedPort[] = [];
  for (const [key, binds] of Object.entries(i.NetworkSettings?.Ports ?? {})) {
    const [p, proto] = key.split("/");
    for (const b of binds ?? []) ports.push({ containerPort: Number(p), protocol: proto ?? "tcp", hostIp: b.HostIp, hostPort: Number(b.HostPort) });
  }
  const mounts: ContainerMount[] = (i.Mounts ?? [])
    .filter((m) => m.Type === "volume" || m.Type === "bind")
    .map((m) => ({
      source: m.Type === "volume" ? { kind: "volume" as const, name: m.Name ?? m.Source } : { kind: "bind" as const, path: m.Source },
      destination: m.Destination,
      readOnly: !m.RW,
    }));
  const never = (t: string | undefined) => !t || t.startsWith("0001-01-01");
  const health = s.Health?.Status;
  return {
    id: i.Id,
    name: i.Name.replace(/^\//, ""),
    image: i.Config.Image,
    imageId: i.Image,
    labels: i.Config.Labels ?? {},
    created: i.Created,
    status: s.Status as ContainerStatus,
    running: s.Running,
    exitCode: s.ExitCode,
    startedAt: never(s.StartedAt) ? undefined : s.StartedAt,
    finishedAt: never(s.FinishedAt) ? undefined : s.FinishedAt,
    restartCount: i.RestartCount,
    oomKilled: s.OOMKilled,
    error: s.Error || undefined,
    health: health === "starting" || health === "healthy" || health === "unhealthy" ? health : "none",
    mounts,
    networks: Object.keys(i.NetworkSettings?.Networks ?? {}).sort(),
    ports,
    stopTimeoutS: (i.Config as { StopTimeout?: number }).StopTimeout,
  };
}

function mountSpec(m: JobMount): Docker.MountSettings {
  return m.source.kind === "volume"
    ? { Type: "volume", Source: m.source.name, Target: m.target, ReadOnly: Boolean(m.readOnly) }
    : { Type: "bind", Source: m.source.path, Target: m.target, ReadOnly: Boolean(m.readOnly) };
}

const labelFilter = (labels: Labels) => JSON.stringify({ label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) });

/** Milliseconds a read of the engine API may take. */
const READ_TIMEOUT_MS = 30_000;

/**
 * The engine's unix socket when it is local (DOCKER_HOST unset or unix://), else undefined (then
 * dockerode handles tcp, TLS and ssh hosts).
 */
export function localSocket(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const h = env.DOCKER_HOST;
  if (!h) return "/var/run/docker.sock";
  return h.startsWith("unix://") ? h.slice("unix://".length) : undefined;
}

/**
 * GET a JSON document of the Engine API over a unix socket. @returns undefined for 404.
 * @throws an Error shaped like dockerode's (code, statusCode, json) for anything else
 */
export function apiGet<T>(socketPath: string, p: string, timeoutMs = READ_TIMEOUT_MS): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: p, headers: { host: "docker" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        if (res.statusCode === 404) return resolve(undefined);
        if (!res.statusCode || res.statusCode >= 300) {
          const message = (body as { message?: string } | undefined)?.message ?? text.trim();
          return reject(Object.assign(new Error(message), { statusCode: res.statusCode, json: body }));
        }
        resolve(body as T);
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "ETIMEDOUT" })));
    req.on("error", reject);
  });
}

async function read<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw engineError(err, what);
  }
}

/**
 * The Engine over dockerode. dockerode is loaded on first use (it is slow to load), so commands
 * that never touch Docker do not pay for it.
 */
export function createDockerEngine(opts: { docker?: Docker } = {}): Engine {
  let client: Promise<Docker> | undefined = opts.docker ? Promise.resolve(opts.docker) : undefined;
  const docker = () => (client ??= import("dockerode").then((m) => new m.default()));
  // Reads (list, inspect) on a local socket go over node:http: loading dockerode costs about
  // 0.2 s of CPU, which is most of a `clawfed status` (bench/status.mjs). Everything else, and
  // every read on a remote DOCKER_HOST, goes through dockerode.
  const sock = opts.docker ? undefined : localSocket();
  async function call<T>(what: string, fn: (d: Docker) => Promise<T>): Promise<T> {
    try {
      return await fn(await docker());
    } catch (err) {
      if (err instanceof RuntimeError) throw err;
      throw engineError(err, what);
    }
  }

  const engine: Engine = {
    ping: () => call("answer a ping", async (d) => void (await d.ping())),

    listContainers: async (labels) => {
      const what = "list containers";
      const filters = labelFilter(labels);
      const list = sock
        ? ((await read(what, () => apiGet<Docker.ContainerInfo[]>(sock, `/containers/json?all=1&filters=${encodeURIComponent(filters)}`))) ?? [])
        : await call(what, (d) => d.listContainers({ all: true, filters }));
      return list.map((c) => ({
        id: c.Id,
        name: (c.Names[0] ?? c.Id).replace(/^\//, ""),
        image: c.Image,
        status: c.State as ContainerStatus,
        labels: c.Labels ?? {},
      }));
    },

    inspect: async (id) => {
      const what = `inspect container ${id}`;
      const raw = sock
        ? await read(what, () => apiGet<Docker.ContainerInspectInfo>(sock, `/containers/${encodeURIComponent(id)}/json`))
        : await call(what, (d) => d.getContainer(id).inspect().catch((err: unknown) => (notFound(err) ? undefined : Promise.reject(err))));
      return raw && normalizeInfo(raw);
    },

    stop: (id, timeoutS) =>
      call(`stop container ${id}`, async (d) => {
        try {
          await d.getContainer(id).stop({ t: timeoutS });
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode !== 304) throw err;
        }
      }),

    start: (id) =>
      call(`start container ${id}`, async (d) => {
        try {
          await d.getContainer(id).start();
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode !== 304) throw err;
        }
      }),

    remove: (id, o = {}) =>
      call(`remove container ${id}`, async (d) => {
        try {
          await d.getContainer(id).remove({ force: Boolean(o.force), v: true });
        } catch (err) {
          if (!notFound(err)) throw err;
        }
      }),

    rename: (id, name) => call(`rename container ${id} to ${name}`, async (d) => void (await d.getContainer(id).rename({ name }))),

    createLike: (sourceId, o) =>
      call(`create a container like ${sourceId} on ${o.image}`, async (d) => {
        const src = await d.getContainer(sourceId).inspect();
        const old = await d
          .getImage(src.Image)
          .inspect()
          .then((i) => i.Config, (err) => (notFound(err) ? undefined : Promise.reject(err)));
        const plan = recreatePlan(src, old, o);
        const created = await d.createContainer(plan.create);
        try {
          for (const c of plan.connect) await d.getNetwork(c.network).connect({ Container: created.id, EndpointConfig: c.endpoint });
        } catch (err) {
          await created.remove({ force: true }).catch(() => undefined);
          throw err;
        }
        return created.id;
      }),

    image: async (ref) => {
      const what = `inspect image ${ref}`;
      const i = sock
        ? await read(what, () => apiGet<Docker.ImageInspectInfo>(sock, `/images/${encodeURIComponent(ref)}/json`))
        : await call(what, (d) => d.getImage(ref).inspect().catch((err: unknown) => (notFound(err) ? undefined : Promise.reject(err))));
      return i && { id: i.Id, repoTags: i.RepoTags ?? [], labels: i.Config?.Labels ?? {} };
    },

    pull: (ref, onProgress) =>
      call(`pull ${ref}`, async (d) => {
        const stream = (await d.pull(ref)) as Readable;
        await new Promise<void>((resolve, reject) => {
          let last = "";
          d.modem.followProgress(
            stream,
            (err: Error | null) => (err ? reject(err) : resolve()),
            (ev: { status?: string; id?: string; error?: string }) => {
              if (ev.error) return reject(new Error(ev.error));
              const line = `${ev.id ? `${ev.id}: ` : ""}${ev.status ?? ""}`;
              if (line !== last && onProgress) onProgress(line);
              last = line;
            },
          );
        });
      }),

    createVolume: (name, labels) => call(`create volume ${name}`, async (d) => void (await d.createVolume({ Name: name, Labels: labels }))),

    listVolumes: (labels) =>
      call("list volumes", async (d) => {
        const res = await d.listVolumes({ filters: labelFilter(labels) });
        return (res.Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
      }),

    removeVolume: (name) =>
      call(`remove volume ${name}`, async (d) => {
        try {
          await d.getVolume(name).remove();
        } catch (err) {
          if (!notFound(err)) throw err;
        }
      }),

    runJob: (job) =>
      call(`run a job container on ${job.image}`, async (d) => {
        const c = await d.createContainer({
          Image: job.image,
          Entrypoint: job.entrypoint,
          Cmd: job.cmd,
          User: job.user,
          Labels: job.labels,
          Tty: false,
          HostConfig: { Mounts: job.mounts.map(mountSpec), NetworkMode: "none", AutoRemove: false },
        });
        try {
          await c.start();
          const code = await engine.waitExit(c.id, job.timeoutMs);
          if (code === undefined) await c.kill().catch(() => undefined);
          let output = "";
          for await (const chunk of engine.logs(c.id, { follow: false })) output += chunk.data.toString("utf8");
          if (output.length > JOB_OUTPUT_MAX_BYTES) output = output.slice(-JOB_OUTPUT_MAX_BYTES);
          return { exitCode: code ?? 124, output: code === undefined ? `${output}\n(killed after ${job.timeoutMs} ms)` : output };
        } finally {
          await c.remove({ force: true }).catch(() => undefined);
        }
      }),

    logs: (id, o) => ({
      async *[Symbol.asyncIterator]() {
        const d = await docker();
        let raw: Buffer | Readable;
        let tty = false;
        try {
          const c = d.getContainer(id);
          tty = (await c.inspect()).Config.Tty;
          const base = { stdout: true, stderr: true, timestamps: Boolean(o.timestamps), tail: o.tail ?? "all", since: o.sinceS ?? 0 } as const;
          const logs = c.logs.bind(c) as unknown as (opts: object) => Promise<Buffer | Readable>;
          raw = await logs({ ...base, follow: o.follow });
        } catch (err) {
          throw engineError(err, `read the logs of ${id}`);
        }
        if (Buffer.isBuffer(raw)) {
          if (tty) yield { stream: "stdout", data: raw };
          else yield* demuxDockerStream([raw]);
          return;
        }
        const stream = raw;
        const stop = () => stream.destroy();
        o.signal?.addEventListener("abort", stop, { once: true });
        try {
          if (tty) for await (const data of stream) yield { stream: "stdout", data: data as Buffer };
          else yield* demuxDockerStream(stream as AsyncIterable<Buffer>);
        } catch (err) {
          if (!o.signal?.aborted) throw engineError(err, `read the logs of ${id}`);
        } finally {
          o.signal?.removeEventListener("abort", stop);
          stream.destroy();
        }
      },
    }),

    waitExit: (id, timeoutMs) =>
      call(`wait for container ${id}`, async (d) => {
        const ac = new AbortController();
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<undefined>((resolve) => {
          timer = setTimeout(() => {
            ac.abort();
            resolve(undefined);
          }, timeoutMs);
        });
        const waited = d
          .getContainer(id)
          .wait({ abortSignal: ac.signal } as object)
          .then((r: { StatusCode: number }) => r.StatusCode, (err: unknown) => (ac.signal.aborted ? undefined : Promise.reject(err)));
        try {
          return await Promise.race([waited, timeout]);
        } finally {
          clearTimeout(timer);
        }
      }),

    // --- backup/restore ---
    createIdle: (spec) =>
      call(`create a helper container on ${spec.image}`, async (d) => {
        const c = await d.createContainer({
          Image: spec.image,
          Labels: spec.labels,
          NetworkDisabled: true,
          HostConfig: {
            // NoCopy: never seed a volume with the image's files; the helper only moves data.
            Mounts: spec.mounts.map((m) => (m.source.kind === "volume" ? ({ ...mountSpec(m), VolumeOptions: { NoCopy: true } } as Docker.MountSettings) : mountSpec(m))),
            NetworkMode: "none",
          },
        });
        return c.id;
      }),

    getArchive: (id, p) =>
      call(`read ${p} from container ${id}`, async (d) => {
        try {
          return (await d.getContainer(id).getArchive({ path: p })) as unknown as Readable;
        } catch (err) {
          if (notFound(err)) return undefined;
          throw err;
        }
      }),

    putArchive: (id, p, tar) =>
      call(`write into ${p} of container ${id}`, async (d) => {
        await d.getContainer(id).putArchive(tar, { path: p });
      }),

    exec: (id, cmd, o) =>
      call(`run ${cmd[0] ?? "a command"} in container ${id}`, async (d) => {
        const { PassThrough } = await import("node:stream");
        const x = await d.getContainer(id).exec({
          Cmd: cmd,
          Env: Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v}`),
          User: o.user,
          AttachStdout: true,
          AttachStderr: true,
          Tty: false,
        });
        const stream = await x.start({ hijack: true, stdin: false });
        const out = new PassThrough();
        const err = new PassThrough();
        let stdout = "";
        let stderr = "";
        out.on("data", (b: Buffer) => (stdout += b.toString("utf8")));
        err.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
        d.modem.demuxStream(stream, out, err);
        const finished = await new Promise<boolean>((resolve, reject) => {
          const timer = setTimeout(() => {
            stream.destroy();
            resolve(false);
          }, o.timeoutMs);
          const done = () => {
            clearTimeout(timer);
            resolve(true);
          };
          stream.on("end", done);
          stream.on("close", done);
          stream.on("error", (e: Error) => {
            clearTimeout(timer);
            reject(e);
          });
        });
        if (!finished) return { exitCode: 124, stdout, stderr: `${stderr}\n(still running after ${o.timeoutMs} ms)` };
        const info = await x.inspect();
        return { exitCode: info.ExitCode ?? -1, stdout, stderr };
      }),
  };
  return engine;
}
