/**
 * `clawfed rotate <spec> <gateway|link|all>`: replace tokens in a running federation.
 *
 * 1. plan (ops/rotate-plan.ts): the token names, the gateways holding them, the routes using them;
 * 2. check every such gateway runs and reports `started` (else nothing changes);
 * 3. journaled (ops/journal.ts): `generate` with those names rotated (new values into `.env`,
 *    the env module's generator: 32 random bytes, base64url), then each holder in turn (spokes,
 *    then the hub) recreated by `compose up -d --no-deps <service>` (a token in the container env is
 *    only read at start) and health-gated on /startupz;
 * 4. every affected route is proved from inside its caller: the new token gets 200, the old 401
 *    (runtime/route-probe.ts).
 * Only token NAMES are ever reported; the old values live in memory for the proof and nowhere else.
 *
 * Interrupted: `clawfed resume` finishes it (the tokens are regenerated if the `generate` step
 * had not finished, else the remaining gateways are recreated; the proof then uses a random
 * wrong token in place of the old one). `clawfed abort` can only drop a journal whose `generate`
 * has not begun: clawfed keeps no old token, so a rotation cannot be undone, only finished.
 */
import { randomBytes } from "node:crypto";
import { RuntimeError } from "../errors.js";
import { serviceName } from "../vocabulary/names.js";
import { begun, isDone, type Journal } from "../vocabulary/journal.js";
import { gatewayContainers } from "../runtime/containers.js";
import { gateStarted } from "../runtime/health.js";
import { redact } from "../runtime/redact.js";
import { probeRoute } from "../runtime/route-probe.js";
import { openFederation, outFlag, type FederationContext } from "./context.js";
import type { ClawfedDeps } from "./deps.js";
import { generate } from "./generate.js";
import { generationImage } from "./regenerate.js";
import { journalHandle, recoveryCommands, startJournal, type JournalHandle } from "./journal.js";
import { planRotation, type RotatedRoute, type RotationPlan } from "./rotate-plan.js";
import type { RecoverOptions, RecoverResult } from "./recover-types.js";

export { planRotation, type RotatedRoute, type RotationPlan } from "./rotate-plan.js";

/** Milliseconds a recreated gateway has to report `started`. */
export const ROTATE_HEALTH_TIMEOUT_MS = 120_000;

export interface RotateOptions {
  /** Milliseconds each recreated gateway has to report `started`. */
  healthTimeoutMs?: number;
  onProgress?: (line: string) => void;
}

/** A route proved after the rotation: HTTP status with the new token and with the old one. */
export interface RouteProof extends RotatedRoute {
  newStatus: number | string;
  oldStatus: number | string;
  /** new → 200 and old → 401. */
  ok: boolean;
}

export interface RotateResult {
  ok: boolean;
  federation: string;
  target: string;
  /** Names of the tokens replaced (never their values). */
  tokens: string[];
  /** Gateways recreated, in order, with how long each took to report `started`. */
  gateways: Array<{ id: string; restarted: boolean; ms?: number; reason?: string }>;
  routes: RouteProof[];
  ms: number;
  message?: string;
  next?: string;
}

const key = (id: string) => `${id}:restart`;

/**
 * Rotate, restart, prove.
 * @throws UsageError for an unknown target; RuntimeError when a holder is not running and healthy
 *   (nothing changed) or Docker fails
 */
export async function rotate(ctx: FederationContext, deps: ClawfedDeps, target: string, opts: RotateOptions = {}): Promise<RotateResult> {
  const plan = planRotation(ctx.fed, target);
  const say = opts.onProgress ?? (() => undefined);
  await deps.engine.ping();
  await preflight(ctx, deps, plan, opts);
  const j = await startJournal(ctx, {
    operation: "rotate",
    args: { target, tokens: plan.tokens, ...(opts.healthTimeoutMs !== undefined ? { healthTimeoutMs: opts.healthTimeoutMs } : {}) },
    steps: [
      { key: "generate", action: "generate", rollback: "none: clawfed keeps no old token; resume finishes the rotation" },
      ...plan.gateways.map((id) => ({ key: key(id), gateway: id, action: "restart", rollback: "none (recreated with the new tokens)" })),
      { key: "prove", action: "prove", rollback: "none (read-only)" },
    ],
    wallNow: deps.wallNow,
  });
  say(`rotating ${plan.tokens.length} token(s): ${plan.tokens.join(", ")}`);
  return applyRotation(ctx, deps, plan, j, ctx.env, opts);
}

