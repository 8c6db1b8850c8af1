/**
 * `status`: where every gateway of a federation is. One container listing, then per gateway (all
 * concurrently) an inspect and the three probes on its published port, each with its own timeout.
 */
import { LABELS } from "../vocabulary/labels.js";
import type { GatewayModel } from "../federation/normalize.js";
import { gatewayContainers } from "../runtime/containers.js";
import type { ContainerInfo } from "../runtime/docker/types.js";
import { exitHint, probeGateway, publishedUrl, PROBE_TIMEOUT_MS, type GatewayProbes } from "../runtime/health.js";
import { outFlag, pickGateways, type FederationContext } from "./context.js";
import type { ClawfedDeps } from "./deps.js";

/** Image label carrying the OpenClaw version (OCI annotation). */
const VERSION_LABELS = ["ai.clawfed.openclaw-version", "org.opencontainers.image.version"];

export type GatewayState = "healthy" | "not-ready" | "starting" | "unhealthy" | "restarting" | "stopped" | "missing";

/** One gateway as `status` sees it: state, container facts, version, URL, probes, problems in words. */
export interface GatewayStatus {
  id: string;
  role: "hub" | "spoke";
  /** Counts as healthy for the exit code (running, live, started; ready too when required). */
  healthy: boolean;
  state: GatewayState;
  container?: {
    id: string;
    name: string;
    status: string;
    exitCode: number;
    restarts: number;
    /** ISO time of the last start. */
    startedAt?: string;
    uptimeS?: number;
    /** Docker's own healthcheck. */
    dockerHealth: string;
    image: string;
    imageId: string;
  };
  /** OpenClaw version (from /startupz for local callers, else the image's version label). */
  version?: string;
  /** Published URL on the host, e.g. http://127.0.0.1:18789. */
  url?: string;
  probes?: GatewayProbes;
  /** Problems in words (empty when healthy). */
  problems: string[];
}

/** A federation's status: every gateway, containers that are no current gateway, `ok`/`healthy`, `next`, `ms`. */
export interface FederationStatus {
  federation: string;
  project: string;
  /** ISO time of the check. */
  checkedAt: string;
  /** Milliseconds the check took. */
  ms: number;
  /** Every selected gateway is healthy (the same as `healthy`; the field every result has). */
  ok: boolean;
  healthy: boolean;
  /** The command to run when some gateway is not healthy. */
  next?: string;
  gateways: GatewayStatus[];
  /** Containers of this federation that are not a gateway of the spec (e.g. left by an interrupted rollout). */
  others: Array<{ id: string; name: string; status: string; gateway?: string }>;
}

export interface StatusOptions {
  /** Milliseconds each probe may take. */
  probeTimeoutMs?: number;
  /** Count a gateway as healthy only when /readyz passes too. */
  requireReady?: boolean;
  /** Only these gateways. */
  only?: string[];
}

function versionOf(probes: GatewayProbes | undefined, imageLabels: Record<string, string> | undefined): string | undefined {
  if (probes?.startupz.version) return probes.startupz.version;
  for (const l of VERSION_LABELS) if (imageLabels?.[l]) return imageLabels[l];
  return undefined;
}

