/**
 * The registry of targets: `compile(federation, target)` dispatches through it. Pure, like every
 * target: no file system, environment, clock or randomness; tokens are only named here and filled
 * in by the writer (emit/).
 *
 * Direction: targets/ builds on compile/ (openclaw.json, workspaces, the Artifact types) and on
 * vocabulary/ (names, labels, host layout, the env plan); compile/ never imports targets/.
 *
 * ## Adding a target
 * Write `src/targets/<name>/index.ts` exporting `compile<Name>(fed: Federation, opts?: <Name>Options):
 * CompileResult` (pure; artifacts are paths relative to the output folder; `target` in the result is
 * the registry key; the `.env` plan starts from vocabulary/env-plan.ts planEnv), then add ONE line to
 * `TARGETS` below, e.g. `kubernetes: compileKubernetes,`. `TargetName`, `TARGET_NAMES`, `isTarget`,
 * `CompileOptions` (the target's options type joins it) and `compile` follow from that line. The
 * target's options must be optional fields (callers of other targets do not pass them); host facts
 * are resolved by `generate()`, never looked up by the target. test/unit/targets-registry.test.ts
 * then checks the new target against the contract every target keeps.
 */
import { compileKubernetes } from "./kubernetes/index.js";
import { compileSwarm } from "./swarm/index.js";
import type { Federation } from "../federation/normalize.js";
import type { CompileResult } from "../compile/artifact.js";
import { compileCompose } from "./compose/index.js";
import { compileNative } from "./host/pm2.js";
import { compileSystemd } from "./host/systemd.js";
import { compileLaunchd } from "./host/launchd.js";
import { compileEcs } from "./ecs/index.js";

/**
 * A target's compile function: pure, Federation (+ options: host facts resolved by generate(),
 * never looked up by a target) → artifacts and the .env plan. `opts: never` accepts any options
 * type here; `CompileOptions` below is what callers may pass.
 */
export type TargetCompiler = (fed: Federation, opts: never) => CompileResult;

/** Every target clawfed can compile to, by name: one line per target. */
export const TARGETS = {
  compose: compileCompose,
  native: compileNative,
  systemd: compileSystemd,
  launchd: compileLaunchd,
  kubernetes: compileKubernetes,
  swarm: compileSwarm,
  ecs: compileEcs,
} satisfies Record<string, TargetCompiler>;

type Registry = typeof TARGETS;
/** The options type of one compile function (`{}` for a target without options). */
type OptionsOf<F> = F extends (fed: Federation, opts: infer O) => CompileResult ? (unknown extends O ? {} : NonNullable<O>) : {};
type Intersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/**
 * Options of every registered target together (their intersection, derived from the registry, so
 * a new target's options need no line of their own): host targets (native, systemd, launchd) need
 * `root` and `openclaw`; compose takes none. Each target reads only its own fields.
 */
export type CompileOptions = Intersection<{ [K in keyof Registry]: OptionsOf<Registry[K]> }[keyof Registry]>;

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
  // Sound: CompileOptions is the intersection of every target's options, so it fits each of them.
  const build = TARGETS[target] as (fed: Federation, opts: CompileOptions) => CompileResult;
  return build(fed, opts);
}

export type { Artifact, CompileResult, EnvSlot } from "../compile/artifact.js";
export type { NativeCompileOptions, OpenclawHost, SystemdOptions } from "./host/options.js";
