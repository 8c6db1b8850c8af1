/**
 * `up`: generate (when the output is missing or out of date), start the federation through
 * compose, then wait until every gateway reports `started` on /startupz (and /readyz with
 * `requireReady`), all gateways concurrently, with a line of progress whenever one changes.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { RuntimeError } from "../errors.js";
import { redact } from "../runtime/redact.js";
import { openFederation, outFlag, type FederationContext } from "./context.js";
import type { ClawfedDeps } from "./deps.js";
import { gateGateways } from "./gate-gateways.js";
import { checkImageFlag, compiledComposeText, composeSubnets } from "./generate.js";
import type { CompileResult } from "../compile/artifact.js";
import { assertSubnetsFree, occupiedElsewhere, plannedNetworks } from "./network-check.js";
import { hostRoutes, type HostRoute } from "../runtime/host-routes.js";
import type { NetworkSummary } from "../runtime/docker/types.js";
import { localSocket } from "../runtime/docker/engine-api.js";
import { imageBuildCommand } from "../runtime/image/recipe.js";
import { COMPOSE_FILE, composeImage, generationImage, regenerate } from "./regenerate.js";

/** Milliseconds every gateway has to come up (a gateway needs 10-20 s alone; more on 2 busy cores). */
export const UP_TIMEOUT_MS = 180_000;
/** Engine restarts of one gateway tolerated while waiting, before `up` calls it a crash loop. */
export const UP_MAX_RESTARTS = 2;
/** Milliseconds `compose up -d` may take (it creates networks, volumes and containers). */
const COMPOSE_UP_TIMEOUT_MS = 10 * 60_000;

