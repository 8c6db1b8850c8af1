// An in-memory container engine for fast unit tests of runtime branching logic (timeouts, crash
// loops, partial failures). Real behaviour is covered by test/e2e against Docker.
//
// Model: images have a behaviour (what the gateway in a container of it does: see
// ./memory-gateway.ts, which also answers the gateway's HTTP and in-container commands). Volumes
// and bind folders are maps of file → content; the copy job of snapshot.ts copies them.
import { CONTAINER_PORT, CONTAINER_STATE_DIR } from "../../src/vocabulary/names.js";
import type { Clock } from "../../src/runtime/clock.js";
import { manualClock } from "./clock.js";
import type { Readable } from "node:stream";
import * as tarStream from "tar-stream";
import type {
  ContainerInfo,
  ContainerMount,
  ContainerSummary,
  CreateLikeOptions,
  ScratchOptions,
  Engine,
  EngineFacts,
  ExecResult,
  IdleSpec,
  ImageInfo,
  JobResult,
  JobSpec,
  Labels,
  LogChunk,
  LogOptions,
  MountSource,
  NetworkSummary,
} from "../../src/runtime/docker/types.js";
import type { HttpGet } from "../../src/runtime/health.js";
import { behaviourOf, gatewayExec, gatewayHttp, type Behaviour, type GatewayHost, type MemContainer } from "./memory-gateway.js";

export type { Behaviour } from "./memory-gateway.js";

export class MemoryEngine implements Engine, GatewayHost {
  readonly clock: Clock & { advance(ms: number): void };
  readonly containers = new Map<string, MemContainer>();
  readonly images = new Map<string, { id: string; behaviour: Behaviour; labels: Labels }>();
  /** volume name or bind path → files. */
  readonly data = new Map<string, Map<string, string>>();
  readonly volumeLabels = new Map<string, Labels>();
  /** Every mutating call, e.g. "stop beta_1". */
  readonly calls: string[] = [];
  /** Milliseconds an "ok" gateway needs to report started. */
  startMs = 3_000;
  /**
   * Seconds a gateway takes to shut down after SIGTERM (e.g. a Telegram channel that cannot reach
   * Telegram). A stop with a shorter timeout kills it, as the engine does: exit code 137.
   */
  shutdownS = 0;
  /** Every stop: container name, timeout given, exit code. */
  readonly stops: Array<{ name: string; timeoutS: number | undefined; exitCode: number }> = [];
  /** Make the n-th call (1-based) of a method throw (partial failures): failAt.set("runJob", { n: 2, err }). */
  readonly failAt = new Map<string, { n: number; err: Error }>();
  private readonly counts = new Map<string, number>();
  /** Images that can be pulled. */
  readonly pullable = new Map<string, { id: string; behaviour: Behaviour }>();
  /** What `engineInfo` answers. */
  facts: EngineFacts = { version: "26.1.5", apiVersion: "1.45", rootDir: "/var/lib/docker" };
  /** Answers `exec` (unset: exec is not modelled and throws). */
  execHandler?: (container: ContainerInfo, cmd: string[]) => ExecResult;
  private seq = 0;

  constructor(clock = manualClock(1_000_000)) {
    this.clock = clock;
  }

  addImage(ref: string, behaviour: Behaviour = "ok", id = `sha256:${ref.replace(/[^a-z0-9]/g, "")}`): void {
    this.images.set(ref, { id, behaviour, labels: { "ai.clawfed.openclaw-version": "2026.9.6" } });
  }

  /** Add a running gateway container. */
  addContainer(o: { name: string; image: string; labels: Labels; port: number; state: MountSource; running?: boolean; stopTimeoutS?: number; envKeys?: string[] }): string {
    const img = this.images.get(o.image);
    if (!img) throw new Error(`no image ${o.image}`);
    const id = this.newId();
    const mounts: ContainerMount[] = [{ source: o.state, destination: CONTAINER_STATE_DIR, readOnly: false }];
    this.dataOf(o.state);
    this.containers.set(id, {
      info: {
        id,
        name: o.name,
        image: o.image,
        imageId: img.id,
        labels: { ...o.labels },
        status: "created",
        created: new Date(0).toISOString(),
        running: false,
        exitCode: 0,
        restartCount: 0,
        oomKilled: false,
        health: "none",
        mounts,
        networks: ["net-a", "net-b"],
        ports: [{ containerPort: CONTAINER_PORT, protocol: "tcp", hostIp: "127.0.0.1", hostPort: o.port }],
        ...(o.stopTimeoutS === undefined ? {} : { stopTimeoutS: o.stopTimeoutS }),
        ...(o.envKeys ? { envKeys: [...o.envKeys].sort() } : {}),
      },
      logs: [],
    });
    if (o.running !== false) {
      this.doStart(id);
      this.containers.get(id)!.startedAtMs = this.clock.now() - 60_000;
    }
    return id;
  }