/** Everything after the journal exists; `old` holds the values before (or is empty on resume). */
async function applyRotation(ctx: FederationContext, deps: ClawfedDeps, plan: RotationPlan, j: JournalHandle, old: Record<string, string>, opts: RotateOptions): Promise<RotateResult> {
  const t0 = deps.clock.now();
  const say = opts.onProgress ?? (() => undefined);
  if (!isDone(j.current, "generate")) {
    await j.begin("generate");
    // The same default image as the last generation, so only the tokens change.
    const image = await generationImage(ctx);
    const gen = await generate({ spec: ctx.loaded.file, outDir: ctx.outDir, target: "compose", image, rotateNames: plan.tokens });
    const missed = plan.tokens.filter((t) => !gen.env.rotated.includes(t));
    if (missed.length) throw new RuntimeError(`generate did not replace ${missed.join(", ")}`, { next: recoveryCommands(ctx).resume });
    await j.end("generate");
  }
  const now = await openFederation(ctx.loaded.file, { outDir: ctx.outDir });
  const res: RotateResult = { ok: true, federation: ctx.fed.name, target: plan.target, tokens: plan.tokens, gateways: [], routes: [], ms: 0 };
  for (const id of plan.gateways) {
    if (isDone(j.current, key(id))) {
      res.gateways.push({ id, restarted: true });
      continue;
    }
    await j.begin(key(id));
    say(`${id}: recreating with its new tokens`);
    const g = await restartOne(now, deps, id, opts);
    res.gateways.push({ id, restarted: true, ms: g.ms, ...(g.ok ? {} : { reason: g.reason }) });
    if (!g.ok) {
      const { resume } = recoveryCommands(ctx);
      return { ...res, ok: false, ms: Math.round(deps.clock.now() - t0), message: `${id} did not report started with its new tokens: ${g.reason}. The rotation stopped (the journal stays).`, next: `clawfed logs ${ctx.loaded.file} ${id}${outFlag(ctx)}; then ${resume}` };
    }
    await j.end(key(id));
    say(`${id}: started in ${(g.ms / 1000).toFixed(1)} s`);
  }
  await j.begin("prove");
  res.routes = await prove(now, deps, plan.routes, old);
  await j.end("prove");
  const bad = res.routes.filter((r) => !r.ok);
  if (bad.length) {
    res.ok = false;
    res.message = `route(s) not proved: ${bad.map((r) => `${r.from} → ${r.to} (${r.transport}): new token ${r.newStatus}, old ${r.oldStatus}`).join("; ")}`;
    res.next = `clawfed status ${ctx.loaded.file}${outFlag(ctx)}`;
  }
  await j.finish();
  res.ms = Math.round(deps.clock.now() - t0);
  return res;
}

/** Every holder runs and reports `started` before anything changes. */
async function preflight(ctx: FederationContext, deps: ClawfedDeps, plan: RotationPlan, opts: RotateOptions): Promise<void> {
  const { current } = await gatewayContainers(ctx, deps.engine);
  for (const id of new Set([...plan.gateways, ...plan.routes.map((r) => r.from)])) {
    const c = current.get(id);
    if (!c || c.status !== "running") throw new RuntimeError(`gateway ${id} holds a token to rotate but is not running; nothing was changed`, { next: `clawfed up ${ctx.loaded.file}${outFlag(ctx)}` });
    const gate = await gateStarted({ engine: deps.engine, get: deps.get, clock: deps.clock, containerId: c.id, timeoutMs: opts.healthTimeoutMs ?? 10_000 });
    if (!gate.ok) throw new RuntimeError(`gateway ${id} is not healthy (${gate.reason}); nothing was changed`, { next: `clawfed status ${ctx.loaded.file}${outFlag(ctx)}` });
  }
}

