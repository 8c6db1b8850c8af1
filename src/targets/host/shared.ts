/**
 * What every native target (PM2, systemd, launchd) shares: the gateway folders under the root,
 * each gateway's `openclaw.json` placed for the host, its workspace, its own secrets file, the
 * mailbox folders, and the process a supervisor runs with its environment.
 *
 * Placement on the host (facts §1.3-§1.5):
 * - bind `loopback`, base port = the spec's port (the rules keep base ports ≥ 120 apart, because
 *   each gateway also uses base + 2 … base + 110 for browser control and CDP);
 * - peers are reached at `http://127.0.0.1:<their port>` (a2a URLs and the delegate skill's hooks);
 * - knowledge is read from its host path; mailbox routes are host folders;
 * - explicit `OPENCLAW_HOME`, `OPENCLAW_STATE_DIR`, `OPENCLAW_CONFIG_PATH` and workspace per gateway,
 *   so locks (`<state>/tmp/openclaw-<uid>/`), DBs and logs never meet another gateway's;
 * - `OPENCLAW_SUPERVISOR_MODE=external` and `OPENCLAW_SERVICE_REPAIR_POLICY=external`: the supervisor
 *   owns restarts, OpenClaw never installs or fights its own service (docs cli/gateway/restart-and-supervision.md);
 * - `OPENCLAW_NO_RESPAWN=1`: restarts stay in-process, so the supervisor keeps the PID
 *   (docs gateway/embedding.md);
 * - secrets only in `<state>/.env` (0600), which OpenClaw loads itself (docs help/environment.md):
 *   never in argv, a unit, a plist or PM2's process list.
 */
import { dir, file, type Artifact, type EnvSlot } from "../../compile/artifact.js";
import { envFor } from "../../vocabulary/env-plan.js";
import { generatedHeader } from "../../vocabulary/names.js";
import { buildOpenclawConfig, type Placement } from "../../compile/openclaw-config.js";
import { PLUGIN_OUT_DIR, pluginArtifacts, usesDelegatePlugin } from "../../compile/delegation.js";
import { HOST_GATEWAY_NAME } from "../../federation/schema.js";
import { diagramLinks, workspaceArtifacts, type WorkspaceView } from "../../compile/workspace.js";
import { renderTemplate } from "../../render/templates.js";
import { toJson } from "../../render/serialize.js";
import type { Federation, GatewayModel } from "../../federation/normalize.js";
import { gatewayPaths, launchdLabel, MARKER_ENV, normalizeRoot, NATIVE_FILES, pm2Home, ROOT_FILES, routeHostPath, systemdUnitName, type GatewayPaths } from "../../vocabulary/host-layout.js";
import type { NativeCompileOptions, OpenclawHost } from "./options.js";

/** OpenClaw rotates its own file log at this size and keeps five archives (docs logging.md). */
export const OPENCLAW_LOG_MAX_BYTES = 10 * 1024 * 1024;

/** Options every native target needs, checked. */
export interface NativeContext {
  root: string;
  openclaw: OpenclawHost;
}

/** @throws Error when the compile was called without a root or OpenClaw paths (generate() always gives them). */
export function nativeContext(target: string, opts: NativeCompileOptions): NativeContext {
  if (!opts.root) throw new Error(`the ${target} target needs the root directory of the federation (compile option root)`);
  if (!opts.openclaw) throw new Error(`the ${target} target needs the Node binary and OpenClaw entry the gateways run with (compile option openclaw)`);
  for (const [k, v] of Object.entries(opts.openclaw)) {
    if (!v.startsWith("/")) throw new Error(`openclaw.${k} must be an absolute path, got "${v}"`);
  }
  return { root: normalizeRoot(opts.root), openclaw: opts.openclaw };
}

const nativeViews = new WeakMap<Federation, Map<string, WorkspaceView>>();

/** The gateway's view of the federation on this host (built once per federation and root). */
export function nativeView(fed: Federation, root: string): WorkspaceView {
  let views = nativeViews.get(fed);
  if (!views) nativeViews.set(fed, (views = new Map()));
  let view = views.get(root);
  if (!view) views.set(root, (view = buildNativeView(fed, root)));
  return view;
}

