/**
 * "Gate these gateways until started": after compose created, started or recreated the services
 * of `ids`, find each gateway's current container and wait, all at once, until it reports
 * `started` on /startupz (runtime/health.ts gateStarted). One copy for `up` (every gateway, with
 * /readyz on request, a cancel signal and its restart budget) and `upServices` (ops/member-up.ts:
 * the gateways `add`, `remove` and their recoveries start or recreate).
 */
import { formatMs } from "../runtime/clock.js";
import { gatewayContainers } from "../runtime/containers.js";
import { gateStarted } from "../runtime/health.js";
import { redact } from "../runtime/redact.js";
import type { FederationContext } from "./context.js";
import type { ClawfedDeps } from "./deps.js";

/** The caller's options of the gate (see runtime/health.ts GateOptions). */
export interface GateGatewaysOptions {
  /** Milliseconds each gateway has. */
  timeoutMs: number;
  /** Engine restarts tolerated before a gateway counts as crash-looping. */
  maxRestarts: number;
  /** Also require /readyz. */
  requireReady?: boolean;
  /** Aborting stops every wait (the gate then fails). */
  signal?: AbortSignal;
  /** Clock reading (ms) progress lines and `sinceMs` count from, e.g. the compose call. */
  since: number;
  /** Gets `<id>: <where it is> (<time since>)` on every change. */
  say: (line: string) => void;
}

/** One gateway's outcome. */
export interface GatewayGate {
  id: string;
  ok: boolean;
  /** "started" / "ready", or why not (secrets redacted). */
  reason: string;
  /** Its container's name (absent when compose created none). */
  container?: string;
  /** Milliseconds the gate itself took (0 when there was no container). */
  gateMs: number;
  /** Milliseconds from `since` until it passed or failed. */
  sinceMs: number;
}

/**
 * Gate the current container of each of `ids` until it reports started (all at once).
 * @returns one outcome per id, in the order of `ids`; a gateway without a container fails with
 *   "compose created no container for it"
 * @throws the engine's RuntimeError when its containers cannot be listed
 */
export async function gateGateways(ctx: FederationContext, deps: Pick<ClawfedDeps, "engine" | "get" | "clock">, ids: readonly string[], o: GateGatewaysOptions): Promise<GatewayGate[]> {
  const { current } = await gatewayContainers(ctx, deps.engine);
  const since = () => Math.round(deps.clock.now() - o.since);
  return Promise.all(
    ids.map(async (id): Promise<GatewayGate> => {
      const c = current.get(id);
      if (!c) return { id, ok: false, reason: "compose created no container for it", gateMs: 0, sinceMs: since() };
      const gate = await gateStarted({
        engine: deps.engine,
        get: deps.get,
        clock: deps.clock,
        containerId: c.id,
        timeoutMs: o.timeoutMs,
        requireReady: o.requireReady,
        maxRestarts: o.maxRestarts,
        onChange: (line) => o.say(`${id}: ${line} (${formatMs(deps.clock.now() - o.since)})`),
        signal: o.signal,
      });
      return { id, ok: gate.ok, reason: redact(gate.reason, ctx.secrets), container: c.name, gateMs: Math.round(gate.ms), sinceMs: since() };
    }),
  );
}
