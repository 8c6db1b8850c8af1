/**
 * Several gateways started or recreated at once: one `compose up -d --no-deps <service>…` call
 * (compose creates or recreates exactly those containers, in parallel, plus the networks and
 * volumes they need), then every health gate at the same time. `add` uses it to start the new
 * gateway while its linked gateways are recreated with their new peer, so the wall time is about
 * one gateway start instead of one per gateway (BENCHMARKS.md, "add").
 */
import { RuntimeError } from "../errors.js";
import { redact } from "../runtime/redact.js";
import { serviceName } from "../vocabulary/names.js";
import type { FederationContext } from "./context.js";
import type { ClawfedDeps } from "./deps.js";
import { gateGateways } from "./gate-gateways.js";
import { MEMBER_HEALTH_TIMEOUT_MS, type MemberStart } from "./membership.js";

/** Milliseconds one `compose up -d --no-deps <services>` may take. */
const COMPOSE_SERVICES_TIMEOUT_MS = 5 * 60_000;

/**
 * `compose up -d --no-deps` of the services of `ids` in one call, then wait until each reports
 * `started` on /startupz (all gates at once). `ms` of each result counts from the compose call,
 * so for a recreated gateway it is how long it was away.
 * @returns one result per id, in the order of `ids` (ok false with the reason when a gate failed)
 * @throws RuntimeError when compose itself fails (its output redacted)
 */
export async function upServices(ctx: FederationContext, deps: ClawfedDeps, ids: readonly string[], say: (l: string) => void, timeoutMs = MEMBER_HEALTH_TIMEOUT_MS): Promise<MemberStart[]> {
  if (ids.length === 0) return [];
  const t0 = deps.clock.now();
  const res = await deps.compose(ctx.project, ["up", "-d", "--no-deps", ...ids.map(serviceName)], { onLine: (l) => say(`  ${redact(l, ctx.secrets)}`), timeoutMs: COMPOSE_SERVICES_TIMEOUT_MS });
  if (res.code !== 0) {
    const tail = redact(res.stderr, ctx.secrets).trim().split("\n").slice(-6).join("\n  ");
    throw new RuntimeError(`compose up of ${ids.join(", ")} failed (exit code ${res.code}):\n  ${tail}`);
  }
  const gates = await gateGateways(ctx, deps, ids, { timeoutMs, maxRestarts: 1, since: t0, say });
  return gates.map((g): MemberStart => ({ id: g.id, ok: g.ok, ms: g.sinceMs, reason: g.reason }));
}