function buildNativeView(fed: Federation, root: string): WorkspaceView {
  const ports = new Map(fed.gateways.map((g) => [g.id, g.port]));
  const knowledge = new Map(fed.knowledge.map((k) => [k.name, k.hostPath]));
  return {
    peerBaseUrl: (id) => `http://127.0.0.1:${ports.get(id)}`,
    routePath: (from, to) => routeHostPath(fed, root, from, to),
    knowledgePath: (name) => knowledge.get(name) ?? "",
  };
}

/** `openclaw.json` of one native gateway. */
export function nativeOpenclawConfig(fed: Federation, g: GatewayModel, root: string): Record<string, unknown> {
  const view = nativeView(fed, root);
  const paths = gatewayPaths(root, g.id);
  const placement: Placement = {
    bind: "loopback",
    port: g.port,
    publishedPort: g.port,
    peerBaseUrl: view.peerBaseUrl,
    knowledgePath: view.knowledgePath,
    workspace: paths.workspace,
    plugin: { pluginPath: `${paths.home}/${PLUGIN_OUT_DIR}`, selfUrl: `http://127.0.0.1:${g.port}/a2a/v1`, routePath: view.routePath },
    // Native gateways run on the host itself.
    providerBaseUrl: (url) => url.replace(`//${HOST_GATEWAY_NAME}`, "//127.0.0.1"),
  };
  const config = buildOpenclawConfig(fed, g, placement);
  // The default log file is shared by every gateway of the host (/tmp/openclaw/openclaw-<date>.log);
  // each native gateway logs into its own state dir instead, rotated by OpenClaw. The console
  // (captured by the supervisor) only carries warnings and errors, so it stays small.
  config.logging = { file: paths.openclawLog, maxFileBytes: OPENCLAW_LOG_MAX_BYTES, consoleLevel: "warn" };
  return config;
}

/** `2g` → 2048, `1536m` → 1536, `512k` → 0.5 (MiB). */
export function sizeMiB(size: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg])$/i.exec(size);
  if (!m) throw new Error(`not a size: ${size}`);
  return Number(m[1]) * ({ k: 1 / 1024, m: 1, g: 1024 } as const)[m[2]!.toLowerCase() as "k" | "m" | "g"];
}

/**
 * V8 old-space limit of a native gateway (MiB): half its memory limit (`resources.memory`), so the
 * heap respects the spec's limit as it does in a container, where V8 sizes it from the cgroup
 * (1120 MiB under 2 GiB, measured) rather than from the host's RAM (4288 MiB on 24 GiB). At idle it
 * changes nothing measurable (BENCHMARKS.md); it caps growth. OpenClaw's own service installer sets
 * the same flag (facts §10.3).
 */
export function heapLimitMiB(g: GatewayModel): number {
  return Math.max(256, Math.floor(sizeMiB(g.resources.memory) / 2));
}

/**
 * Environment of a native gateway process, in a fixed order. No secret is ever here: those are in
 * the gateway's `<state>/.env`.
 */
export function gatewayEnvironment(fed: Federation, g: GatewayModel, root: string): Record<string, string> {
  const p = gatewayPaths(root, g.id);
  return {
    OPENCLAW_HOME: p.home,
    OPENCLAW_STATE_DIR: p.state,
    OPENCLAW_CONFIG_PATH: p.config,
    OPENCLAW_CONFIG_READONLY: "1",
    OPENCLAW_SUPERVISOR_MODE: "external",
    OPENCLAW_SERVICE_REPAIR_POLICY: "external",
    OPENCLAW_NO_RESPAWN: "1",
    OPENCLAW_NO_AUTO_UPDATE: "1",
    OPENCLAW_DISABLE_BONJOUR: "1",
    NODE_OPTIONS: `--max-old-space-size=${heapLimitMiB(g)}`,
    [MARKER_ENV.root]: root,
    [MARKER_ENV.federation]: fed.name,
    [MARKER_ENV.gateway]: g.id,
  };
}

/** argv of a native gateway: `<node> <openclaw.mjs> gateway --port <port>` (seed 003's contract). */
export function gatewayArgv(host: OpenclawHost, g: GatewayModel): string[] {
  return [host.node, host.entry, "gateway", "--port", String(g.port)];
}

