/**
 * The Engine (./types.ts) over dockerode: the Docker Engine API over the local socket, or
 * `DOCKER_HOST`. The three plain reads (list, inspect, image inspect) go over node:http when the
 * socket is local (see `apiGet` in ./engine-api.ts). The methods are built in groups (containers,
 * images and volumes, jobs and exec, logs and archives), each a function of one shared context.
 *
 * Errors: "not found" is a normal answer (`undefined`); an unreachable engine is a RuntimeError
 * naming what to start; anything else is a RuntimeError carrying the engine's message. Request
 * bodies (which hold a gateway's env, hence its tokens) never appear in error messages.
 */
import type { Readable } from "node:stream";
import type Docker from "dockerode";
import { RuntimeError } from "../../errors.js";
import { demuxDockerStream } from "./demux.js";
import { apiGet, engineError, envKeys, labelFilter, listedPorts, localSocket, mountSpec, normalizeInfo, notFound, read } from "./engine-api.js";
import { recreatePlan, scratchPlan } from "./recreate-plan.js";
import type { ContainerStatus, Engine, LogChunk, LogOptions } from "./types.js";

/** Last bytes of a job's output kept (copy jobs print a line or two; errors a stack). */
const JOB_OUTPUT_MAX_BYTES = 64 * 1024;

/** What every method group shares: the lazily loaded client and the local socket, if any. */
interface Ctx {
  docker: () => Promise<Docker>;
  /** The local unix socket for plain reads; undefined when dockerode does every call. */
  sock: string | undefined;
  /** Run `fn` on the client, mapping its errors to RuntimeErrors that say what failed. */
  call<T>(what: string, fn: (d: Docker) => Promise<T>): Promise<T>;
}

/** Ignore one HTTP status code of the Engine API (304 "already so", 404 "already gone"). */
async function ignoring(status: number, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== status) throw err;
  }
}

