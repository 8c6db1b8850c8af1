/**
 * The explicit step after a rollout: record the images the updated gateways now run in the user's
 * spec (`gateways.<id>.image`, one line each; comments and layout kept), then regenerate the
 * compose output so it agrees (tokens kept). The only place an operation edits the spec; the CLI
 * prints it as its own line.
 */
import { RuntimeError } from "../errors.js";
import { loadSpecFile } from "../federation/load.js";
import { outFlag, type FederationContext } from "./context.js";
import { generationImage, recordImage, regenerate, writeSpecText } from "./regenerate.js";

export interface RecordResult {
  ok: boolean;
  /** The spec file edited. */
  specFile: string;
  /** Gateways whose image the spec now records. */
  gateways: Array<{ id: string; image: string }>;
  /** Generated files rewritten (docker-compose.yml). */
  written: string[];
  /** Milliseconds the step took. */
  ms: number;
  next?: string;
}

/**
 * Record `updated` in the spec and regenerate. All or nothing for the spec: when a later gateway
 * or the regeneration fails, the spec text from before is written back.
 * @throws RuntimeError naming the spec file when it cannot be edited or the output regenerated
 */
export async function recordImages(ctx: FederationContext, updated: ReadonlyArray<{ id: string; image: string }>): Promise<RecordResult> {
  const t0 = performance.now();
  const specFile = ctx.loaded.file;
  if (updated.length === 0) return { ok: true, specFile, gateways: [], written: [], ms: 0 };
  // The default image of the last generation, read before the spec changes, against the spec as it
  // is on disk now: a rollout records one gateway at a time, so ctx.loaded may predate earlier records.
  const current = await loadSpecFile(specFile).catch(() => ctx.loaded);
  const image = await generationImage({ loaded: current, outDir: ctx.outDir });
  let before: string | undefined;
  try {
    for (const u of updated) {
      const prev = await recordImage(specFile, u.id, u.image);
      before ??= prev;
    }
    const gen = await regenerate(ctx, image);
    return { ok: true, specFile, gateways: [...updated], written: gen.written, ms: Math.round(performance.now() - t0) };
  } catch (err) {
    if (before !== undefined) await writeSpecText(specFile, before).catch(() => undefined);
    throw new RuntimeError(`the gateways run their new images, but ${specFile} could not record them: ${(err as Error).message.split("\n")[0]}`, {
      cause: err,
      next: `add image: <ref> under ${updated.map((u) => `gateways.${u.id}`).join(", ")} in ${specFile}, then: clawfed generate ${specFile}${outFlag(ctx)}`,
    });
  }
}