/** Path relative to the output directory (which mirrors the root). */
export function rel(root: string, abs: string): string {
  return abs.slice(normalizeRoot(root).length + 1);
}

/** Header of a gateway's secrets file (the writer appends the values). */
function envFileHeader(fed: Federation, g: GatewayModel, root: string): string {
  return [
    `# ${generatedHeader(fed.specFile)}`,
    `# ${g.id}'s own secrets, copied from ${normalizeRoot(root)}/.env by \`clawfed generate\`: edit that file, not this one.`,
    "# OpenClaw loads $OPENCLAW_STATE_DIR/.env at startup; keep this file mode 0600.",
    "",
  ].join("\n");
}

/** Folders and files of one gateway, relative to the root. */
export function gatewayArtifacts(fed: Federation, g: GatewayModel, root: string, env: EnvSlot[]): Artifact[] {
  const p: GatewayPaths = gatewayPaths(root, g.id);
  const header = generatedHeader(fed.specFile);
  const out: Artifact[] = [
    dir(rel(root, p.home)),
    dir(rel(root, p.state), { mode: 0o700 }),
    dir(rel(root, p.logs), { mode: 0o700 }),
    file(rel(root, p.config), toJson(nativeOpenclawConfig(fed, g, root), header)),
    file(rel(root, p.envFile), envFileHeader(fed, g, root), { mode: 0o600, secret: true, envFrom: envFor(env, g.id) }),
  ];
  if (usesDelegatePlugin(g)) out.push(...pluginArtifacts(`${rel(root, p.home)}/${PLUGIN_OUT_DIR}`));
  // Native gateways run as the invoking user: nothing is handed to the container uid.
  for (const a of workspaceArtifacts(fed, g, nativeView(fed, root), rel(root, p.workspace))) {
    const { gatewayOwned: _owned, ...plain } = a;
    out.push(plain as Artifact);
  }
  return out;
}

/** Mailbox folders: relative under `<root>/comms`, or absolute under the spec's comms.path. */
export function mailboxArtifacts(fed: Federation, root: string): Artifact[] {
  return fed.routes
    .filter((r) => r.transports.includes("mailbox"))
    .map((r) => {
      const abs = routeHostPath(fed, root, r.from, r.to);
      return fed.comms.hostPath ? dir(abs, { absolute: true, mode: 0o770 }) : dir(rel(root, abs), { mode: 0o770 });
    });
}

export type NativeTargetName = "native" | "systemd" | "launchd";

/** README of a native federation root: the gateways, the layout, how to run it. */
export function nativeReadme(fed: Federation, target: NativeTargetName, ctx: NativeContext): string {
  const links = diagramLinks(fed);
  return renderTemplate("native-README.md.hbs", {
    header: generatedHeader(fed.specFile),
    name: fed.name,
    description: fed.description ?? "",
    version: fed.openclawVersion,
    specFile: fed.specFile,
    root: ctx.root,
    node: ctx.openclaw.node,
    entry: ctx.openclaw.entry,
    target,
    isNative: target === "native",
    isSystemd: target === "systemd",
    isLaunchd: target === "launchd",
    pm2Home: pm2Home(ctx.root),
    ecosystem: `${ctx.root}/${ROOT_FILES.ecosystem}`,
    files: NATIVE_FILES,
    gateways: fed.gateways.map((g) => ({
      id: g.id,
      role: g.role,
      port: g.port,
      lastPort: g.port + 110,
      model: g.model.primary,
      unit: systemdUnitName(g.id),
      label: launchdLabel(g.id),
    })),
    links,
  });
}

/** `2g` → `2G`, `1536m` → `1536M` (PM2 and systemd size notation). */
export function sizeUpper(size: string): string {
  return size.toUpperCase();
}

/** Native gateways with sandboxing use the host's Docker for their sandbox containers. */
export function sandboxWarnings(fed: Federation): string[] {
  return fed.gateways
    .filter((g) => g.sandboxed)
    .map(
      (g) =>
        `${g.id}: sandbox mode "${g.sandbox.mode}" runs agent tools in containers of this host's Docker engine; ` +
        "the gateway user needs access to the Docker socket and the image openclaw-sandbox:bookworm-slim must exist before its agents run (the gateway itself starts without them).",
    );
}
