/**
 * Step 4 of an upgrade: the spec records the new version, then the compose output is regenerated
 * (tokens kept). Edited with yaml's Document API, so comments, key order and layout elsewhere stay
 * as the user wrote them; written atomically with the file's mode kept; all or nothing (the spec
 * text from before is written back when the regeneration fails).
 *
 * Every gateway moved (`plan.record === "federation"`): `openclaw.version: <to>`; `openclaw.image`
 * set to the image when the spec names one or the image is not the official one of the version
 * (e.g. the offline build `openclaw:<to>-local`); a gateway's own `image:` is set to the image.
 * A subset (`--only`, or a rollout that stopped): `gateways.<id>.image` for each gateway that moved
 * (as `clawfed rollout` records), the federation's version unchanged.
 */
import { readFile } from "node:fs/promises";
import { isMap, isScalar, parseDocument, stringify as stringifyYaml } from "yaml";
import { OFFICIAL_IMAGE_REPO } from "../federation/schema.js";
import { RuntimeError } from "../errors.js";
import { outFlag, type FederationContext } from "./context.js";
import { generationImage, regenerate, withGatewayImage, writeSpecText } from "./regenerate.js";
import type { UpgradePlan } from "./upgrade-plan.js";

export interface UpgradeRecord {
  specFile: string;
  /** What the spec now says, e.g. `openclaw.version = 2026.9.6`. */
  changes: string[];
  /** Generated files rewritten. */
  written: string[];
  ms: number;
}

/**
 * The spec text with the upgrade recorded (pure).
 * @param moved gateways now on `image`; `all`: every gateway of the federation moved
 * @throws RuntimeError when the spec has no such gateway
 */
export function withUpgrade(text: string, to: string, image: string, moved: readonly string[], all: boolean, specFile = "the spec"): { text: string; changes: string[] } {
  const changes: string[] = [];
  let out = text;
  const doc = parseDocument(text);
  if (all) {
    const hadImage = doc.getIn(["openclaw", "image"]) !== undefined;
    const setImage = hadImage || image !== `${OFFICIAL_IMAGE_REPO}:${to}`;
    const oc = doc.get("openclaw", true);
    if (oc !== undefined && !isMap(oc)) throw new RuntimeError(`${specFile}: openclaw is not a map`);
    out = withScalar(out, ["openclaw", "version"], to);
    changes.push(`openclaw.version = ${to}`);
    if (setImage) {
      out = withScalar(out, ["openclaw", "image"], image);
      changes.push(`openclaw.image = ${image}`);
    }
    // A gateway's own image would win over openclaw.image: it moves too.
    for (const id of moved) {
      if (parseDocument(out).getIn(["gateways", id, "image"]) === undefined) continue;
      out = withGatewayImage(out, id, image, specFile);
      changes.push(`gateways.${id}.image = ${image}`);
    }
    return { text: out, changes };
  }
  for (const id of moved) {
    out = withGatewayImage(out, id, image, specFile);
    changes.push(`gateways.${id}.image = ${image}`);
  }
  return { text: out, changes };
}

/**
 * Text with the scalar at `keys` set to `value`: the value's own bytes replaced when it exists (every
 * other byte kept), else set through the yaml Document (comments kept, layout re-serialized).
 */
function withScalar(text: string, keys: string[], value: string): string {
  const doc = parseDocument(text);
  const node = doc.getIn(keys, true);
  if (isScalar(node) && node.range) {
    const out = text.slice(0, node.range[0]) + stringifyYaml(value).trimEnd() + text.slice(node.range[1]);
    if (parseDocument(out).getIn(keys) === value) return out;
  }
  doc.setIn(keys, value);
  return doc.toString({ lineWidth: 0 });
}

/**
 * Record the upgrade in the spec and regenerate the compose output.
 * @param moved gateways now running `image`
 * @param complete the rollout finished (else only `moved` are recorded, per gateway)
 * @throws RuntimeError naming the spec file when it cannot be edited or the output regenerated
 */
export async function recordUpgrade(ctx: FederationContext, plan: UpgradePlan, image: string, moved: readonly string[], complete = true): Promise<UpgradeRecord> {
  const t0 = performance.now();
  const specFile = ctx.loaded.file;
  const all = complete && plan.record === "federation";
  if (!all && moved.length === 0) return { specFile, changes: [], written: [], ms: 0 };
  // The default image of the last generation, for a spec that names none (read before the edit).
  const genImage = all ? undefined : await generationImage(ctx);
  const before = await readFile(specFile, "utf8");
  const next = withUpgrade(before, plan.to, image, moved, all, specFile);
  try {
    if (next.text !== before) await writeSpecText(specFile, next.text);
    const gen = await regenerate(ctx, genImage);
    return { specFile, changes: next.changes, written: gen.written, ms: Math.round(performance.now() - t0) };
  } catch (err) {
    await writeSpecText(specFile, before).catch(() => undefined);
    throw new RuntimeError(`the gateways run ${image}, but ${specFile} could not record it: ${(err as Error).message.split("\n")[0]}`, {
      cause: err,
      next: `set ${all ? `openclaw.version: ${plan.to} and openclaw.image: ${image}` : moved.map((id) => `gateways.${id}.image: ${image}`).join(", ")} in ${specFile}, then: clawfed generate ${specFile}${outFlag(ctx)}`,
    });
  }
}
