/**
 * Low-level pieces of the dockerode Engine (./engine.ts): error mapping, normalizing `docker
 * inspect`, and plain JSON reads of the Engine API over the local unix socket.
 */
import http from "node:http";
import type Docker from "dockerode";
import { RuntimeError } from "../../errors.js";
import type { ContainerInfo, ContainerMount, ContainerStatus, JobMount, Labels, PublishedPort } from "./types.js";

const ENGINE_DOWN_CODES = new Set(["ECONNREFUSED", "ENOENT", "EACCES", "ECONNRESET", "EPIPE", "ETIMEDOUT"]);

export function engineError(err: unknown, what: string): RuntimeError {
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

export const notFound = (err: unknown) => (err as { statusCode?: number }).statusCode === 404;

export function normalizeInfo(i: Docker.ContainerInspectInfo): ContainerInfo {
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
    envKeys: envKeys(i.Config.Env),
  };
}

/** Names of `NAME=value` entries, sorted and unique; the values (tokens) are dropped here. */
export function envKeys(env: readonly string[] | null | undefined): string[] {
  return [...new Set((env ?? []).map((e) => e.split("=", 1)[0]!).filter(Boolean))].sort();
}

/** Host-published ports of a container listing (`Ports` of /containers/json); unpublished ones are left out. */
export function listedPorts(ports: ReadonlyArray<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }> | null | undefined): PublishedPort[] {
  return (ports ?? []).filter((p) => p.PublicPort).map((p) => ({ containerPort: p.PrivatePort, protocol: p.Type, hostIp: p.IP ?? "", hostPort: p.PublicPort! }));
}

export function mountSpec(m: JobMount): Docker.MountSettings {
  return m.source.kind === "volume"
    ? { Type: "volume", Source: m.source.name, Target: m.target, ReadOnly: Boolean(m.readOnly) }
    : { Type: "bind", Source: m.source.path, Target: m.target, ReadOnly: Boolean(m.readOnly) };
}

export const labelFilter = (labels: Labels) => JSON.stringify({ label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) });

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

/** Run a read, mapping its errors like every other engine call. */
export async function read<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw engineError(err, what);
  }
}
