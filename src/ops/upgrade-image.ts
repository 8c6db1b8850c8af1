/**
 * Step 1 of an upgrade: the image of an OpenClaw version. In order: an image already present
 * locally under one of the candidate tags that holds that version (its version label, or its tag
 * when it has no label); else a pull of the official image (`--pull missing`, the default); else
 * the offline build of the image recipe (src/runtime/image/: Debian + Node 24 + OpenClaw from npm,
 * tagged `openclaw:<version>-local`, the npm install of that version cached by
 * runtime/image/tools.ts). The build is what runs on a host that reaches no container registry.
 */
import { OFFICIAL_IMAGE_REPO } from "../federation/schema.js";
import { RuntimeError } from "../errors.js";
import { formatMs } from "../runtime/clock.js";
import { ensureOpenClawImage } from "../runtime/image/build.js";
import { ensureOpenclawTools } from "../runtime/image/tools.js";
import type { ClawfedDeps } from "./deps.js";
import { imageVersion, localImageTag } from "./upgrade-plan.js";

/** Where the image came from. */
export type ImageSource = "present" | "pulled" | "built";

/** Milliseconds a pull may take before the offline build is tried instead (no registry answers here). */
export const PULL_TIMEOUT_MS = 10 * 60_000;

/**
 * The image for `version`.
 * @param candidates tags to look for, best first (upgrade-plan.ts candidateImages)
 * @throws RuntimeError when the offline build fails too (its message and next step)
 */
export async function resolveUpgradeImage(
  deps: Pick<ClawfedDeps, "engine" | "clock">,
  version: string,
  candidates: readonly string[],
  o: { pull: "missing" | "never"; say: (line: string) => void },
): Promise<{ image: string; source: ImageSource; ms: number }> {
  const t0 = deps.clock.now();
  const ms = () => Math.round(deps.clock.now() - t0);
  for (const ref of candidates) {
    const img = await deps.engine.image(ref);
    if (img && imageVersion(ref, img.labels) === version) {
      o.say(`image: ${ref} is present (OpenClaw ${version})`);
      return { image: ref, source: "present", ms: ms() };
    }
  }
  const official = `${OFFICIAL_IMAGE_REPO}:${version}`;
  if (o.pull === "missing") {
    o.say(`image: pulling ${official}`);
    try {
      await withTimeout(deps.engine.pull(official, (l) => o.say(`  ${l}`)), PULL_TIMEOUT_MS, `the pull of ${official} took over ${formatMs(PULL_TIMEOUT_MS)}`);
      return { image: official, source: "pulled", ms: ms() };
    } catch (err) {
      o.say(`image: cannot pull ${official} (${(err as Error).message.split("\n")[0]}); building it offline instead`);
    }
  }
  const tag = localImageTag(version);
  try {
    const toolsDir = await ensureOpenclawTools(version, (l) => o.say(`image: ${l}`));
    o.say(`image: building ${tag} offline from OpenClaw ${version} on npm (a few minutes the first time)`);
    const r = await ensureOpenClawImage({ version, tag, toolsDir, onProgress: (l) => o.say(`image: ${l}`) });
    o.say(`image: ${tag} ${r.built ? `built in ${r.seconds.toFixed(1)} s` : "present"}`);
    return { image: tag, source: r.built ? "built" : "present", ms: ms() };
  } catch (err) {
    if (err instanceof RuntimeError) {
      throw new RuntimeError(`no image for OpenClaw ${version}: not present, not pullable, and the offline build failed: ${err.message.split("\nNext:")[0]}`, { next: err.next ?? `clawfed image build --version ${version}`, cause: err });
    }
    throw err;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
