/**
 * Building the local OpenClaw image (the recipe is ./recipe.ts): check Docker, skip when the tag
 * already carries this version and recipe, else make the base image, assemble the build context
 * and run `docker build`. `clawfed image build` is the user command over {@link ensureOpenClawImage}.
 */
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { RuntimeError } from "../../errors.js";
import { CLAWFED_ROOT, DEFAULT_TOOLS_DIR, openclawDist, type OpenclawDist } from "../openclaw-dist.js";
import { debianMirrorFromApt } from "./apt-mirror.js";
import { ensureBaseImage } from "./base.js";
import { assembleApp } from "./context.js";
import { imageLabels, PROVISION, requireDocker, streamLines } from "./docker-cli.js";
import { WARMUP_SCRIPT, WARMUP_SCRIPT_NAME } from "./compile-cache.js";
import { defaultImageTag, dockerfile, RECIPE, RECIPE_LABEL, TAG_RE, VERSION_LABEL, VERSION_RE } from "./recipe.js";

export interface EnsureImageOptions {
  /** OpenClaw version, e.g. "2026.9.6". Must be the version installed in tools/openclaw. */
  version: string;
  /** Image tag; default `openclaw:<version>-local`. */
  tag?: string;
  /** Receives progress lines (debootstrap, docker build), without trailing newline. */
  onProgress?: (line: string) => void;
  /** Directory of the npm project holding OpenClaw and Node 24; default tools/openclaw. */
  toolsDir?: string;
  /**
   * Debian mirror for debootstrap; default `$CLAWFED_DEBIAN_MIRROR`, else the first Debian
   * mirror in /etc/apt/sources.list{,.d/*}, else http://deb.debian.org/debian.
   */
  debianMirror?: string;
  /**
   * Rebuild even when the tag is present, without the builder's layer cache (`--no-cache`). The
   * cached Debian base image is still reused. Running containers keep the image they started with.
   */
  force?: boolean;
}

export interface EnsureImageResult {
  /** The image tag, e.g. "openclaw:2026.9.6-local". */
  tag: string;
  /** False when an image with this tag, version label and recipe already existed. */
  built: boolean;
  /** Wall-clock seconds this call took (including the base image when it was built). */
  seconds: number;
}

const inFlight = new Map<string, Promise<EnsureImageResult>>();

/**
 * Make sure the local OpenClaw image exists, building it when missing. A second call finds the
 * tag with the right {@link VERSION_LABEL} and {@link RECIPE_LABEL} and returns `built: false`
 * within about a second. Concurrent calls for one tag in this process share one build.
 *
 * Costs when building (2 cores): base image ~1 min the first time (cached as {@link BASE_IMAGE}),
 * then ~1 min for the image itself plus 30-60 s for the compile-cache warm-up (one gateway start);
 * about 1 GB of disk.
 *
 * @throws RuntimeError when no Docker Engine answers (next: scripts/provision-docker.sh), when the
 *   version is not the one installed in tools/openclaw, when the base image must be made but
 *   root/debootstrap/the mirror are missing, or when `docker build` fails (message ends with
 *   the build's last lines).
 */
export function ensureOpenClawImage(opts: EnsureImageOptions): Promise<EnsureImageResult> {
  const tag = opts.tag ?? defaultImageTag(opts.version);
  const key = `${tag}\0${opts.version}`;
  let p = inFlight.get(key);
  if (!p) {
    p = build(opts, tag).finally(() => inFlight.delete(key));
    inFlight.set(key, p);
  }
  return p;
}