export interface UpOptions {
  /** Output directory; default out/<name>. */
  outDir?: string;
  /** Image for every gateway the spec does not give its own (passed to generate). */
  image?: string;
  /** Milliseconds to wait for all gateways. */
  timeoutMs?: number;
  /** Generate into a non-empty output folder clawfed did not create (see writeArtifacts). */
  force?: boolean;
  /** Wait for /readyz too. */
  requireReady?: boolean;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

/** One gateway of `up`: did it report started (or ready) in time, after how many ms, or why not. */
export interface GatewayUp {
  id: string;
  ok: boolean;
  /** Milliseconds after compose returned until it passed (or failed). */
  ms: number;
  /** "started"/"ready", or why it did not come up. */
  reason: string;
  container?: string;
}

/** `up`: every gateway's outcome, files generated, `ms`; `ok: false` with `next` when one did not come up. */
export interface UpResult {
  federation: string;
  outDir: string;
  ok: boolean;
  /** Files generate wrote (empty when the output was up to date). */
  generated: string[];
  /** Milliseconds in total. */
  ms: number;
  gateways: GatewayUp[];
  /** The next command to run, when some gateway did not come up. */
  next?: string;
}

/**
 * Bring a federation up and wait for it.
 * @throws SpecError for an invalid spec (nothing started); UsageError for an `image` that is not
 *   a Docker image reference; RuntimeError when compose fails or an
 *   image is missing and cannot be pulled.
 * @returns `ok: false` naming each gateway that did not come up (it keeps running for inspection).
 */
export async function up(spec: string, deps: ClawfedDeps, opts: UpOptions = {}): Promise<UpResult> {
  checkImageFlag(opts.image);
  const t0 = deps.clock.now();
  const say = opts.onProgress ?? (() => undefined);
  const first = await openFederation(spec, { outDir: opts.outDir });
  const image = opts.image ?? (await generationImage(first));
  // What the host uses already, so that new networks get subnets clear of it (undefined when the
  // engine cannot be asked: ping below says why).
  const host = await hostNetworks(deps).catch(() => undefined);
  const avoidSubnets = host ? occupiedElsewhere(first.project.name, host.networks, host.routes) : undefined;
  // The engine and the planned subnets are checked on the compile, before anything is written:
  // a refused `up` leaves the files as they were.
  const check = async (compiled: CompileResult) => {
    await deps.engine.ping();
    await checkSubnets(first, deps, spec, composeSubnets(compiledComposeText(compiled) ?? "", first.fed.name), host);
  };
  const gen = await regenerate(first, image, { force: opts.force, check, ...(avoidSubnets ? { avoidSubnets } : {}) });
  if (gen.written.length) say(`generated ${gen.written.length} file(s) in ${gen.outDir}`);
  for (const w of gen.warnings) say(`warning: ${w}`);
  const ctx = await openFederation(spec, { outDir: opts.outDir });
  if (!existsSync(path.join(ctx.outDir, COMPOSE_FILE))) throw new RuntimeError(`generate did not write ${COMPOSE_FILE} in ${ctx.outDir}`);
  await ensureImages(ctx, deps, say);

  say(`starting ${ctx.fed.gateways.length} gateway(s) with compose`);
  const secrets = ctx.secrets;
  const res = await deps.compose(ctx.project, ["up", "-d", "--remove-orphans"], { onLine: (l) => say(`  ${redact(l, secrets)}`), timeoutMs: COMPOSE_UP_TIMEOUT_MS });
  if (res.code !== 0) {
    const tail = redact(res.stderr, secrets).trim().split("\n").slice(-8).join("\n  ");
    throw new RuntimeError(`compose up failed (exit code ${res.code}):\n  ${tail}`, { next: `fix the cause above, then: clawfed up ${spec}${outFlag(ctx)}` });
  }

  const ids = ctx.fed.gateways.map((g) => g.id);
  const gates = await gateGateways(ctx, deps, ids, { timeoutMs: opts.timeoutMs ?? UP_TIMEOUT_MS, requireReady: opts.requireReady, maxRestarts: UP_MAX_RESTARTS, signal: opts.signal, since: deps.clock.now(), say });
  const gateways = gates.map((g): GatewayUp => ({ id: g.id, ok: g.ok, ms: g.gateMs, reason: g.reason, ...(g.container ? { container: g.container } : {}) }));
  const failed = gateways.filter((g) => !g.ok);
  const result: UpResult = { federation: ctx.fed.name, outDir: ctx.outDir, ok: failed.length === 0, generated: gen.written, ms: Math.round(deps.clock.now() - t0), gateways };
  if (failed.length) {
    result.next = `clawfed logs ${spec} ${failed[0]!.id}${outFlag(ctx)}   (then: clawfed status ${spec}${outFlag(ctx)})`;
  }
  return result;
}

/**
 * The subnets of the compose file about to be written (network key → CIDR) against the engine's
 * networks and (local engine only) this host's routes, before anything is written or created.
 * @throws RuntimeError naming each overlapping network or route
 */
async function checkSubnets(ctx: FederationContext, deps: ClawfedDeps, spec: string, subnets: ReadonlyMap<string, string>, known?: HostNetworks): Promise<void> {
  const planned = plannedNetworks(ctx.project.name, subnets);
  if (planned.length === 0) return;
  const { networks, routes } = known ?? (await hostNetworks(deps));
  assertSubnetsFree(planned, networks, routes, { spec, pool: ctx.fed.networkPool, downCommand: `clawfed down ${spec}${outFlag(ctx)}` });
}

interface HostNetworks {
  networks: NetworkSummary[];
  routes: HostRoute[];
}

/** The engine's networks and, for a local engine, this host's routes. @throws RuntimeError when the engine cannot be asked */
async function hostNetworks(deps: ClawfedDeps): Promise<HostNetworks> {
  const networks = await deps.engine.listNetworks();
  // A remote engine (DOCKER_HOST tcp/ssh) has its own routes, which this host cannot see.
  const routes = deps.hostRoutes ? await deps.hostRoutes() : localSocket() ? await hostRoutes() : [];
  return { networks, routes };
}

/** Every image the compose file names must be present; pull the missing ones (compose would, less clearly). */
async function ensureImages(ctx: FederationContext, deps: ClawfedDeps, say: (l: string) => void): Promise<void> {
  const refs = new Set<string>();
  for (const g of ctx.fed.gateways) {
    const ref = await composeImage(ctx, g.id);
    if (ref) refs.add(ref);
  }
  for (const ref of refs) {
    if (await deps.engine.image(ref)) continue;
    say(`image ${ref} is not present locally; pulling it`);
    try {
      await deps.engine.pull(ref, (l) => say(`  ${l}`));
    } catch (err) {
      throw new RuntimeError(`image ${ref} is not present locally and cannot be pulled: ${(err as Error).message.split("\n")[0]}`, {
        next: `build it locally (for OpenClaw without a registry: ${imageBuildCommand(ref)}), load it (docker load), or name a local image: clawfed up ${ctx.loaded.file} --image <ref>${outFlag(ctx)}`,
        cause: err,
      });
    }
  }
}
