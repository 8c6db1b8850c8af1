/**
 * Where everything of a native federation lives under its root directory. One place, so the
 * compile (native, systemd, launchd), the writer's plan, the runtime and the audit agree.
 *
 * ```text
 * <root>/                         default ~/.clawfed/<federation>
 *   .env                          every secret of the federation (0600; the source of truth)
 *   README.md
 *   pm2.ecosystem.json            native target: the PM2 apps (one per gateway)
 *   systemd/openclaw-gateway-<id>.service    systemd target
 *   launchd/ai.openclaw.<id>.plist           launchd target
 *   comms/<from>--to--<to>/       mailbox routes (unless the spec sets comms.path)
 *   .pm2/                         PM2_HOME of `clawfed native` (0700)
 *   <gateway>/                    OPENCLAW_HOME
 *     openclaw.json               OPENCLAW_CONFIG_PATH (generated; OPENCLAW_CONFIG_READONLY=1)
 *     state/                      OPENCLAW_STATE_DIR (0700): DBs, sessions, locks (state/tmp/openclaw-<uid>/)
 *       .env                      this gateway's secrets only (0600); OpenClaw loads
 *                                 $OPENCLAW_STATE_DIR/.env itself (docs help/environment.md)
 *       workspace/                agents.defaults.workspace: AGENTS.md, SOUL.md, skills/
 *       logs/openclaw.log         OpenClaw's own file log (logging.file; it rotates it)
 *       logs/gateway.out.log      stdout / stderr as the supervisor captures them
 *       logs/gateway.err.log
 * ```
 */
import { launchdLabel, NATIVE_ROOT_DIRS, nativeHomeDir, routeDir, systemdUnitName } from "./names.js";
import { routesOf, type Federation, type GatewayModel } from "../federation/normalize.js";

/** Every absolute path of one gateway. */
export interface GatewayPaths {
  /** `<root>/<id>`: OPENCLAW_HOME and the working directory of the process. */
  home: string;
  /** OPENCLAW_CONFIG_PATH. */
  config: string;
  /** OPENCLAW_STATE_DIR. */
  state: string;
  /** The gateway's own secrets, loaded by OpenClaw from its state dir. */
  envFile: string;
  workspace: string;
  logs: string;
  /** OpenClaw's own (rotated) log file. */
  openclawLog: string;
  /** Captured stdout / stderr. */
  outLog: string;
  errLog: string;
}

/** Names of the per-gateway files and folders (relative to the gateway's home). */
export const NATIVE_FILES = {
  config: "openclaw.json",
  state: "state",
  envFile: "state/.env",
  workspace: "state/workspace",
  logs: "state/logs",
  openclawLog: "state/logs/openclaw.log",
  outLog: "state/logs/gateway.out.log",
  errLog: "state/logs/gateway.err.log",
} as const;

/** Root-level files and folders. */
export const ROOT_FILES = {
  ecosystem: "pm2.ecosystem.json",
  ...NATIVE_ROOT_DIRS,
} as const;

/** `/a/b/` → `/a/b`; the root must be absolute. @throws Error for a relative root. */
export function normalizeRoot(root: string): string {
  if (!root.startsWith("/")) throw new Error(`the native root must be an absolute path, got "${root}"`);
  const r = root.replace(/\/+$/, "");
  return r === "" ? "/" : r;
}

export function gatewayPaths(root: string, id: string): GatewayPaths {
  const home = `${normalizeRoot(root)}/${nativeHomeDir(id)}`;
  const at = (rel: string) => `${home}/${rel}`;
  return {
    home,
    config: at(NATIVE_FILES.config),
    state: at(NATIVE_FILES.state),
    envFile: at(NATIVE_FILES.envFile),
    workspace: at(NATIVE_FILES.workspace),
    logs: at(NATIVE_FILES.logs),
    openclawLog: at(NATIVE_FILES.openclawLog),
    outLog: at(NATIVE_FILES.outLog),
    errLog: at(NATIVE_FILES.errLog),
  };
}

/** Absolute host folder of the mailbox route `<from>--to--<to>`. */
export function routeHostPath(fed: Federation, root: string, from: string, to: string): string {
  const base = fed.comms.hostPath ? fed.comms.hostPath.replace(/\/+$/, "") : `${normalizeRoot(root)}/${ROOT_FILES.comms}`;
  return `${base}/${routeDir(from, to)}`;
}

/** Mailbox route folders (absolute) that gateway `g` reads or writes, in the order of fed.routes. */
export function gatewayRoutePaths(fed: Federation, root: string, g: Pick<GatewayModel, "outbound" | "inbound">): string[] {
  return routesOf(g)
    .filter((r) => r.transports.includes("mailbox"))
    .map((r) => routeHostPath(fed, root, r.from, r.to));
}

/** PM2_HOME of a federation root. */
export function pm2Home(root: string): string {
  return `${normalizeRoot(root)}/${ROOT_FILES.pm2Home}`;
}

/** Unit and label names live with every other derived name in vocabulary/names.ts. */
export { launchdLabel, systemdUnitName };

/** Markers put in every native gateway's environment so the runtime can find its processes. */
export const MARKER_ENV = {
  root: "CLAWFED_ROOT",
  federation: "CLAWFED_FEDERATION",
  gateway: "CLAWFED_GATEWAY",
} as const;
