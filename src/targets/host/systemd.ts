/**
 * The systemd target: the gateway folders of the native layout plus one unit per gateway,
 * `systemd/openclaw-gateway-<id>.service` (the name `openclaw gateway install --profile <id>`
 * would use; facts §10.3), user or system scope.
 *
 * Policy (systemd.service(5), systemd.exec(5), systemd.resource-control(5); OpenClaw's own unit in
 * facts §10.3 for the timeouts):
 * - `Restart=on-failure`; from systemd 254 `RestartSteps=`/`RestartMaxDelaySec=` make the delay grow
 *   from 2 s to 2 min over repeated failures; `RestartPreventExitStatus=78` stops the loop on an
 *   invalid config; `StartLimitBurst=`/`StartLimitIntervalSec=` cap it;
 * - `KillMode=control-group`: stop and restart take every process of the gateway (its workers too);
 *   `TimeoutStopSec=330` = OpenClaw's 315 s drain + margin;
 * - environment as in every native target, secrets only through `EnvironmentFile=<state>/.env` (0600);
 * - sandboxing: `NoNewPrivileges=yes`, `ProtectSystem=strict` (the whole file system read-only) with
 *   `ReadWritePaths=` the state dir and the gateway's mailbox routes, `ReadOnlyPaths=` its knowledge
 *   (`-` prefix: a missing folder does not stop the unit), `PrivateTmp=yes`, `UMask=0077`;
 * - resources from the spec: `MemoryMax=`, `CPUQuota=`, `TasksMax=`.
 */
import { dir, file, type Artifact, type CompileResult } from "../../compile/artifact.js";
import { planEnv } from "../../vocabulary/env-plan.js";
import { generatedHeader } from "../../vocabulary/names.js";
import { SpecError } from "../../errors.js";
import type { Federation, GatewayModel } from "../../federation/normalize.js";
import { gatewayArtifacts, gatewayArgv, gatewayEnvironment, mailboxArtifacts, nativeContext, nativeReadme, sandboxWarnings, sizeUpper, type NativeContext } from "./shared.js";
import { gatewayPaths, gatewayRoutePaths, ROOT_FILES, systemdUnitName } from "../../vocabulary/host-layout.js";
import { DEFAULT_SYSTEMD, type NativeCompileOptions, type SystemdOptions } from "./options.js";

/** First systemd release with RestartSteps= and RestartMaxDelaySec= (growing restart delays). */
export const SYSTEMD_RESTART_STEPS_VERSION = 254;
/** Seconds: a clean stop takes well under a second, a drain up to 315 s (facts §10.3). */
export const STOP_TIMEOUT_SEC = 330;

/**
 * Characters systemd takes literally in paths of ExecStart=, Environment= and *Paths= lines
 * (no whitespace, quotes, backslashes, `%` specifiers or `$` expansions).
 */
const SYSTEMD_SAFE_PATH = /^[A-Za-z0-9_@+=:,./~-]+$/;

/** Paths a unit would contain that systemd cannot take literally, with what they are. */
export function unsafeSystemdPaths(fed: Federation, ctx: NativeContext): string[] {
  const paths: Array<[string, string]> = [
    ["root", ctx.root],
    ["node", ctx.openclaw.node],
    ["OpenClaw entry", ctx.openclaw.entry],
    ...fed.knowledge.map((k): [string, string] => [`knowledge ${k.name}`, k.hostPath]),
  ];
  if (fed.comms.hostPath) paths.push(["comms.path", fed.comms.hostPath]);
  return paths.filter(([, p]) => !SYSTEMD_SAFE_PATH.test(p)).map(([what, p]) => `${what} "${p}"`);
}

