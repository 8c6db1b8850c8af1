/**
 * What `add` and `remove` share: starting or recreating one compose service health-gated, the
 * networks and volumes a compose file declares (so the resources one generation adds or drops are
 * a difference of two files, whatever the network layout), and the token names of a spec.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { RuntimeError } from "../errors.js";
import { gatewayContainers } from "../runtime/containers.js";
import { planEnv } from "../vocabulary/env-plan.js";
import { LABELS } from "../vocabulary/labels.js";
import { projectResource } from "../vocabulary/names.js";
import type { Federation } from "../federation/normalize.js";
import type { FederationContext } from "./context.js";
import type { ClawfedDeps } from "./deps.js";
import { COMPOSE_FILE } from "./regenerate.js";

/** Milliseconds a started or recreated gateway has to report `started` (one gateway alone needs 10-30 s on 2 busy cores). */
export const MEMBER_HEALTH_TIMEOUT_MS = 180_000;

/** One gateway started or recreated: whether it reported started, and for how long it did not serve. */
export interface MemberStart {
  id: string;
  ok: boolean;
  /** Milliseconds from the compose call until /startupz said started (for a recreated gateway: how long it was away). */
  ms: number;
  reason: string;
}

/** Stop and remove a gateway's container(s), whatever compose file is on disk. */
export async function removeContainers(ctx: FederationContext, deps: ClawfedDeps, id: string): Promise<string[]> {
  // Asked about `id` alone: the spec on disk may already be without it.
  const { current, others } = await gatewayContainers({ fed: { name: ctx.fed.name, gateways: [{ id }] }, project: ctx.project }, deps.engine);
  const mine = [current.get(id), ...others.filter((o) => o.labels[LABELS.gateway] === id && !o.labels[LABELS.kind])].filter((c) => c !== undefined);
  for (const c of mine) await deps.engine.remove(c.id, { force: true });
  return mine.map((c) => c.name);
}

/** The networks and volumes a generated compose file declares, by their Docker names (project-prefixed). */
export async function composeResources(outDir: string, project: string): Promise<{ networks: string[]; volumes: string[] }> {
  let text: string;
  try {
    text = await readFile(path.join(outDir, COMPOSE_FILE), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { networks: [], volumes: [] };
    throw new RuntimeError(`cannot read ${path.join(outDir, COMPOSE_FILE)}`, { cause: err });
  }
  const doc = (parseYaml(text) ?? {}) as { networks?: Record<string, { name?: string } | null>; volumes?: Record<string, { name?: string } | null> };
  const named = (m: Record<string, { name?: string } | null> | undefined) => Object.entries(m ?? {}).map(([k, v]) => v?.name ?? projectResource(project, k));
  return { networks: named(doc.networks), volumes: named(doc.volumes) };
}

/** Names in `before` that `after` lacks. */
export const minus = (before: readonly string[], after: readonly string[]): string[] => before.filter((n) => !after.includes(n));

/** The names of the generated tokens of a federation (the `.env` variables clawfed owns). */
export function tokenNames(fed: Federation): string[] {
  return planEnv(fed, { projectName: true, dockerGid: true })
    .filter((s) => s.kind === "token")
    .map((s) => s.name);
}