  dataOf(s: MountSource): Map<string, string> {
    const key = s.kind === "volume" ? `volume:${s.name}` : `bind:${s.path}`;
    let d = this.data.get(key);
    if (!d) this.data.set(key, (d = new Map()));
    return d;
  }

  private newId(): string {
    this.seq++;
    return `${String(this.seq).padStart(4, "0")}${"c".repeat(60)}`;
  }

  private find(idOrName: string): MemContainer | undefined {
    return this.containers.get(idOrName) ?? [...this.containers.values()].find((c) => c.info.name === idOrName || c.info.id.startsWith(idOrName));
  }

  private maybeFail(method: string): void {
    const n = (this.counts.get(method) ?? 0) + 1;
    this.counts.set(method, n);
    const f = this.failAt.get(method);
    if (f && f.n === n) throw f.err;
  }

  private doStart(id: string): void {
    const c = this.find(id)!;
    const b = behaviourOf(this, c);
    c.info.startedAt = new Date(this.clock.now()).toISOString();
    c.startedAtMs = this.clock.now();
    if (b === "crash" || b === "exit78") {
      const state = c.info.mounts.find((m) => m.destination === CONTAINER_STATE_DIR);
      if (state) this.dataOf(state.source).set("migrated-by-bad-image", "1");
      c.logs.push(b === "crash" ? "fatal: cannot start\n" : "invalid config\n");
      c.info.exitCode = b === "crash" ? 1 : 78;
      c.info.running = false;
      c.info.status = b === "crash" ? "restarting" : "exited";
      return;
    }
    c.logs.push("gateway starting\n");
    c.info.running = true;
    c.info.status = "running";
    c.info.exitCode = 0;
  }

  // ---- Engine ----
  async ping(): Promise<void> {
    this.maybeFail("ping");
  }

  async listContainers(labels: Labels): Promise<ContainerSummary[]> {
    return [...this.containers.values()]
      .filter((c) => Object.entries(labels).every(([k, v]) => c.info.labels[k] === v))
      .map((c) => ({ id: c.info.id, name: c.info.name, image: c.info.image, status: c.info.status, labels: { ...c.info.labels }, ports: c.info.running ? structuredClone(c.info.ports) : [] }));
  }

  async inspect(idOrName: string): Promise<ContainerInfo | undefined> {
    const c = this.find(idOrName);
    if (!c) return undefined;
    if (c.info.status === "restarting") {
      // The engine restarts a crashing container (restart: unless-stopped).
      c.info.restartCount++;
      this.doStart(c.info.id);
    }
    return structuredClone(c.info);
  }

  async stop(id: string, timeoutS?: number): Promise<void> {
    this.maybeFail("stop");
    this.calls.push(`stop ${this.find(id)!.info.name}`);
    const c = this.find(id)!;
    const wasRunning = c.info.running;
    // Docker: SIGTERM, wait `timeoutS` (default the container's own, else 10 s), then SIGKILL.
    const limitS = timeoutS ?? c.info.stopTimeoutS ?? 10;
    const killed = wasRunning && this.shutdownS > limitS;
    this.clock.advance(1000 * Math.min(this.shutdownS, limitS));
    if (wasRunning) c.info.exitCode = killed ? 137 : 0;
    this.stops.push({ name: c.info.name, timeoutS, exitCode: c.info.exitCode });
    c.info.running = false;
    c.info.status = "exited";
    c.info.finishedAt = new Date(this.clock.now()).toISOString();
  }

  async start(id: string): Promise<void> {
    this.maybeFail("start");
    const c = this.find(id);
    if (!c) throw new Error(`no such container ${id}`);
    this.calls.push(`start ${c.info.name}`);
    if (!c.info.running) this.doStart(c.info.id);
  }

  async remove(id: string): Promise<void> {
    this.maybeFail("remove");
    const c = this.find(id);
    if (!c) return;
    this.calls.push(`remove ${c.info.name}`);
    this.containers.delete(c.info.id);
  }

