/**
 * `SwarmEngine` over dockerode (Docker Engine API ≥ v1.41: `Pids` limits and `CapabilityDrop` in
 * service specs). dockerode is loaded on first use, like createDockerEngine.
 */
import type { Readable } from "node:stream";
import type Docker from "dockerode";
import { RuntimeError } from "../../errors.js";
import { demuxDockerStream } from "../docker/demux.js";
import type { Labels } from "../docker/types.js";
import type { NetworkInfo, ServiceInfo, SwarmEngine, SwarmState, TaskInfo } from "./types.js";

const DOWN_CODES = new Set(["ECONNREFUSED", "ENOENT", "EACCES", "ECONNRESET", "EPIPE", "ETIMEDOUT"]);

function swarmError(err: unknown, what: string): RuntimeError {
  const e = err as { code?: string; statusCode?: number; json?: { message?: string }; reason?: string; message?: string };
  if (e?.code && DOWN_CODES.has(e.code)) {
    return new RuntimeError(`cannot reach the Docker Engine at ${process.env.DOCKER_HOST ?? "/var/run/docker.sock"} (${e.code}) while trying to ${what}`, {
      next: e.code === "EACCES" ? "run as root or as a member of the docker group" : "start Docker (systemctl start docker)",
      cause: err,
    });
  }
  const msg = (e?.json?.message ?? e?.reason ?? e?.message ?? String(err)).trim();
  if (e?.statusCode === 503 && /not (part of )?a swarm|swarm manager/i.test(msg)) {
    return new RuntimeError(`this Docker Engine is not a Swarm manager (${msg}), so it cannot ${what}`, {
      next: "docker swarm init --advertise-addr <this node's address> (or run clawfed against a manager: DOCKER_HOST=...)",
      cause: err,
    });
  }
  return new RuntimeError(`Docker could not ${what}: ${msg}`, { cause: err });
}

const notFound = (err: unknown) => (err as { statusCode?: number }).statusCode === 404;
const labelFilter = (labels: Labels) => ({ label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) });
/** Docker pins `image:tag@sha256:…` when it could resolve a digest; clawfed compares tags. */
const bareImage = (ref: string | undefined) => (ref ?? "").replace(/@sha256:[0-9a-f]+$/, "");

function toService(s: Docker.Service & { Spec?: Docker.ServiceSpec }): ServiceInfo {
  const spec = s.Spec ?? {};
  const cs = (t: Docker.ServiceSpec | undefined) => (t?.TaskTemplate as Docker.ContainerTaskSpec | undefined)?.ContainerSpec;
  const prev = s.PreviousSpec ? bareImage(cs(s.PreviousSpec)?.Image) : undefined;
  return {
    id: s.ID,
    name: spec.Name ?? s.ID,
    version: s.Version?.Index ?? 0,
    labels: spec.Labels ?? {},
    image: bareImage(cs(spec)?.Image),
    ...(prev ? { previousImage: prev } : {}),
    ...(s.UpdateStatus?.State ? { updateState: s.UpdateStatus.State } : {}),
    ...(s.UpdateStatus?.Message ? { updateMessage: s.UpdateStatus.Message } : {}),
    ...(s.UpdateStatus?.StartedAt ? { updateStartedAt: s.UpdateStatus.StartedAt } : {}),
    ...(s.UpdateStatus?.CompletedAt ? { updateCompletedAt: s.UpdateStatus.CompletedAt } : {}),
    spec,
  };
}

interface RawTask {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  DesiredState: string;
  Spec?: { ContainerSpec?: { Image?: string } };
  Status?: { Timestamp?: string; State?: string; Message?: string; Err?: string; ContainerStatus?: { ContainerID?: string; ExitCode?: number } };
}

function toTask(t: RawTask): TaskInfo {
  const st = t.Status ?? {};
  return {
    id: t.ID,
    serviceId: t.ServiceID,
    state: st.State ?? "unknown",
    desiredState: t.DesiredState,
    message: st.Message ?? "",
    ...(st.Err ? { error: st.Err } : {}),
    ...(st.ContainerStatus?.ExitCode !== undefined && st.ContainerStatus.ContainerID ? { exitCode: st.ContainerStatus.ExitCode } : {}),
    ...(st.ContainerStatus?.ContainerID ? { containerId: st.ContainerStatus.ContainerID } : {}),
    ...(t.NodeID ? { nodeId: t.NodeID } : {}),
    image: bareImage(t.Spec?.ContainerSpec?.Image),
    timestamp: st.Timestamp ?? "",
  };
}

