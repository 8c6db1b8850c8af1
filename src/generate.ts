/**
 * `generate`: load a spec, compile it for a target, write the result. The library call behind
 * `clawfed generate`; nothing is written unless the spec is valid.
 */
import path from "node:path";
import { compile, type TargetName } from "./compile/index.js";
import type { CompileResult } from "./compile/artifact.js";
import { writeArtifacts, type WriteResult } from "./emit/write.js";
import { SpecError } from "./errors.js";
import { loadSpecFile, type LoadedSpec } from "./spec/load.js";
import type { Federation } from "./spec/normalize.js";

export interface GenerateOptions {
  /** Path of the federation spec (YAML). */
  spec: string;
  /** Output directory; default `out/<federation name>` under the current directory. */
  outDir?: string;
  target?: TargetName;
  /** Gateways whose tokens are replaced, or "all". */
  rotate?: string[] | "all";
  /** Image for every gateway that does not name its own. */
  image?: string;
  dryRun?: boolean;
}

export interface GenerateResult extends WriteResult {
  federation: string;
  target: string;
  specFile: string;
  /** Warnings from the compile (e.g. a gateway that gets the Docker socket) and the writer. */
  warnings: string[];
}

/** Replace the default image (gateways with their own `image` keep it). */
export function withImage(fed: Federation, image: string | undefined): Federation {
  if (!image) return fed;
  return { ...fed, image, gateways: fed.gateways.map((g) => (g.image === fed.image ? { ...g, image } : g)) };
}

/** Default output directory of a federation. */
export function defaultOutDir(name: string): string {
  return path.join("out", name);
}

/**
 * Load, compile and write.
 * @throws SpecError for an invalid spec or an unknown gateway in `rotate` (nothing written).
 */
export async function generate(opts: GenerateOptions): Promise<GenerateResult> {
  const target = opts.target ?? "compose";
  const loaded: LoadedSpec = await loadSpecFile(opts.spec, { target });
  const fed = withImage(loaded.federation, opts.image);
  if (Array.isArray(opts.rotate)) {
    const ids = new Set(fed.gateways.map((g) => g.id));
    const unknown = opts.rotate.filter((r) => !ids.has(r));
    if (unknown.length > 0) {
      throw new SpecError(
        unknown.map((u) => ({ file: loaded.file, line: 0, col: 0, path: "gateways", message: `--rotate names "${u}", which is not a gateway of ${fed.name}`, hint: `use one of: ${[...ids].join(", ")}, or all` })),
      );
    }
  }
  const result: CompileResult = compile(fed, target);
  const outDir = opts.outDir ?? defaultOutDir(fed.name);
  const written = await writeArtifacts(result, { outDir, specFile: loaded.file, rotate: opts.rotate, dryRun: opts.dryRun });
  return { ...written, federation: fed.name, target, specFile: loaded.file, warnings: [...result.warnings, ...written.warnings] };
}
