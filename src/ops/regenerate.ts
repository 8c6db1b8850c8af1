/**
 * Keeping the generated files in step with what runs: which default image the last generation
 * used, regenerating with it, and recording a gateway's new image in the spec (comments and key
 * order survive) — the explicit step a CLI runs after a successful rollout.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { isMap, isNode, isScalar, parse as parseYaml, parseDocument, stringify as stringifyYaml } from "yaml";
import { serviceName } from "../vocabulary/names.js";
import { replaceFile } from "../emit/safe-fs.js";
import { RuntimeError } from "../errors.js";
import { imageRefProblem } from "../federation/schema.js";
import type { FederationContext } from "./context.js";
import { generate, type GenerateOptions, type GenerateResult } from "./generate.js";

export const COMPOSE_FILE = "docker-compose.yml";

async function readComposeServices(outDir: string): Promise<Record<string, { image?: string }> | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(outDir, COMPOSE_FILE), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new RuntimeError(`cannot read ${path.join(outDir, COMPOSE_FILE)}`, { cause: err });
  }
  const doc = parseYaml(text) as { services?: Record<string, { image?: string }> } | null;
  return doc?.services ?? {};
}

/**
 * The default image the existing `docker-compose.yml` was generated with (e.g. by
 * `generate --image openclaw:2026.9.6-local`), when the spec itself does not name one: so that
 * regenerating does not silently move gateways back to the official image. Undefined when the spec
 * sets `openclaw.image`, nothing was generated yet, or the gateways without an own image disagree.
 */
export async function generationImage(ctx: Pick<FederationContext, "loaded" | "outDir">): Promise<string | undefined> {
  if (ctx.loaded.spec.openclaw.image) return undefined;
  const services = await readComposeServices(ctx.outDir);
  if (!services) return undefined;
  const images = new Set<string>();
  for (const [id, g] of Object.entries(ctx.loaded.spec.gateways)) {
    if (g.image) continue;
    const img = services[serviceName(id)]?.image;
    if (img) images.add(img);
  }
  // Only a real image reference is carried over (a hand-edited compose file may hold anything).
  const image = images.size === 1 ? [...images][0]! : undefined;
  return image !== undefined && imageRefProblem(image) === undefined ? image : undefined;
}

/**
 * Regenerate the compose output in place (tokens kept), with `image` as the default image; `force`
 * lets it write into a non-empty folder clawfed did not create (see writeArtifacts); `avoidSubnets`
 * are blocks in use elsewhere on the host, which new networks avoid.
 */
export function regenerate(ctx: Pick<FederationContext, "loaded" | "outDir">, image: string | undefined, opts: { force?: boolean; avoidSubnets?: string[]; forget?: readonly string[]; check?: GenerateOptions["check"] } = {}): Promise<GenerateResult> {
  return generate({ spec: ctx.loaded.file, outDir: ctx.outDir, target: "compose", image, force: opts.force, forget: opts.forget, check: opts.check, ...(opts.avoidSubnets ? { avoidSubnets: opts.avoidSubnets } : {}) });
}

/** The image a gateway's service has in the generated compose file. */
export async function composeImage(ctx: Pick<FederationContext, "outDir">, id: string): Promise<string | undefined> {
  return (await readComposeServices(ctx.outDir))?.[serviceName(id)]?.image;
}

/**
 * Set `gateways.<id>.image` in the spec file, keeping comments, order and formatting elsewhere;
 * written through a temporary file and a rename, with the file's mode kept.
 * @returns the spec text before the change (for `writeSpecText` to undo it)
 */
export async function recordImage(specFile: string, id: string, image: string): Promise<string> {
  const before = await readFile(specFile, "utf8");
  await writeSpecText(specFile, withGatewayImage(before, id, image, specFile));
  return before;
}

/**
 * Spec text with `gateways.<id>.image` set. The change is made in the text itself (replace the
 * value, or insert one line at the map's indentation), so every other byte stays as the user wrote
 * it; when the layout is too unusual for that, the yaml Document is re-serialized instead.
 * @throws RuntimeError when the spec has no such gateway
 */
export function withGatewayImage(text: string, id: string, image: string, specFile = "the spec"): string {
  const doc = parseDocument(text);
  const gw = doc.getIn(["gateways", id], true);
  if (!isMap(gw)) throw new RuntimeError(`${specFile} has no gateways.${id}`);
  const value = stringifyYaml(image).trimEnd();
  let out: string | undefined;
  const pair = gw.items.find((p) => isScalar(p.key) && p.key.value === "image");
  if (pair) {
    if (isScalar(pair.value) && pair.value.range) out = text.slice(0, pair.value.range[0]) + value + text.slice(pair.value.range[1]);
  } else if (gw.flow && gw.range) {
    const close = text.lastIndexOf("}", gw.range[1]);
    if (close > gw.range[0]) out = `${text.slice(0, close).trimEnd()}, image: ${value}${text.slice(close).startsWith("}") ? " " : ""}${text.slice(close)}`;
  } else {
    const first = gw.items[0];
    const last = gw.items[gw.items.length - 1];
    const keyStart = first && isScalar(first.key) ? first.key.range?.[0] : undefined;
    const end = last && ((isNode(last.value) && last.value.range?.[1]) || (isScalar(last.key) && last.key.range?.[1]));
    if (keyStart !== undefined && end) {
      const indent = keyStart - (text.lastIndexOf("\n", keyStart - 1) + 1);
      const nl = text[end - 1] === "\n" ? end : text.indexOf("\n", end) + 1;
      out = nl > 0 ? `${text.slice(0, nl)}${" ".repeat(indent)}image: ${value}\n${text.slice(nl)}` : `${text}\n${" ".repeat(indent)}image: ${value}\n`;
    }
  }
  if (out !== undefined) {
    const check = parseDocument(out);
    if (!check.errors.length && check.getIn(["gateways", id, "image"]) === image) return out;
  }
  doc.setIn(["gateways", id, "image"], image);
  return doc.toString({ flowCollectionPadding: false, lineWidth: 0 });
}

/**
 * Replace the spec file's text atomically, keeping its mode: through a temporary file with an
 * unpredictable name created O_EXCL|O_NOFOLLOW next to it (replaceFile), never a predictable one.
 * @throws RuntimeError naming the spec file when it cannot be written
 */
export async function writeSpecText(specFile: string, text: string): Promise<void> {
  const mode = (await stat(specFile)).mode & 0o7777;
  await replaceFile(specFile, text, mode);
}
