/**
 * What `add` and `remove` share: starting or recreating one compose service health-gated, the
 * networks and volumes a compose file declares (so the resources one generation adds or drops are
 * a difference of two files, whatever the network layout), and the token names of a spec.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { RuntimeError } from "../errors.js";
import { formatMs } from "../runtime/clock.js";
import { gatewayContainers } from "../runtime/containers.js";
import { gateStarted } from "../runtime/health.js";
import { redact } from "../runtime/redact.js";
import { planEnv } from "../vocabulary/env-plan.js";
import { LABELS } from "../vocabulary/labels.js";
import { projectResource, serviceName } from "../vocabulary/names.js";
import type { Federation } from "../federation/normalize.js";
import type { FederationContext } from "./context.js";
import type { ClawfedDeps } from "./deps.js";
import { COMPOSE_FILE } from "./regenerate.js";

/** Milliseconds a started or recreated gateway has to report `started` (one gateway alone needs 10-30 s on 2 busy cores). */
export const MEMBER_HEALTH_TIMEOUT_MS = 180_000;
/** Milliseconds one `compose up -d --no-deps <service>` may take. */
const COMPOSE_SERVICE_TIMEOUT_MS = 5 * 60_000;

/** One gateway started or recreated: whether it reported started, and for how long it did not serve. */
export interface MemberStart {
  id: string;
  ok: boolean;
  /** Milliseconds from the compose call until /startupz said started (for a recreated gateway: how long it was away). */
  ms: number;
  reason: string;
}

/**
 * `compose up -d --no-deps <service>` for one gateway (compose creates or recreates exactly that
 * container, plus the networks and volume it needs), then wait until it reports `started`.
 * @throws RuntimeError when compose itself fails (its output redacted)
 */
export async function upService(ctx: FederationContext, deps: ClawfedDeps, id: string, say: (l: string) => void, timeoutMs = MEMBER_HEALTH_TIMEOUT_MS): Promise<MemberStart> {
  const t0 = deps.clock.now();
  const res = await deps.compose(ctx.project, ["up", "-d", "--no-deps", serviceName(id)], { onLine: (l) => say(`  ${redact(l, ctx.secrets)}`), timeoutMs: COMPOSE_SERVICE_TIMEOUT_MS });
  if (res.code !== 0) {
    const tail = redact(res.stderr, ctx.secrets).trim().split("\n").slice(-6).join("\n  ");
    throw new RuntimeError(`compose up of ${id} failed (exit code ${res.code}):\n  ${tail}`);
  }
  const c = (await gatewayContainers(ctx, deps.engine)).current.get(id);
  if (!c) return { id, ok: false, ms: Math.round(deps.clock.now() - t0), reason: "compose created no container for it" };
  const gate = await gateStarted({
    engine: deps.engine,
    get: deps.get,
    clock: deps.clock,
    containerId: c.id,
    timeoutMs,
    maxRestarts: 1,
    onChange: (line) => say(`${id}: ${line} (${formatMs(deps.clock.now() - t0)})`),
  });
  return { id, ok: gate.ok, ms: Math.round(deps.clock.now() - t0), reason: gate.reason };
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