/** The unit text of one gateway. */
export function systemdUnit(fed: Federation, g: GatewayModel, ctx: NativeContext, sd: SystemdOptions): string {
  const p = gatewayPaths(ctx.root, g.id);
  const lines: string[] = [`# ${generatedHeader(fed.specFile)}`];
  const growing = sd.version >= SYSTEMD_RESTART_STEPS_VERSION;
  lines.push(
    "[Unit]",
    `Description=OpenClaw Gateway ${g.id} (federation ${fed.name})`,
    `Documentation=file://${ctx.root}/README.md`,
    "After=network-online.target",
    "Wants=network-online.target",
    "StartLimitIntervalSec=600",
    "StartLimitBurst=10",
    "",
    "[Service]",
    "Type=simple",
  );
  if (sd.scope === "system") lines.push(`User=${sd.user}`);
  lines.push(`WorkingDirectory=${p.home}`, `ExecStart=${gatewayArgv(ctx.openclaw, g).join(" ")}`);
  for (const [k, v] of Object.entries(gatewayEnvironment(fed, g, ctx.root))) lines.push(`Environment=${k}=${v}`);
  lines.push(`EnvironmentFile=${p.envFile}`);
  lines.push("Restart=on-failure");
  if (growing) {
    lines.push("RestartSec=2s", "RestartSteps=6", "RestartMaxDelaySec=2min");
  } else {
    lines.push(`# systemd ${sd.version}: a fixed delay; growing delays (RestartSteps=, RestartMaxDelaySec=) need systemd ${SYSTEMD_RESTART_STEPS_VERSION}`, "RestartSec=5s");
  }
  lines.push(
    "RestartPreventExitStatus=78",
    "SuccessExitStatus=143",
    "KillMode=control-group",
    "KillSignal=SIGTERM",
    `TimeoutStopSec=${STOP_TIMEOUT_SEC}`,
    `SyslogIdentifier=openclaw-${g.id}`,
    `MemoryMax=${sizeUpper(g.resources.memory)}`,
    `CPUQuota=${Math.round(g.resources.cpus * 100)}%`,
    `TasksMax=${g.resources.pids}`,
    "UMask=0077",
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "PrivateTmp=yes",
    `ReadWritePaths=${[p.state, ...gatewayRoutePaths(fed, ctx.root, g)].join(" ")}`,
  );
  if (g.knowledge.length > 0) lines.push(`ReadOnlyPaths=${g.knowledge.map((k) => `-${k.hostPath}`).join(" ")}`);
  lines.push("", "[Install]", `WantedBy=${sd.scope === "system" ? "multi-user.target" : "default.target"}`);
  return `${lines.join("\n")}\n`;
}

/** @throws SpecError when a path cannot be written into a unit literally; Error when system scope has no user. */
export function compileSystemd(fed: Federation, opts: NativeCompileOptions = {}): CompileResult {
  const ctx = nativeContext("systemd", opts);
  const sd = opts.systemd ?? DEFAULT_SYSTEMD;
  if (sd.scope === "system" && !sd.user) throw new Error("systemd units of scope system need the user the gateways run as (systemd.user)");
  const unsafe = unsafeSystemdPaths(fed, ctx);
  if (unsafe.length > 0) {
    throw new SpecError(
      unsafe.map((u) => ({ file: fed.specFile, line: 0, col: 0, path: "", message: `${u} cannot be written into a systemd unit literally`, hint: "use paths without spaces, quotes, backslashes, % or $ (e.g. --root /srv/clawfed/<name>)" })),
    );
  }
  const env = planEnv(fed);
  const artifacts: Artifact[] = [];
  for (const g of fed.gateways) artifacts.push(...gatewayArtifacts(fed, g, ctx.root, env));
  artifacts.push(...mailboxArtifacts(fed, ctx.root), dir(ROOT_FILES.systemdDir));
  for (const g of fed.gateways) artifacts.push(file(`${ROOT_FILES.systemdDir}/${systemdUnitName(g.id)}`, systemdUnit(fed, g, ctx, sd)));
  artifacts.push(file("README.md", nativeReadme(fed, "systemd", ctx)));
  const warnings = sandboxWarnings(fed);
  if (sd.version < SYSTEMD_RESTART_STEPS_VERSION) {
    warnings.push(`systemd ${sd.version} has no RestartSteps=: the units restart after a fixed 5 s; systemd ${SYSTEMD_RESTART_STEPS_VERSION} or later makes the delay grow (pass --systemd-version to target another host)`);
  }
  if (sd.scope === "system" && sd.user === "root") {
    warnings.push("the system units run the gateways as root, which OpenClaw does not support (facts §10.3): pass --systemd-user <account>");
  }
  if (sd.scope === "user" && fed.gateways.some((g) => g.sandboxed)) {
    warnings.push("user units with ProtectSystem= run in a user namespace (PrivateUsers=), where the docker group does not apply: sandboxed agents need system scope (--systemd-scope system) to reach Docker");
  }
  return { target: "systemd", artifacts, env, warnings };
}