/** compose recreates the service (its env changed), then the new container must report `started`. */
async function restartOne(ctx: FederationContext, deps: ClawfedDeps, id: string, opts: RotateOptions): Promise<{ ok: boolean; ms: number; reason?: string }> {
  const t0 = deps.clock.now();
  const up = await deps.compose(ctx.project, ["up", "-d", "--no-deps", serviceName(id)], { timeoutMs: 300_000 });
  if (up.code !== 0) return { ok: false, ms: 0, reason: `compose up failed: ${redact(up.stderr.trim().split("\n").slice(-3).join(" | "), ctx.secrets)}` };
  const c = (await gatewayContainers(ctx, deps.engine)).current.get(id);
  if (!c) return { ok: false, ms: 0, reason: "compose created no container" };
  const gate = await gateStarted({ engine: deps.engine, get: deps.get, clock: deps.clock, containerId: c.id, timeoutMs: opts.healthTimeoutMs ?? ROTATE_HEALTH_TIMEOUT_MS, maxRestarts: 0 });
  return { ok: gate.ok, ms: Math.round(deps.clock.now() - t0), reason: gate.ok ? undefined : redact(gate.reason, ctx.secrets) };
}

/** Each route from inside its caller: new token 200, old (or, on resume, a random wrong one) 401. */
async function prove(ctx: FederationContext, deps: ClawfedDeps, routes: RotatedRoute[], old: Record<string, string>): Promise<RouteProof[]> {
  const { current } = await gatewayContainers(ctx, deps.engine);
  const out: RouteProof[] = [];
  for (const r of routes) {
    const fresh = ctx.env[r.token];
    const before = old[r.token] && old[r.token] !== fresh ? old[r.token]! : randomBytes(32).toString("base64url");
    const from = current.get(r.from);
    const [n, o] = from && fresh ? await probeRoute(deps.engine, from.id, { peer: serviceName(r.to), kind: r.transport, tokens: [fresh, before] }) : ["no container or token", "-"];
    out.push({ ...r, newStatus: n!, oldStatus: o!, ok: n === 200 && o === 401 });
  }
  return out;
}

/** `clawfed resume` / `clawfed abort` of an interrupted rotation (see the file comment). */
export async function recoverRotation(ctx: FederationContext, deps: ClawfedDeps, journal: Journal, action: "resume" | "abort", opts: RecoverOptions): Promise<RecoverResult> {
  const t0 = deps.clock.now();
  const base = { federation: ctx.fed.name, operation: "rotate", action } as const;
  if (action === "abort") {
    if (begun(journal, "generate")) {
      throw new RuntimeError("a rotation cannot be rolled back once its new tokens may be written (clawfed keeps no old token); it can only be finished", { next: recoveryCommands(ctx).resume });
    }
    await journalHandle(ctx.outDir, journal).finish();
    return { ...base, ok: true, gateways: [], ms: Math.round(deps.clock.now() - t0) };
  }
  const target = String(journal.args.target);
  const plan = planRotation(ctx.fed, target);
  const hto = typeof journal.args.healthTimeoutMs === "number" ? journal.args.healthTimeoutMs : undefined;
  const res = await applyRotation(ctx, deps, plan, journalHandle(ctx.outDir, journal), {}, { healthTimeoutMs: hto, onProgress: opts.onProgress });
  return {
    ...base,
    ok: res.ok,
    gateways: [...res.gateways.map((g) => ({ id: g.id, outcome: g.reason ? "failed" : "finished", detail: g.reason ?? "recreated with its new tokens" })), ...res.routes.map((r) => ({ id: `${r.from}->${r.to}`, outcome: r.ok ? "proved" : "not-proved", detail: `${r.transport} ${r.token}: new ${r.newStatus}, wrong ${r.oldStatus}` }))],
    message: res.message,
    next: res.next,
    ms: Math.round(deps.clock.now() - t0),
  };
}
