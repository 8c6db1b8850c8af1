/**
 * Docker Swarm behind a narrow interface, like `Engine` for containers (runtime/docker/types.ts): the
 * Swarm objects clawfed creates (services, secrets, overlay networks), the tasks Swarm runs for
 * them, node labels for placement, and service logs. `createSwarmEngine()` (./docker.ts)
 * implements it with dockerode over the Engine API; unit tests use an in-memory one.
 *
 * Errors: "not found" is a normal answer (`undefined` or a no-op on remove); an unreachable engine
 * or a node that is not a Swarm manager is a RuntimeError saying what to do; anything else is a
 * RuntimeError carrying the engine's message. Secret payloads never appear in any error.
 */
import type Docker from "dockerode";
import type { Labels, LogChunk, LogOptions } from "../docker/types.js";

export type SwarmState = "inactive" | "pending" | "active" | "error" | "locked";

export interface SwarmInfo {
  state: SwarmState;
  /** This node's id ("" when not in a swarm). */
  nodeId: string;
  /** This node can manage the swarm (create services). */
  manager: boolean;
}

export interface SwarmNode {
  id: string;
  hostname: string;
  labels: Labels;
  /** Swarm metadata version, needed to update the node. */
  version: number;
  /** Availability and state, e.g. "active"/"ready". */
  availability: string;
  state: string;
}

/** The Engine API's service spec (Docker Engine API v1.41, "ServiceSpec"). */
export type ServiceSpec = Docker.ServiceSpec;

export interface ServiceInfo {
  id: string;
  name: string;
  version: number;
  labels: Labels;
  /** Image reference of the current spec (without the digest Docker may pin). */
  image: string;
  /** Image of the spec before the last update (what a rollback returns to). */
  previousImage?: string;
  /** State of the last update or rollback, e.g. "completed", "rollback_completed". */
  updateState?: string;
  updateMessage?: string;
  updateStartedAt?: string;
  updateCompletedAt?: string;
  spec: ServiceSpec;
}

export interface TaskInfo {
  id: string;
  serviceId: string;
  /** Swarm task state: new, pending, assigned, accepted, preparing, starting, running, complete, failed, shutdown, rejected, orphaned, remove. */
  state: string;
  desiredState: string;
  /** Swarm's message for the state (e.g. "started"). */
  message: string;
  /** Why it failed, e.g. "task: non-zero exit (127)". */
  error?: string;
  exitCode?: number;
  containerId?: string;
  nodeId?: string;
  image: string;
  /** ISO time of the last state change. */
  timestamp: string;
}

export interface SecretInfo {
  id: string;
  name: string;
  labels: Labels;
}

export interface NetworkInfo {
  id: string;
  name: string;
  labels: Labels;
  driver: string;
  internal: boolean;
  options: Record<string, string>;
}

export interface NetworkCreate {
  name: string;
  internal: boolean;
  /** Options of the overlay driver, e.g. `{ encrypted: "true" }`. */
  options: Record<string, string>;
  labels: Labels;
}

export interface SwarmEngine {
  info(): Promise<SwarmInfo>;
  nodes(): Promise<SwarmNode[]>;
  /** Add or replace labels of a node (keeps its other labels). */
  labelNode(nodeId: string, labels: Labels): Promise<void>;
  /** Services carrying every one of `labels`. */
  services(labels: Labels): Promise<ServiceInfo[]>;
  /** @returns the new service's id. */
  createService(spec: ServiceSpec): Promise<string>;
  /** Replace the spec of service `id` at `version` (the engine refuses a stale version). */
  updateService(id: string, version: number, spec: ServiceSpec): Promise<void>;
  /** Missing is fine. */
  removeService(id: string): Promise<void>;
  /** Every task of a service, newest first. */
  tasks(serviceId: string): Promise<TaskInfo[]>;
  secrets(labels: Labels): Promise<SecretInfo[]>;
  /** `data` is the secret's value: sent base64 in the request body, never logged. @returns its id. */
  createSecret(name: string, data: string, labels: Labels): Promise<string>;
  /** Missing is fine. */
  removeSecret(id: string): Promise<void>;
  networks(labels: Labels): Promise<NetworkInfo[]>;
  /** A swarm-scoped overlay network. @returns its id. */
  createNetwork(n: NetworkCreate): Promise<string>;
  /** Missing is fine. */
  removeNetwork(id: string): Promise<void>;
  /** A service's logs (all its tasks), demultiplexed. */
  serviceLogs(id: string, opts: LogOptions): AsyncIterable<LogChunk>;
}
