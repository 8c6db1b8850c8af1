/**
 * Inputs of the native targets (native/PM2, systemd, launchd) that are facts of the host rather
 * than of the spec. They are resolved by `generate()` / the CLI (home directory, installed
 * OpenClaw, systemd version) and passed into the pure compile.
 */

/** Where the gateways' OpenClaw lives on the host that runs them. */
export interface OpenclawHost {
  /** Absolute path of a Node binary ≥ 24.16 (OpenClaw 2026.9.6 refuses older ones). */
  node: string;
  /** Absolute path of OpenClaw's CLI entry, `…/node_modules/openclaw/openclaw.mjs`. */
  entry: string;
}

export interface SystemdOptions {
  /**
   * `user`: units for `~/.config/systemd/user/` (WantedBy=default.target; needs
   * `loginctl enable-linger` to run without a login). `system`: units for `/etc/systemd/system/`
   * with `User=` (OpenClaw does not support running as root; facts §10.3).
   */
  scope: "user" | "system";
  /** Account the gateways run as with scope `system` (required there; ignored for `user`). */
  user?: string;
  /**
   * Major version of the systemd that will run the units, e.g. 252. From 254 on the units use
   * `RestartSteps=`/`RestartMaxDelaySec=` (delays that grow on repeated failures); older systemd
   * does not know those keys, so the units get a fixed `RestartSec=` and a warning says so.
   */
  version: number;
}

export interface NativeCompileOptions {
  /**
   * Absolute directory holding every gateway of the federation (`<root>/<gateway>/…`). Native
   * targets need it; `generate()` defaults it to `~/.clawfed/<federation>`.
   */
  root?: string;
  /** Native targets need it; `generate()` defaults it to the pinned install (tools/openclaw). */
  openclaw?: OpenclawHost;
  /** systemd target only; default `{ scope: "user", version: 254 }`. */
  systemd?: SystemdOptions;
}

/** Default systemd options when none are given. */
export const DEFAULT_SYSTEMD: SystemdOptions = { scope: "user", version: 254 };
