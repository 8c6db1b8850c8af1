/**
 * A federation's containers as the Docker Engine lists them: compose's labels, clawfed's ownership
 * labels, and which container serves each gateway. Only containers carrying clawfed's labels and
 * the federation's compose project are ever acted on.
 */
import { LABELS } from "../vocabulary/labels.js";
import type { ContainerSummary, Engine } from "./docker/types.js";

// Compose's labels and the rollout's suffix are shared vocabulary (vocabulary/labels.ts).
export { COMPOSE_CONFIG_HASH_LABEL, COMPOSE_IMAGE_LABEL, COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL, PREVIOUS_SUFFIX } from "../vocabulary/labels.js";
import { COMPOSE_PROJECT_LABEL, PREVIOUS_SUFFIX } from "../vocabulary/labels.js";

/** What identifies a federation's containers: its name and its compose project. */
export interface FederationRef {
  fed: { name: string; gateways: ReadonlyArray<{ id: string }> };
  project: { name: string };
}

/** Whether a listed container is owned by this federation's compose project and clawfed. */
export function isOwned(ctx: FederationRef, labels: Record<string, string>): boolean {
  return labels[LABELS.managed] === "true" && labels[LABELS.federation] === ctx.fed.name && labels[COMPOSE_PROJECT_LABEL] === ctx.project.name;
}

export interface GatewayContainers {
  /** The container that serves each gateway (the running one when there are several). */
  current: Map<string, ContainerSummary>;
  /** Every other owned container of the federation. */
  others: ContainerSummary[];
}

/** List this federation's containers and pick the current one of each gateway. */
export async function gatewayContainers(ctx: FederationRef, engine: Engine): Promise<GatewayContainers> {
  const list = (await engine.listContainers({ [LABELS.federation]: ctx.fed.name, [LABELS.managed]: "true" })).filter((c) => isOwned(ctx, c.labels));
  const ids = new Set(ctx.fed.gateways.map((g) => g.id));
  const current = new Map<string, ContainerSummary>();
  const others: ContainerSummary[] = [];
  const rank = (c: ContainerSummary) => (c.name.endsWith(PREVIOUS_SUFFIX) ? 0 : 2) + (c.status === "running" ? 1 : 0);
  for (const c of list) {
    const gw = c.labels[LABELS.gateway];
    if (!gw || !ids.has(gw) || c.labels[LABELS.kind]) {
      others.push(c);
      continue;
    }
    const prev = current.get(gw);
    if (!prev || rank(c) > rank(prev)) {
      if (prev) others.push(prev);
      current.set(gw, c);
    } else others.push(c);
  }
  return { current, others };
}