/** Judge one gateway from its container and probes (pure). */
export function judgeGateway(
  g: Pick<GatewayModel, "id" | "role">,
  info: ContainerInfo | undefined,
  probes: GatewayProbes | undefined,
  opts: { requireReady?: boolean; wallNow: number; imageLabels?: Record<string, string> },
): GatewayStatus {
  const base: GatewayStatus = { id: g.id, role: g.role, healthy: false, state: "missing", problems: [] };
  if (!info) return { ...base, problems: ["no container (not started: run clawfed up)"] };
  const started = info.startedAt ? Date.parse(info.startedAt) : undefined;
  const st: GatewayStatus = {
    ...base,
    container: {
      id: info.id.slice(0, 12),
      name: info.name,
      status: info.status,
      exitCode: info.exitCode,
      restarts: info.restartCount,
      startedAt: info.startedAt,
      uptimeS: info.running && started ? Math.max(0, Math.round((opts.wallNow - started) / 1000)) : undefined,
      dockerHealth: info.health,
      image: info.image,
      imageId: info.imageId,
    },
    url: publishedUrl(info),
    version: versionOf(probes, opts.imageLabels),
  };
  if (probes) st.probes = probes;
  if (info.status === "restarting") {
    st.state = "restarting";
    st.problems.push(`restarting: exited with code ${info.exitCode}${exitHint(info.exitCode)}, ${info.restartCount} restart(s)`);
  } else if (!info.running) {
    st.state = "stopped";
    st.problems.push(`container ${info.status}${info.finishedAt ? `, exit code ${info.exitCode}${exitHint(info.exitCode)}` : ""}`);
  } else if (!st.url) {
    st.state = "unhealthy";
    st.problems.push("the gateway port is not published on the host");
  } else if (!probes?.healthz.ok) {
    st.state = "unhealthy";
    st.problems.push(`/healthz: ${probes?.healthz.error ?? "not probed"}`);
  } else if (!probes.startupz.ok) {
    st.state = probes.startupz.status === "starting" ? "starting" : "unhealthy";
    st.problems.push(`/startupz: ${probes.startupz.error ?? "failed"}`);
  } else if (!probes.readyz.ok) {
    st.state = "not-ready";
    st.problems.push(`/readyz: ${probes.readyz.error ?? "failed"}`);
  } else st.state = "healthy";
  st.healthy = st.state === "healthy" || (st.state === "not-ready" && !opts.requireReady);
  return st;
}

/**
 * Status of every gateway of the federation (or `only` some).
 * @throws UsageError for an unknown id in `only` (exit 2); RuntimeError when the engine cannot be reached.
 */
export async function getStatus(ctx: FederationContext, deps: Pick<ClawfedDeps, "engine" | "get" | "clock" | "wallNow">, opts: StatusOptions = {}): Promise<FederationStatus> {
  const gateways = pickGateways(ctx.fed, opts.only, "--only");
  const t0 = deps.clock.now();
  const checkedAt = new Date(deps.wallNow()).toISOString();
  const { current, others } = await gatewayContainers(ctx, deps.engine);
  const imageLabels = new Map<string, Promise<Record<string, string> | undefined>>();
  const labelsOf = (ref: string) => {
    if (!imageLabels.has(ref)) imageLabels.set(ref, deps.engine.image(ref).then((i) => i?.labels, () => undefined));
    return imageLabels.get(ref)!;
  };
  const results = await Promise.all(
    gateways.map(async (g) => {
      const c = current.get(g.id);
      const info = c ? await deps.engine.inspect(c.id) : undefined;
      const url = info?.running ? publishedUrl(info) : undefined;
      const [probes, labels] = await Promise.all([
        url ? probeGateway(deps.get, url, opts.probeTimeoutMs ?? PROBE_TIMEOUT_MS) : Promise.resolve(undefined),
        info ? labelsOf(info.imageId) : Promise.resolve(undefined),
      ]);
      return judgeGateway(g, info, probes, { requireReady: opts.requireReady, wallNow: deps.wallNow(), imageLabels: labels });
    }),
  );
  const bad = results.find((r) => !r.healthy);
  return {
    federation: ctx.fed.name,
    project: ctx.project.name,
    checkedAt,
    ms: Math.round(deps.clock.now() - t0),
    ok: !bad,
    healthy: !bad,
    ...(bad ? { next: bad.state === "missing" ? `clawfed up ${ctx.loaded.file}${outFlag(ctx)}` : `clawfed logs ${ctx.loaded.file} ${bad.id}${outFlag(ctx)}` } : {}),
    gateways: results,
    others: others.map((o) => ({ id: o.id.slice(0, 12), name: o.name, status: o.status, ...(o.labels[LABELS.gateway] ? { gateway: o.labels[LABELS.gateway] } : {}) })),
  };
}