  async rename(id: string, name: string): Promise<void> {
    this.maybeFail("rename");
    const c = this.find(id)!;
    if (this.find(name)) throw new Error(`name ${name} in use`);
    this.calls.push(`rename ${c.info.name} ${name}`);
    c.info.name = name;
  }

  async createLike(sourceId: string, o: CreateLikeOptions): Promise<string> {
    this.maybeFail("createLike");
    const src = this.find(sourceId)!;
    const img = this.images.get(o.image);
    if (!img) throw new Error(`no image ${o.image}`);
    if (this.find(o.name)) throw new Error(`name ${o.name} in use`);
    const id = this.newId();
    this.calls.push(`create ${o.name} ${o.image}`);
    this.containers.set(id, {
      info: { ...structuredClone(src.info), id, name: o.name, image: o.image, imageId: img.id, labels: { ...src.info.labels, ...(o.labels ?? {}) }, status: "created", running: false, restartCount: 0, exitCode: 0, startedAt: undefined, finishedAt: undefined },
      logs: [],
    });
    return id;
  }

  async createScratch(sourceId: string, o: ScratchOptions): Promise<string> {
    this.maybeFail("createScratch");
    const src = this.find(sourceId)!;
    const img = this.images.get(o.image);
    if (!img) throw new Error(`no image ${o.image}`);
    const id = this.newId();
    this.calls.push(`scratch ${o.name} ${o.image}`);
    const mounts = o.mounts.map((m) => ({ source: m.source, destination: m.target, readOnly: Boolean(m.readOnly) }));
    this.containers.set(id, {
      info: { ...structuredClone(src.info), id, name: o.name, image: o.image, imageId: img.id, labels: { ...o.labels }, status: "created", running: false, restartCount: 0, exitCode: 0, mounts, networks: [o.network ?? "none"], ports: [], startedAt: undefined, finishedAt: undefined },
      logs: [],
    });
    return id;
  }

  /** Networks made by createNetwork (a rehearsal's own), by name. */
  readonly createdNetworks = new Map<string, Labels>();

  async createNetwork(name: string, labels: Labels): Promise<void> {
    this.calls.push(`network create ${name}`);
    this.createdNetworks.set(name, labels);
  }

  async removeNetwork(name: string): Promise<void> {
    this.calls.push(`network rm ${name}`);
    this.createdNetworks.delete(name);
  }

  async image(ref: string): Promise<ImageInfo | undefined> {
    const byRef = this.images.get(ref);
    const i = byRef ?? [...this.images.values()].find((x) => x.id === ref);
    // Every image sets PATH and NODE_VERSION, like the OpenClaw image.
    return i ? { id: i.id, repoTags: byRef ? [ref] : [], labels: i.labels, envKeys: ["NODE_VERSION", "PATH"] } : undefined;
  }

  async pull(ref: string): Promise<void> {
    this.calls.push(`pull ${ref}`);
    const p = this.pullable.get(ref);
    if (!p) throw new Error(`Get "https://registry/v2/": dial tcp: lookup registry: no such host`);
    this.images.set(ref, { ...p, labels: {} });
  }

  async createVolume(name: string, labels: Labels): Promise<void> {
    this.maybeFail("createVolume");
    this.calls.push(`volume create ${name}`);
    this.volumeLabels.set(name, labels);
    this.dataOf({ kind: "volume", name });
  }

  async listVolumes(labels: Labels): Promise<Array<{ name: string; labels: Labels }>> {
    return [...this.volumeLabels.entries()].filter(([, l]) => Object.entries(labels).every(([k, v]) => l[k] === v)).map(([name, l]) => ({ name, labels: l }));
  }

  /** Networks listNetworks reports (tests set them), besides those made by createNetwork. */
  networks: NetworkSummary[] = [];

  async listNetworks(): Promise<NetworkSummary[]> {
    const made = [...this.createdNetworks].map(([name, labels]): NetworkSummary => ({ name, subnets: [], labels }));
    return [...this.networks, ...made].map((n) => ({ ...n, subnets: [...n.subnets], labels: { ...n.labels } }));
  }

  async engineInfo(): Promise<EngineFacts> {
    this.maybeFail("engineInfo");
    return { ...this.facts };
  }

  async removeVolume(name: string): Promise<void> {
    this.calls.push(`volume rm ${name}`);
    this.volumeLabels.delete(name);
    this.data.delete(`volume:${name}`);
  }