async function build(opts: EnsureImageOptions, tag: string): Promise<EnsureImageResult> {
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  const progress = opts.onProgress ?? (() => undefined);
  if (!VERSION_RE.test(opts.version)) throw new RuntimeError(`not an OpenClaw version: ${JSON.stringify(opts.version)} (expected e.g. 2026.9.6)`);
  if (!TAG_RE.test(tag)) throw new RuntimeError(`not a valid image tag: ${JSON.stringify(tag)} (expected e.g. openclaw:${opts.version}-local)`);

  await requireDocker();
  const labels = await imageLabels(tag);
  if (!opts.force && labels && labels[VERSION_LABEL] === opts.version && labels[RECIPE_LABEL] === RECIPE) {
    progress(`${tag} present (OpenClaw ${opts.version}); not rebuilt`);
    return { tag, built: false, seconds: seconds() };
  }
  if (labels && !opts.force) progress(`${tag} exists with ${VERSION_LABEL}=${labels[VERSION_LABEL] ?? "(none)"} ${RECIPE_LABEL}=${labels[RECIPE_LABEL] ?? "(none)"}; rebuilding`);

  const dist = await openclawInstall(opts.toolsDir, progress);
  if (dist.version !== opts.version) {
    throw new RuntimeError(`tools/openclaw holds OpenClaw ${dist.version}, not ${opts.version}; the offline image is built from that install`, {
      next: `pin openclaw@${opts.version} in tools/openclaw/package.json (npm install --package-lock-only there), then run scripts/ensure-openclaw.sh`,
    });
  }

  const mirror = opts.debianMirror ?? process.env.CLAWFED_DEBIAN_MIRROR ?? debianMirrorFromApt() ?? "http://deb.debian.org/debian";
  await ensureBaseImage(progress, mirror);

  const ctx = await mkdtemp(path.join(tmpdir(), "clawfed-image-"));
  try {
    progress(`assembling the build context from ${dist.root}/node_modules`);
    await copyFile(dist.nodeBin, path.join(ctx, "node"));
    await chmod(path.join(ctx, "node"), 0o755);
    await assembleApp(dist, path.join(ctx, "app"));
    await writeFile(path.join(ctx, "openclaw"), '#!/bin/sh\nexec node /app/openclaw.mjs "$@"\n', { mode: 0o755 });
    await writeFile(path.join(ctx, WARMUP_SCRIPT_NAME), WARMUP_SCRIPT);
    await writeFile(path.join(ctx, "Dockerfile"), dockerfile(opts.version, dist.nodeVersion));
    progress(`docker build -t ${tag} (OpenClaw ${opts.version}, Node ${dist.nodeVersion})`);
    // The classic builder works with every engine (Debian's 20.10 included) and needs no buildx.
    const res = await streamLines("docker", ["build", "--rm", "--force-rm", ...(opts.force ? ["--no-cache"] : []), "-t", tag, ctx], {
      onLine: (l) => progress(l),
      env: { DOCKER_BUILDKIT: "0" },
    });
    if (res.code !== 0) {
      throw new RuntimeError(`docker build of ${tag} failed (exit ${res.code}):\n${res.tail.slice(-15).join("\n")}`, { next: PROVISION });
    }
  } finally {
    await rm(ctx, { recursive: true, force: true }).catch(() => undefined);
  }
  const after = await imageLabels(tag);
  if (after?.[VERSION_LABEL] !== opts.version) throw new RuntimeError(`docker build reported success but ${tag} does not carry ${VERSION_LABEL}=${opts.version}`);
  progress(`${tag} built in ${seconds().toFixed(1)} s`);
  return { tag, built: true, seconds: seconds() };
}

/** The OpenClaw npm install; runs scripts/ensure-openclaw.sh once when the default one is missing. */
async function openclawInstall(toolsDir: string | undefined, progress: (l: string) => void): Promise<OpenclawDist> {
  try {
    return openclawDist(toolsDir);
  } catch (err) {
    const script = path.join(CLAWFED_ROOT, "scripts", "ensure-openclaw.sh");
    if ((toolsDir && path.resolve(toolsDir) !== DEFAULT_TOOLS_DIR) || !existsSync(script)) throw err;
    progress("OpenClaw is not installed in tools/openclaw: running scripts/ensure-openclaw.sh");
    const res = await streamLines("bash", [script], { onLine: (l) => progress(l) });
    if (res.code !== 0) throw new RuntimeError(`scripts/ensure-openclaw.sh failed:\n${res.tail.slice(-10).join("\n")}`, { cause: err });
    return openclawDist(toolsDir);
  }
}
