/**
 * The swarm model (./model.ts) as Engine API objects (Docker Engine API v1.41 "ServiceSpec",
 * "NetworkCreateRequest"), the same settings the stack file (./stack.ts) gives `docker stack
 * deploy`. Pure: the runtime (runtime/swarm) sends what this builds.
 *
 * Durations in the API are nanoseconds; memory is bytes; CPUs are NanoCPUs.
 */
import path from "node:path";
import { CONTAINER_PORT } from "../../vocabulary/names.js";
import type Docker from "dockerode";
import { HEALTHCHECK_SCRIPT } from "../compose/index.js";
import { SECRET_MODE, SECRET_UID, stackResource, TIMINGS, type SwarmService, type SwarmStack } from "./model.js";

/** The Engine API's service spec. */
export type ServiceSpec = Docker.ServiceSpec;

/** A swarm-scoped overlay network to create (the shape runtime/swarm's NetworkCreate takes). */
export interface NetworkCreate {
  name: string;
  internal: boolean;
  /** Options of the overlay driver, e.g. `{ encrypted: "true" }`. */
  options: Record<string, string>;
  labels: Record<string, string>;
}

const NS_PER_S = 1_000_000_000;

export interface SpecContext {
  /** Absolute output folder: `./` bind sources are resolved against it. */
  outDir: string;
  /** Group id of the Docker socket on the node (from .env), for sandboxed gateways. */
  dockerGid?: string;
  /** Docker id of each secret by its stack key (the env name). */
  secretIds: Record<string, string>;
  /** Docker id of each network by its stack key. */
  networkIds: Record<string, string>;
}

/** The overlay networks of a stack, named `<stack>_<key>`. */
export function networkCreates(stack: SwarmStack): NetworkCreate[] {
  return stack.networks.map((n) => ({
    name: stackResource(stack.name, n.key),
    internal: n.internal,
    options: (n.encrypted ? { encrypted: "true" } : {}) as Record<string, string>,
    labels: n.labels,
  }));
}

function bindSource(outDir: string, source: string): string {
  return source.startsWith("./") ? path.join(outDir, source.slice(2)) : source;
}

const update = (failureAction: string) => ({
  Parallelism: 1,
  Delay: 0,
  FailureAction: failureAction,
  Monitor: TIMINGS.monitorS * NS_PER_S,
  MaxFailureRatio: 0,
  Order: "stop-first",
});

/** One gateway's service spec, named `<stack>_<key>`. */
export function serviceSpec(stack: SwarmStack, svc: SwarmService, ctx: SpecContext): ServiceSpec {
  const mounts = svc.mounts.map((m) =>
    m.type === "volume"
      ? {
          Type: "volume" as const,
          Source: stackResource(stack.name, m.source),
          Target: m.target,
          ReadOnly: m.readOnly,
          VolumeOptions: { NoCopy: false, Labels: stack.volumes.find((v) => v.key === m.source)?.labels ?? {}, DriverConfig: { Name: "local", Options: {} } },
        }
      : { Type: "bind" as const, Source: bindSource(ctx.outDir, m.source), Target: m.target, ReadOnly: m.readOnly },
  );
  const secrets = svc.secrets.map((x) => {
    const id = ctx.secretIds[x.env];
    if (!id) throw new Error(`no Docker secret for ${x.env}`);
    return { SecretID: id, SecretName: stackResource(stack.name, x.env), File: { Name: x.env, UID: SECRET_UID, GID: SECRET_UID, Mode: SECRET_MODE } };
  });
  const networks = svc.networks.map((n) => {
    const id = ctx.networkIds[n];
    if (!id) throw new Error(`no network for ${n}`);
    return { Target: id, Aliases: [svc.key] };
  });
  return {
    Name: stackResource(stack.name, svc.key),
    Labels: { ...svc.serviceLabels, "com.docker.stack.image": svc.image },
    TaskTemplate: {
      ContainerSpec: {
        Image: svc.image,
        Hostname: svc.hostname,
        Labels: svc.containerLabels,
        Command: svc.command,
        Env: Object.entries(svc.env).map(([k, v]) => `${k}=${v}`),
        ...(svc.dockerGroup && ctx.dockerGid ? { Groups: [ctx.dockerGid] } : {}),
        Init: true,
        Mounts: mounts,
        StopGracePeriod: TIMINGS.stopGraceS * NS_PER_S,
        HealthCheck: {
          Test: ["CMD", "node", "-e", HEALTHCHECK_SCRIPT],
          Interval: TIMINGS.healthIntervalS * NS_PER_S,
          Timeout: TIMINGS.healthTimeoutS * NS_PER_S,
          Retries: TIMINGS.healthRetries,
          StartPeriod: TIMINGS.healthStartPeriodS * NS_PER_S,
        },
        Secrets: secrets,
        CapabilityDrop: ["ALL"],
      },
      Resources: { Limits: { NanoCPUs: Math.round(svc.resources.cpus * NS_PER_S), MemoryBytes: svc.resources.memoryBytes, Pids: svc.resources.pids } },
      RestartPolicy: {
        Condition: "any",
        Delay: TIMINGS.restartDelayS * NS_PER_S,
        MaxAttempts: TIMINGS.restartMaxAttempts,
        Window: TIMINGS.restartWindowS * NS_PER_S,
        // dockerode's types lack these fields of the Engine API's TaskSpec.RestartPolicy and Placement.
      } as never,
      Placement: { Constraints: svc.constraints, MaxReplicas: 1 } as never,
      Networks: networks,
    },
    Mode: { Replicated: { Replicas: 1 } },
    UpdateConfig: update("rollback"),
    RollbackConfig: update("pause"),
    EndpointSpec: { Mode: "dnsrr", Ports: [{ Protocol: "tcp", TargetPort: CONTAINER_PORT, PublishedPort: svc.publishedPort, PublishMode: "host" }] },
  };
}
