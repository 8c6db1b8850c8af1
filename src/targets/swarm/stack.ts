/**
 * The stack file: the Swarm model as a Compose file for `docker stack deploy -c stack.yml <fed>`
 * (Compose file format 3.9 (the first with `deploy.resources.limits.pids`), the one the Docker CLI's stack loader reads; Docker docs
 * "compose-file-v3", keys `deploy.update_config`, `rollback_config`, `restart_policy`,
 * `placement.max_replicas_per_node`, `endpoint_mode`, long `ports` syntax with `mode: host`).
 *
 * Secrets are `external`: `clawfed up --target swarm` creates them from `.env` through the Engine
 * API (README: or by hand with `docker secret create`), so no value is ever written into a file
 * other than `.env`. Relative bind sources are resolved by the stack loader against the folder of
 * the stack file. `$` is doubled everywhere (the loader interpolates `${VAR}`).
 */
import { escapeCompose } from "../compose/interpolation.js";
import { CONTAINER_PORT } from "../../vocabulary/names.js";
import { HEALTHCHECK_SCRIPT } from "../compose/index.js";
import { SECRET_MODE, SECRET_UID, TIMINGS, type SwarmService, type SwarmStack } from "./model.js";

/** Compose file format version the stack file declares. */
export const STACK_FILE_VERSION = "3.9";

const s = (n: number) => `${n}s`;

/** The docker socket group cannot be given to a stack file (no `group_add` in format 3): README says so. */
function serviceEntry(svc: SwarmService): Record<string, unknown> {
  return {
    image: svc.image,
    hostname: svc.hostname,
    command: svc.command,
    init: true,
    stop_grace_period: s(TIMINGS.stopGraceS),
    environment: svc.env,
    secrets: svc.secrets.map((x) => ({ source: x.env, target: x.env, uid: SECRET_UID, gid: SECRET_UID, mode: SECRET_MODE })),
    ports: [{ target: CONTAINER_PORT, published: svc.publishedPort, protocol: "tcp", mode: "host" }],
    volumes: svc.mounts.map((m) => ({ type: m.type, source: m.source, target: m.target, read_only: m.readOnly })),
    networks: Object.fromEntries(svc.networks.map((n) => [n, { aliases: [svc.key] }])),
    healthcheck: {
      test: ["CMD", "node", "-e", HEALTHCHECK_SCRIPT],
      interval: s(TIMINGS.healthIntervalS),
      timeout: s(TIMINGS.healthTimeoutS),
      retries: TIMINGS.healthRetries,
      start_period: s(TIMINGS.healthStartPeriodS),
    },
    cap_drop: ["ALL"],
    labels: svc.containerLabels,
    deploy: {
      mode: "replicated",
      replicas: 1,
      endpoint_mode: "dnsrr",
      labels: svc.serviceLabels,
      placement: { constraints: svc.constraints, max_replicas_per_node: 1 },
      resources: { limits: { cpus: String(svc.resources.cpus), memory: `${svc.resources.memoryBytes}`, pids: svc.resources.pids } },
      restart_policy: { condition: "any", delay: s(TIMINGS.restartDelayS), max_attempts: TIMINGS.restartMaxAttempts, window: s(TIMINGS.restartWindowS) },
      update_config: { parallelism: 1, delay: "0s", order: "stop-first", failure_action: "rollback", monitor: s(TIMINGS.monitorS), max_failure_ratio: 0 },
      rollback_config: { parallelism: 1, delay: "0s", order: "stop-first", failure_action: "pause", monitor: s(TIMINGS.monitorS), max_failure_ratio: 0 },
    },
  };
}

/** The stack file's object (serialize with toYaml). Every string is `$`-escaped. */
export function stackFile(stack: SwarmStack): Record<string, unknown> {
  const services = Object.fromEntries(stack.services.map((svc) => [svc.key, serviceEntry(svc)]));
  const networks = Object.fromEntries(
    stack.networks.map((n) => [
      n.key,
      { driver: "overlay", ...(n.internal ? { internal: true } : {}), ...(n.encrypted ? { driver_opts: { encrypted: "true" } } : {}), labels: n.labels },
    ]),
  );
  const secrets = Object.fromEntries(stack.secrets.map((x) => [x.key, { external: true, name: x.name }]));
  const out: Record<string, unknown> = { version: STACK_FILE_VERSION, services, networks };
  if (stack.volumes.length) out.volumes = Object.fromEntries(stack.volumes.map((v) => [v.key, { labels: v.labels }]));
  if (stack.secrets.length) out.secrets = secrets;
  return escapeCompose(out) as Record<string, unknown>;
}