function containerMethods({ sock, call }: Ctx): Pick<Engine, "ping" | "listContainers" | "inspect" | "stop" | "start" | "remove" | "rename" | "createLike" | "createScratch"> {
  return {
    ping: () => call("answer a ping", async (d) => void (await d.ping())),
    listContainers: async (labels) => {
      const what = "list containers";
      const filters = labelFilter(labels);
      const list = sock
        ? ((await read(what, () => apiGet<Docker.ContainerInfo[]>(sock, `/containers/json?all=1&filters=${encodeURIComponent(filters)}`))) ?? [])
        : await call(what, (d) => d.listContainers({ all: true, filters }));
      return list.map((c) => ({ id: c.Id, name: (c.Names[0] ?? c.Id).replace(/^\//, ""), image: c.Image, status: c.State as ContainerStatus, labels: c.Labels ?? {}, ports: listedPorts(c.Ports) }));
    },
    inspect: async (id) => {
      const what = `inspect container ${id}`;
      const raw = sock
        ? await read(what, () => apiGet<Docker.ContainerInspectInfo>(sock, `/containers/${encodeURIComponent(id)}/json`))
        : await call(what, (d) => d.getContainer(id).inspect().catch((err: unknown) => (notFound(err) ? undefined : Promise.reject(err))));
      return raw && normalizeInfo(raw);
    },
    stop: (id, timeoutS) => call(`stop container ${id}`, (d) => ignoring(304, () => d.getContainer(id).stop({ t: timeoutS }))),
    start: (id) => call(`start container ${id}`, (d) => ignoring(304, () => d.getContainer(id).start())),
    remove: (id, o = {}) => call(`remove container ${id}`, (d) => ignoring(404, () => d.getContainer(id).remove({ force: Boolean(o.force), v: true }))),
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
    createScratch: (sourceId, o) =>
      call(`create a scratch container like ${sourceId} on ${o.image}`, async (d) => {
        const src = await d.getContainer(sourceId).inspect();
        const old = await d
          .getImage(src.Image)
          .inspect()
          .then((i) => i.Config, (err) => (notFound(err) ? undefined : Promise.reject(err)));
        return (await d.createContainer(scratchPlan(src, old, o, o.mounts.map(mountSpec)))).id;
      }),
  };
}

function imageVolumeMethods({ sock, call }: Ctx): Pick<Engine, "image" | "pull" | "createVolume" | "listVolumes" | "removeVolume" | "listNetworks" | "engineInfo" | "createNetwork" | "removeNetwork"> {
  return {
    listNetworks: () =>
      call("list networks", async (d) => {
        const nets = await d.listNetworks();
        return nets.map((n) => ({ name: n.Name, subnets: (n.IPAM?.Config ?? []).map((c) => c.Subnet).filter((x): x is string => typeof x === "string"), labels: n.Labels ?? {} }));
      }),
    image: async (ref) => {
      const what = `inspect image ${ref}`;
      const i = sock
        ? await read(what, () => apiGet<Docker.ImageInspectInfo>(sock, `/images/${encodeURIComponent(ref)}/json`))
        : await call(what, (d) => d.getImage(ref).inspect().catch((err: unknown) => (notFound(err) ? undefined : Promise.reject(err))));
      return i && { id: i.Id, repoTags: i.RepoTags ?? [], labels: i.Config?.Labels ?? {}, envKeys: envKeys(i.Config?.Env) };
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
    removeVolume: (name) => call(`remove volume ${name}`, (d) => ignoring(404, () => d.getVolume(name).remove())),
    createNetwork: (name, labels, o) => call(`create network ${name}`, async (d) => void (await d.createNetwork({ Name: name, Driver: "bridge", Internal: o.internal, Labels: labels, CheckDuplicate: true }))),
    removeNetwork: (name) => call(`remove network ${name}`, (d) => ignoring(404, () => d.getNetwork(name).remove())),
    engineInfo: () =>
      call("describe itself", async (d) => {
        const [v, info] = await Promise.all([d.version(), d.info() as Promise<{ DockerRootDir?: string }>]);
        return { version: v.Version, apiVersion: v.ApiVersion, ...(info.DockerRootDir ? { rootDir: info.DockerRootDir } : {}) };
      }),
  };
}

function jobMethods({ call }: Ctx, engine: Pick<Engine, "waitExit" | "logs">): Pick<Engine, "runJob" | "waitExit" | "createIdle"> {
  return {
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
  };
}

/** A container's logs, demultiplexed unless it has a TTY; follow mode ends when `o.signal` aborts. */
async function* containerLogs({ docker }: Ctx, id: string, o: LogOptions): AsyncGenerator<LogChunk> {
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
}

function streamMethods(ctx: Ctx): Pick<Engine, "logs" | "getArchive" | "putArchive" | "exec"> {
  const { call } = ctx;
  return {
    logs: (id, o) => ({ [Symbol.asyncIterator]: () => containerLogs(ctx, id, o) }),
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
    exec: (id, cmd, o) => call(`run ${cmd[0] ?? "a command"} in container ${id}`, (d) => execIn(d, id, cmd, o)),
  };
}

/** `docker exec`, output collected; exit code 124 when still running after `o.timeoutMs`. */
async function execIn(d: Docker, id: string, cmd: string[], o: Parameters<Engine["exec"]>[2]): ReturnType<Engine["exec"]> {
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
}

/**
 * The Engine over dockerode. dockerode is loaded on first use (it is slow to load), so commands
 * that never touch Docker do not pay for it.
 * @param opts.docker a dockerode client to use (then every call, reads included, goes through it).
 */
export function createDockerEngine(opts: { docker?: Docker } = {}): Engine {
  let client: Promise<Docker> | undefined = opts.docker ? Promise.resolve(opts.docker) : undefined;
  const docker = () => (client ??= import("dockerode").then((m) => new m.default()));
  // Reads (list, inspect) on a local socket go over node:http: loading dockerode costs about
  // 0.2 s of CPU, which is most of a `clawfed status` (bench/status.mjs). Everything else, and
  // every read on a remote DOCKER_HOST, goes through dockerode.
  const ctx: Ctx = {
    docker,
    sock: opts.docker ? undefined : localSocket(),
    async call(what, fn) {
      try {
        return await fn(await docker());
      } catch (err) {
        if (err instanceof RuntimeError) throw err;
        throw engineError(err, what);
      }
    },
  };
  const streams = streamMethods(ctx);
  const jobs = jobMethods(ctx, { logs: streams.logs, waitExit: (id, ms) => jobs.waitExit(id, ms) });
  return { ...containerMethods(ctx), ...imageVolumeMethods(ctx), ...jobs, ...streams };
}

export { apiGet, localSocket } from "./engine-api.js";
