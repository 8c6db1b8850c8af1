/**
 * compile(federation, target) → artifacts. Pure: no file system, environment, clock or randomness;
 * tokens are only named here and filled in by the writer (emit/).
 */
import type { Federation } from "../spec/normalize.js";
import type { CompileResult } from "./artifact.js";
import { compileCompose } from "../targets/compose/index.js";

export type TargetName = "compose";

/** Every target clawfed can compile to, by name. */
export const TARGETS: Record<TargetName, (fed: Federation) => CompileResult> = {
  compose: compileCompose,
};

export function isTarget(name: string): name is TargetName {
  return Object.hasOwn(TARGETS, name);
}

/** @throws Error for an unknown target (the CLI checks names before calling). */
export function compile(fed: Federation, target: TargetName = "compose"): CompileResult {
  const build = TARGETS[target];
  if (!build) throw new Error(`unknown target "${target}" (known: ${Object.keys(TARGETS).join(", ")})`);
  return build(fed);
}

export type { Artifact, CompileResult, EnvSlot } from "./artifact.js";
