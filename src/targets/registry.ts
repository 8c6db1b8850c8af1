/**
 * The registry of targets: `compile(federation, target)` dispatches through it. Pure, like every
 * target: no file system, environment, clock or randomness; tokens are only named here and filled
 * in by the writer (emit/).
 *
 * Direction: targets/ builds on compile/ (openclaw.json, workspaces, the Artifact types) and on
 * vocabulary/ (names, labels, host layout, the env plan); compile/ never imports targets/.
 *
 * ## Adding a target
 * Write `src/targets/<name>/index.ts` exporting `compile<Name>(fed: Federation, opts: CompileOptions):
 * CompileResult` (pure; artifacts are paths relative to the output folder), then add ONE line to
 * `TARGETS` below, e.g. `kubernetes: compileKubernetes,`. `TargetName`, `isTarget` and `compile`
 * follow from it. A target that needs host facts of its own adds an optional field to
 * `CompileOptions` (one more line; `generate()` resolves such facts, never the target).
 */
import type { Federation } from "../federation/normalize.js";
import type { CompileResult } from "../compile/artifact.js";
import { compileCompose } from "./compose/index.js";
import { compileNative } from "./host/pm2.js";
import { compileSystemd } from "./host/systemd.js";
import { compileLaunchd } from "./host/launchd.js";
import type { NativeCompileOptions } from "./host/options.js";

/**
 * Host facts a target may need, resolved by generate() / the CLI, never looked up by a target.
 * Host targets (native, systemd, launchd) need `root` and `openclaw`; compose ignores them.
 */
export type CompileOptions = NativeCompileOptions;

/** A target's compile function: pure, Federation (+ host facts) → artifacts and the .env plan. */
export type TargetCompiler = (fed: Federation, opts: CompileOptions) => CompileResult;

/** Every target clawfed can compile to, by name: one line per target. */
export const TARGETS = {
  compose: compileCompose,
  native: compileNative,
  systemd: compileSystemd,
  launchd: compileLaunchd,
} satisfies Record<string, TargetCompiler>;

/** Name of a registered target (`compose`, `native`, `systemd`, `launchd`, …). */
export type TargetName = keyof typeof TARGETS;

/** Names of every registered target, in registration order. */
export const TARGET_NAMES = Object.keys(TARGETS) as TargetName[];

/** Whether `name` is a registered target (own keys only: `toString` is not a target). */
export function isTarget(name: string): name is TargetName {
  return Object.hasOwn(TARGETS, name);
}

/**
 * Compile `fed` for `target`.
 * @throws Error for an unknown target (the CLI checks names before calling), or a host target
 *   without `opts.root`/`opts.openclaw` (generate() always gives them).
 */
export function compile(fed: Federation, target: TargetName = "compose", opts: CompileOptions = {}): CompileResult {
  if (!isTarget(target)) throw new Error(`unknown target "${String(target)}" (known: ${TARGET_NAMES.join(", ")})`);
  const build: TargetCompiler = TARGETS[target];
  return build(fed, opts);
}

export type { Artifact, CompileResult, EnvSlot } from "../compile/artifact.js";
export type { NativeCompileOptions, OpenclawHost, SystemdOptions } from "./host/options.js";