  async runJob(job: JobSpec): Promise<JobResult> {
    this.maybeFail("runJob");
    if (!(await this.image(job.image))) throw new Error(`no image ${job.image}`);
    if (job.mounts.some((m) => m.target === "/clawfed-state")) {
      this.calls.push(`release leases ${job.mounts[0]!.source.kind === "volume" ? job.mounts[0]!.source.name : ""}`);
      return { exitCode: 0, output: `${JSON.stringify({ released: 1 })}\n` };
    }
    const from = job.mounts.find((m) => m.target === "/clawfed-from");
    const to = job.mounts.find((m) => m.target === "/clawfed-to");
    if (!from || !to) return { exitCode: 2, output: "unknown job" };
    const src = this.dataOf(from.source);
    const dst = this.dataOf(to.source);
    dst.clear();
    let bytes = 0;
    for (const [k, v] of src) {
      dst.set(k, v);
      bytes += v.length;
    }
    this.calls.push(`copy ${from.source.kind === "volume" ? from.source.name : from.source.path} -> ${to.source.kind === "volume" ? to.source.name : to.source.path}`);
    return { exitCode: 0, output: `${JSON.stringify({ files: src.size, bytes, skipped: 0 })}\n` };
  }

  async *logs(id: string, opts: LogOptions): AsyncGenerator<LogChunk> {
    const c = this.find(id);
    if (!c) throw new Error(`no such container ${id}`);
    const lines = opts.tail ? c.logs.slice(-opts.tail) : c.logs;
    for (const l of lines) yield { stream: "stdout", data: Buffer.from(l) };
  }

  async waitExit(id: string): Promise<number | undefined> {
    const c = this.find(id);
    return c && !c.info.running ? c.info.exitCode : undefined;
  }

  // Of the archive API only reading a mounted state is modelled (a stopped backup's copy, as
  // `remove` makes one); writing (restore) is not: its tests run on Docker.
  async createIdle(spec: IdleSpec): Promise<string> {
    const id = this.newId();
    const img = this.images.get(spec.image);
    const mounts = spec.mounts.map((m) => ({ source: m.source, destination: m.target, readOnly: Boolean(m.readOnly) }));
    this.containers.set(id, {
      info: { id, name: `idle-${id.slice(0, 4)}`, image: spec.image, imageId: img?.id ?? spec.image, labels: { ...spec.labels }, status: "created", created: "", running: false, exitCode: 0, restartCount: 0, oomKilled: false, health: "none", mounts, networks: [], ports: [] },
      logs: [],
    });
    return id;
  }

  /** A tar of a mounted volume or folder (entries named after the path's last segment, as Docker does); undefined for anything else. */
  async getArchive(id: string, at: string): Promise<Readable | undefined> {
    const m = this.find(id)?.info.mounts.find((x) => x.destination === at);
    if (!m) return undefined;
    const top = at.split("/").pop()!;
    const pack = tarStream.pack();
    const mtime = new Date(this.clock.now());
    pack.entry({ name: `${top}/`, type: "directory", mode: 0o700, uid: 1000, gid: 1000, mtime });
    for (const [file, content] of [...this.dataOf(m.source)].sort()) pack.entry({ name: `${top}/${file}`, type: "file", mode: 0o600, uid: 1000, gid: 1000, mtime }, content);
    pack.finalize();
    return pack as unknown as Readable;
  }

  async putArchive(): Promise<void> {
    throw new Error("MemoryEngine does not model the archive API");
  }

  /** Findings the modelled `openclaw doctor --lint` reports (exec without an execHandler, see below). */
  doctorFindings: Array<{ checkId: string; severity: string; message: string }> = [];

  /**
   * exec: through `execHandler` when a test sets one; else what a rehearsal runs inside a scratch
   * gateway (./memory-gateway.ts gatewayExec).
   */
  async exec(id: string, cmd: string[]): Promise<ExecResult> {
    const c = this.find(id);
    if (!c?.info.running) throw new Error(`container ${id} is not running`);
    if (this.execHandler) {
      this.calls.push(`exec ${c.info.name} ${cmd.join(" ")}`);
      return this.execHandler(structuredClone(c.info), cmd);
    }
    this.calls.push(`exec ${c.info.name} ${cmd.includes("doctor") ? "doctor" : "probe"}`);
    return gatewayExec(this, c, cmd);
  }

  /** The gateway HTTP of the running containers, by published port (./memory-gateway.ts). */
  readonly get: HttpGet = gatewayHttp(this);
}
