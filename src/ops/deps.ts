/**
 * What the operations need from the outside world, all injectable: the Docker Engine, HTTP GET
 * for the health probes, the clock (monotonic ms and sleeps), wall time, and the compose CLI.
 * Unit tests pass fakes (test/helpers/memory-engine.ts); the CLI uses {@link defaultDeps}.
 */
import { systemClock, type Clock } from "../runtime/clock.js";
import { compose, configHash, configHashes, ComposeProject, ComposeRunResult } from "../runtime/compose.js";
import type { Engine } from "../runtime/docker/types.js";
import type { HostRoute } from "../runtime/host-routes.js";
import { nodeHttpGet, type HttpGet } from "../runtime/health.js";
import type { SwarmEngine } from "../runtime/swarm/types.js";

/** Runs one compose subcommand for a project (see runtime/compose.ts). */
export type ComposeRunner = (p: ComposeProject, args: string[], opts?: { onLine?: (line: string) => void; timeoutMs?: number; input?: string }) => Promise<ComposeRunResult>;

/** The outside world of every operation (see the file comment); `createClawfed` fills in what is left out. */
export interface ClawfedDeps {
  /** The Docker Engine (dockerode behind the Engine interface). */
  engine: Engine;
  /** HTTP GET with a timeout in ms (the /healthz, /startupz, /readyz probes). */
  get: HttpGet;
  /** Monotonic milliseconds and sleeps. */
  clock: Clock;
  /** Wall time in ms since the epoch (uptimes, snapshot names, archive names). */
  wallNow: () => number;
  /** The compose CLI; default the real `docker compose` / `docker-compose`. */
  compose: ComposeRunner;
  /**
   * compose's config hash of a gateway's service in the given compose file text (so a container a
   * rollout replaced is the one compose would create); default `compose -f - config --hash`.
   */
  configHash: (p: ComposeProject, composeText: string, service: string) => Promise<string | undefined>;
  /** This host's IPv4 routes (`up` checks planned subnets against them); default /proc/net/route. */
  hostRoutes?: () => Promise<HostRoute[]>;
  /**
   * compose's config hash of every service of the compose file text, in one compose run (plan,
   * doctor); default `compose config --hash=*`. Undefined when compose cannot compute them.
   */
  configHashes?: (p: ComposeProject, composeText: string) => Promise<Map<string, string> | undefined>;
  /**
   * Docker Swarm (services, tasks, secrets, overlay networks, node labels) for the `swarm`
   * operations; default dockerode over the Engine API (runtime/swarm/docker.ts), created by the
   * first swarm operation.
   */
  swarm?: SwarmEngine;
}

/** @deprecated name kept for tests written before ops/: the same as {@link ClawfedDeps}. */
export type RuntimeDeps = ClawfedDeps;

/**
 * The real engine, HTTP, clock and compose; any part can be replaced. The Docker client is loaded
 * only when no engine is given (so `generate` never loads it).
 */
export async function defaultDeps(over: Partial<ClawfedDeps> = {}): Promise<ClawfedDeps> {
  return {
    engine: over.engine ?? (await import("../runtime/docker/engine.js")).createDockerEngine(),
    get: over.get ?? nodeHttpGet,
    clock: over.clock ?? systemClock,
    wallNow: over.wallNow ?? Date.now,
    compose: over.compose ?? compose,
    configHash: over.configHash ?? configHash,
    configHashes: over.configHashes ?? configHashes,
    ...(over.hostRoutes ? { hostRoutes: over.hostRoutes } : {}),
    ...(over.swarm ? { swarm: over.swarm } : {}),
  };
}