export function createSwarmEngine(opts: { docker?: Docker } = {}): SwarmEngine {
  let client: Promise<Docker> | undefined = opts.docker ? Promise.resolve(opts.docker) : undefined;
  const docker = () => (client ??= import("dockerode").then((m) => new m.default()));
  async function call<T>(what: string, fn: (d: Docker) => Promise<T>): Promise<T> {
    try {
      return await fn(await docker());
    } catch (err) {
      if (err instanceof RuntimeError) throw err;
      throw swarmError(err, what);
    }
  }
  const ignore404 = (err: unknown) => (notFound(err) ? undefined : Promise.reject(err));

  return {
    info: () =>
      call("read the Swarm state", async (d) => {
        const i = (await d.info()) as { Swarm?: { LocalNodeState?: string; NodeID?: string; ControlAvailable?: boolean } };
        const state = (i.Swarm?.LocalNodeState || "inactive") as SwarmState;
        return { state, nodeId: i.Swarm?.NodeID ?? "", manager: Boolean(i.Swarm?.ControlAvailable) };
      }),

    nodes: () =>
      call("list Swarm nodes", async (d) => {
        const list = (await d.listNodes()) as Array<{ ID: string; Version?: { Index?: number }; Spec?: { Labels?: Labels; Availability?: string }; Description?: { Hostname?: string }; Status?: { State?: string } }>;
        return list.map((n) => ({
          id: n.ID,
          hostname: n.Description?.Hostname ?? n.ID,
          labels: n.Spec?.Labels ?? {},
          version: n.Version?.Index ?? 0,
          availability: n.Spec?.Availability ?? "active",
          state: n.Status?.State ?? "unknown",
        }));
      }),

    labelNode: (nodeId, labels) =>
      call(`label node ${nodeId}`, async (d) => {
        const node = d.getNode(nodeId);
        const info = (await node.inspect()) as { Version: { Index: number }; Spec: { Labels?: Labels; Role: string; Availability: string; Name?: string } };
        await node.update({ version: info.Version.Index, ...info.Spec, Labels: { ...(info.Spec.Labels ?? {}), ...labels } });
      }),

    services: (labels) =>
      call("list services", async (d) => (await d.listServices({ filters: labelFilter(labels) })).map((s) => toService(s as Docker.Service))),

    createService: (spec) => call(`create service ${spec.Name}`, async (d) => ((await d.createService(spec)) as unknown as { id: string }).id),

    updateService: (id, version, spec) =>
      call(`update service ${spec.Name ?? id}`, async (d) => {
        await d.getService(id).update({ version, ...spec } as never);
      }),

    removeService: (id) => call(`remove service ${id}`, async (d) => void (await d.getService(id).remove().catch(ignore404))),

    tasks: (serviceId) =>
      call(`list the tasks of service ${serviceId}`, async (d) => {
        const list = (await d.listTasks({ filters: { service: [serviceId] } })) as RawTask[];
        return list.map(toTask).sort((a, b) => (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : 0));
      }),

    secrets: (labels) =>
      call("list secrets", async (d) =>
        ((await d.listSecrets({ filters: labelFilter(labels) })) as Array<{ ID: string; Spec?: { Name?: string; Labels?: Labels } }>).map((s) => ({
          id: s.ID,
          name: s.Spec?.Name ?? s.ID,
          labels: s.Spec?.Labels ?? {},
        })),
      ),

    createSecret: (name, data, labels) =>
      // The what-string names the secret, never its value; dockerode's errors carry no request body.
      call(`create secret ${name}`, async (d) => ((await d.createSecret({ Name: name, Labels: labels, Data: Buffer.from(data, "utf8").toString("base64") })) as { id: string }).id),

    removeSecret: (id) => call(`remove secret ${id}`, async (d) => void (await d.getSecret(id).remove().catch(ignore404))),

    networks: (labels) =>
      call("list networks", async (d) =>
        (await d.listNetworks({ filters: labelFilter(labels) })).map(
          (n): NetworkInfo => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {}, driver: n.Driver, internal: Boolean(n.Internal), options: n.Options ?? {} }),
        ),
      ),

    createNetwork: (n) =>
      call(`create network ${n.name}`, async (d) => {
        const net = await d.createNetwork({ Name: n.name, Driver: "overlay", Internal: n.internal, Attachable: false, Options: n.options, Labels: n.labels, CheckDuplicate: true });
        return net.id;
      }),

    removeNetwork: (id) => call(`remove network ${id}`, async (d) => void (await d.getNetwork(id).remove().catch(ignore404))),

    serviceLogs: (id, o) => ({
      async *[Symbol.asyncIterator]() {
        const opts = { stdout: true, stderr: true, follow: o.follow, timestamps: Boolean(o.timestamps), ...(o.tail ? { tail: o.tail } : {}), ...(o.sinceS ? { since: o.sinceS } : {}) };
        const raw = await call(`read the logs of service ${id}`, (d) => (d.getService(id).logs as unknown as (x: object) => Promise<unknown>)(opts));
        if (Buffer.isBuffer(raw)) {
          yield* demuxDockerStream([raw]);
          return;
        }
        const stream = raw as unknown as Readable;
        const stop = () => stream.destroy();
        o.signal?.addEventListener("abort", stop, { once: true });
        try {
          yield* demuxDockerStream(stream);
        } catch (err) {
          if (!o.signal?.aborted) throw swarmError(err, `read the logs of service ${id}`);
        } finally {
          o.signal?.removeEventListener("abort", stop);
        }
      },
    }),
  };
}
