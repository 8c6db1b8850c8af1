// Test helpers over the real Docker Engine (dockerode): find a compose service's container, run a
// command inside it with secrets passed through the exec's environment (never its argv), and list
// everything a federation left behind.
import Docker from "dockerode";
import { createDockerEngine } from "../../src/runtime/docker/engine.js";

let client: Docker | undefined;

/** The Docker Engine on the default socket (DOCKER_HOST is honoured by dockerode). */
export function docker(): Docker {
  client ??= new Docker();
  return client;
}

/** The one container of a compose service (running or not). @throws when there is none or several. */
export async function serviceContainer(project: string, service: string): Promise<Docker.ContainerInspectInfo> {
  const list = await docker().listContainers({
    all: true,
    filters: { label: [`com.docker.compose.project=${project}`, `com.docker.compose.service=${service}`] },
  });
  if (list.length !== 1) throw new Error(`expected one container for ${project}/${service}, found ${list.length}`);
  return docker().getContainer(list[0]!.Id).inspect();
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `cmd` in a running container as its own user. `env` entries are added to the exec's
 * environment, which is where tokens go: they never appear in the command line (visible in `ps`
 * and in `docker inspect` of the exec).
 */
export async function execIn(containerId: string, cmd: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<ExecResult> {
  // The product's own docker exec (Engine.exec), so tests exercise the same path clawfed uses.
  const res = await createDockerEngine({ docker: docker() }).exec(containerId, cmd, { env: opts.env, timeoutMs: opts.timeoutMs ?? 60_000 });
  return { code: res.exitCode, stdout: res.stdout, stderr: res.stderr };
}

/**
 * Run a Node script inside a container with the image's node and return the JSON it prints as
 * its last stdout line. The script is no secret; secrets go in `env` and are read from
 * `process.env` by the script.
 */
export async function nodeIn<T = unknown>(containerId: string, script: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<T> {
  const res = await execIn(containerId, ["node", "-e", script], { env, timeoutMs });
  const lines = res.stdout.trim().split("\n");
  const last = lines[lines.length - 1] ?? "";
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`node -e in ${containerId.slice(0, 12)} exited ${res.code} without a JSON line; stdout: ${res.stdout.slice(0, 500)} stderr: ${res.stderr.slice(0, 500)}`);
  }
}

export interface LeftOvers {
  containers: string[];
  networks: string[];
  volumes: string[];
}

/** Containers, networks and volumes that belong to a federation (clawfed label) or its compose project. */
export async function leftOvers(federation: string, project: string = federation): Promise<LeftOvers> {
  const d = docker();
  const byLabel = [`ai.clawfed.federation=${federation}`, `com.docker.compose.project=${project}`];
  const containers = new Set<string>();
  const networks = new Set<string>();
  const volumes = new Set<string>();
  for (const label of byLabel) {
    for (const c of await d.listContainers({ all: true, filters: { label: [label] } })) containers.add((c.Names[0] ?? c.Id).replace(/^\//, ""));
    for (const n of await d.listNetworks({ filters: { label: [label] } })) networks.add(n.Name);
    for (const v of (await d.listVolumes({ filters: { label: [label] } })).Volumes ?? []) volumes.add(v.Name);
  }
  return { containers: [...containers].sort(), networks: [...networks].sort(), volumes: [...volumes].sort() };
}

/**
 * A container's whole log as text. Without a TTY the engine multiplexes stdout and stderr in
 * frames (8-byte header: stream, 3 zero bytes, big-endian length); the headers are dropped.
 */
export async function containerLogs(containerId: string, opts: { tail?: number } = {}): Promise<string> {
  const raw = (await docker().getContainer(containerId).logs({ stdout: true, stderr: true, follow: false, ...(opts.tail ? { tail: opts.tail } : {}) })) as unknown as Buffer;
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= raw.length && (raw[i] === 1 || raw[i] === 2) && raw[i + 1] === 0 && raw[i + 2] === 0 && raw[i + 3] === 0) {
    const len = raw.readUInt32BE(i + 4);
    parts.push(raw.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return i === 0 ? raw.toString("utf8") : Buffer.concat(parts).toString("utf8");
}
