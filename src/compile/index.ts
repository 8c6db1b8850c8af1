/**
 * compile(federation, target) → artifacts. Pure: no file system, environment, clock or randomness;
 * tokens are only named here and filled in by the writer (emit/).
 */
import type { Federation } from "../federation/normalize.js";
import type { CompileResult } from "./artifact.js";
import { compileCompose } from "../targets/compose/index.js";
import { compileNative } from "../targets/native/index.js";
import { compileSystemd } from "../targets/systemd/index.js";
import { compileLaunchd } from "../targets/launchd/index.js";
import type { NativeCompileOptions } from "../targets/native/options.js";
import { compileEcs } from "../targets/ecs/index.js";

export type TargetName = "compose" | "native" | "systemd" | "launchd" | "ecs";

/**
 * Host facts a target may need, resolved by generate() / the CLI, never looked up here. Native
 * targets (native, systemd, launchd) need `root` and `openclaw`; compose ignores them.
 */
export type CompileOptions = NativeCompileOptions;

/** Every target clawfed can compile to, by name. */
export const TARGETS: Record<TargetName, (fed: Federation, opts?: CompileOptions) => CompileResult> = {
  compose: compileCompose,
  native: compileNative,
  systemd: compileSystemd,
  launchd: compileLaunchd,
  ecs: compileEcs,
};

export function isTarget(name: string): name is TargetName {
  return Object.hasOwn(TARGETS, name);
}

/** @throws Error for an unknown target (the CLI checks names before calling), or a native target without `opts.root`/`opts.openclaw`. */
export function compile(fed: Federation, target: TargetName = "compose", opts: CompileOptions = {}): CompileResult {
  const build = TARGETS[target];
  if (!build) throw new Error(`unknown target "${target}" (known: ${Object.keys(TARGETS).join(", ")})`);
  return build(fed, opts);
}

export type { Artifact, CompileResult, EnvSlot } from "./artifact.js";
export type { NativeCompileOptions, OpenclawHost, SystemdOptions } from "../targets/native/options.js";
