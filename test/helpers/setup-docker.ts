// Global setup for e2e: a real Docker Engine with compose, and the local OpenClaw image built
// offline from the npm release. Fails the suite (never skips) when either cannot be had.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ensureOpenClawImage } from "../../src/runtime/image/index.js";
import { DEFAULT_OPENCLAW_VERSION } from "../../src/federation/schema.js";

/** The image e2e suites run; CLAWFED_TEST_IMAGE picks another tag (e.g. to leave the shared default alone while the recipe changes). */
export const TEST_IMAGE = process.env.CLAWFED_TEST_IMAGE ?? `openclaw:${DEFAULT_OPENCLAW_VERSION}-local`;

export default async function setup(): Promise<void> {
  const script = fileURLToPath(new URL("../../scripts/provision-docker.sh", import.meta.url));
  try {
    execFileSync("bash", [script], { stdio: ["ignore", "inherit", "inherit"], timeout: 900_000 });
  } catch (err) {
    throw new Error(`No Docker Engine could be had (${(err as Error).message}). Run scripts/provision-docker.sh as root on Debian, or install Docker Engine and compose.`);
  }
  const res = await ensureOpenClawImage({ version: DEFAULT_OPENCLAW_VERSION, tag: TEST_IMAGE, onProgress: (l) => process.stderr.write(`[image] ${l}\n`) });
  process.stderr.write(`[image] ${res.tag} ${res.built ? `built in ${res.seconds.toFixed(1)} s` : "already present"}\n`);
}
