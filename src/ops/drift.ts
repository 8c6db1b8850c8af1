/**
 * What a generated `docker-compose.yml` asks the engine for, and how the engine's containers,
 * networks and volumes differ from it: shared by `plan` (the compose text compiled from the spec)
 * and `doctor` (the compose text on disk). Pure except {@link observe}, which only reads.
 */
import { parse as parseYaml } from "yaml";
import { LABELS } from "../vocabulary/labels.js";
import { projectResource } from "../vocabulary/names.js";
import { COMPOSE_PROJECT_LABEL, gatewayContainers, isOwned, type FederationRef } from "../runtime/containers.js";
import { recreateReasons, type ContainerWant, type RecreateReason } from "../runtime/docker/recreate-plan.js";
import type { ContainerInfo, ContainerSummary, Engine } from "../runtime/docker/types.js";

/** One gateway's service as the compose file defines it. */
export interface WantedService {
  /** Gateway id (the service's `ai.clawfed.gateway` label). */
  id: string;
  /** compose service name. */
  service: string;
  image: string;
  envKeys: string[];
  labels: Record<string, string>;
  /** Host ports it publishes. */
  hostPorts: number[];
  /** The service's definition (for naming which settings changed). */
  raw: Record<string, unknown>;
}

/** Everything a compose file asks for, with the engine's names of networks and volumes. */
export interface Wanted {
  services: WantedService[];
  networks: string[];
  volumes: string[];
}

type ComposeDoc = {
  services?: Record<string, Record<string, unknown>>;
  networks?: Record<string, { name?: string; external?: boolean } | null>;
  volumes?: Record<string, { name?: string; external?: boolean } | null>;
};

const envNames = (env: unknown): string[] =>
  Array.isArray(env) ? env.map((e) => String(e).split("=", 1)[0]!).sort() : env && typeof env === "object" ? Object.keys(env).sort() : [];

/** Host port of a compose short port syntax `[ip:]host:container`, or a long-syntax object. */
function hostPort(p: unknown): number | undefined {
  if (typeof p === "object" && p) return Number((p as { published?: unknown }).published) || undefined;
  const parts = String(p).split(":");
  return parts.length >= 2 ? Number(parts[parts.length - 2]) || undefined : undefined;
}

/**
 * Read a compose file text: each service (gateway id, image, env names, labels, host ports) and
 * the networks and volumes with the names compose gives them (`<project>_<key>` unless `name:`).
 */
export function wantedFromCompose(text: string, project: string): Wanted {
  const doc = (parseYaml(text) ?? {}) as ComposeDoc;
  const named = (m: ComposeDoc["networks"]) =>
    Object.entries(m ?? {})
      .filter(([, v]) => !v?.external)
      .map(([k, v]) => v?.name ?? projectResource(project, k))
      .sort();
  const services = Object.entries(doc.services ?? {}).map(([service, s]): WantedService => {
    const labels = envLabels(s.labels);
    return {
      id: labels[LABELS.gateway] ?? service,
      service,
      image: String(s.image ?? ""),
      envKeys: envNames(s.environment),
      labels,
      hostPorts: (Array.isArray(s.ports) ? s.ports : []).map(hostPort).filter((n): n is number => n !== undefined),
      raw: s,
    };
  });
  return { services, networks: named(doc.networks), volumes: named(doc.volumes) };
}

function envLabels(l: unknown): Record<string, string> {
  if (Array.isArray(l)) return Object.fromEntries(l.map((e) => String(e).split(/=(.*)/s, 2) as [string, string]));
  return l && typeof l === "object" ? Object.fromEntries(Object.entries(l).map(([k, v]) => [k, String(v)])) : {};
}

/** Top-level settings of a service that differ between two definitions (e.g. ["ports", "volumes"]). */
export function changedSettings(before: Record<string, unknown> | undefined, after: Record<string, unknown>): string[] {
  if (!before) return [];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
}

/** The engine's side of a federation, read once. */
export interface Observed {
  /** Each gateway's current container, inspected. */
  containers: Map<string, ContainerInfo>;
  /** Owned containers that serve no gateway of the spec (or are a rollout's leftovers). */
  others: ContainerSummary[];
  /** Names of the compose project's networks and volumes. */
  networks: string[];
  volumes: string[];
  /** Env names each image (by id) sets. */
  imageEnv: Map<string, string[]>;
  /** Image reference → local image id (undefined: not present). */
  imageIds: Map<string, string | undefined>;
}

/** Read the containers, networks, volumes and images of a federation (no change). */
export async function observe(ctx: FederationRef, engine: Engine, images: readonly string[]): Promise<Observed> {
  const [{ current, others }, networks, volumes] = await Promise.all([
    gatewayContainers(ctx, engine),
    engine.listNetworks().then((all) => all.filter((n) => n.labels[COMPOSE_PROJECT_LABEL] === ctx.project.name)),
    engine.listVolumes({ [COMPOSE_PROJECT_LABEL]: ctx.project.name }),
  ]);
  const containers = new Map<string, ContainerInfo>();
  await Promise.all(
    [...current].map(async ([id, c]) => {
      const info = await engine.inspect(c.id);
      if (info) containers.set(id, info);
    }),
  );
  const imageEnv = new Map<string, string[]>();
  const imageIds = new Map<string, string | undefined>();
  await Promise.all([
    ...[...new Set([...containers.values()].map((i) => i.imageId))].map(async (id) => imageEnv.set(id, (await engine.image(id))?.envKeys ?? [])),
    ...[...new Set(images)].map(async (ref) => imageIds.set(ref, (await engine.image(ref))?.id)),
  ]);
  return { containers, others, networks: networks.map((n) => n.name).sort(), volumes: volumes.map((v) => v.name).sort(), imageEnv, imageIds };
}

/** Why the container of `want` differs from what the compose file asks for (empty: it matches). */
export function driftOf(want: WantedService, info: ContainerInfo, obs: Pick<Observed, "imageEnv" | "imageIds">, configHash: string | undefined): RecreateReason[] {
  const w: ContainerWant = { image: want.image, imageId: obs.imageIds.get(want.image), envKeys: want.envKeys, labels: want.labels, configHash };
  return recreateReasons(w, { image: info.image, imageId: info.imageId, envKeys: info.envKeys, labels: info.labels, imageEnvKeys: obs.imageEnv.get(info.imageId) });
}

/** Owned containers of gateways the compose file no longer has (`compose up --remove-orphans` removes them). */
export function orphanContainers(ctx: FederationRef, wanted: Wanted, obs: Observed): ContainerSummary[] {
  const ids = new Set(wanted.services.map((s) => s.id));
  const removable = [...obs.others].filter((c) => isOwned(ctx, c.labels) && !ids.has(c.labels[LABELS.gateway] ?? "") && !c.labels[LABELS.kind]);
  for (const [id, info] of obs.containers) if (!ids.has(id)) removable.push(info);
  return removable.sort((a, b) => (a.name < b.name ? -1 : 1));
}
