/**
 * Where a gateway container finds Node's module compile cache (`NODE_COMPILE_CACHE`, Node docs
 * "Module compile cache"; OpenClaw enables the cache itself only when started through
 * `openclaw.mjs`, and the compose service starts `dist/index.js`, so without this variable a
 * container compiles every OpenClaw module on every start).
 *
 * Two homes, one rule: nothing writable is shared between gateways (a cache entry is code that
 * Node runs, so a cache two gateways can write would let one inject code into the other).
 * - clawfed's local image (`openclaw:<version>-local`, src/runtime/image/recipe.ts) ships a cache made at
 *   build time for its exact OpenClaw and Node, root-owned and read-only, at
 *   {@link IMAGE_COMPILE_CACHE_DIR}; every gateway reads it, none can write it. Node accepts a
 *   read-only cache: it reads the entries and skips persisting (checked by
 *   test/e2e/cold-start.test.ts).
 * - any other image (the official one, a user's) gets a cache inside the gateway's own state
 *   volume, {@link STATE_COMPILE_CACHE_DIR}: cold on the very first start, warm after every
 *   restart, recreation and rollout, and gone with `down --volumes` like the rest of the state.
 *
 * Node keys the entries by its own version, arch, V8 flags hash and uid (a subfolder such as
 * `v24.21.0-x64-964aae3f-1000`) and checks each entry against the source's hash, so a cache kept
 * across an image change is never wrong, only partly cold.
 */
import { CONTAINER_STATE_DIR } from "./names.js";

/** The read-only compile cache inside clawfed's local image (also its `NODE_COMPILE_CACHE`). */
export const IMAGE_COMPILE_CACHE_DIR = "/opt/openclaw/compile-cache";
/** Name of the per-gateway compile cache folder at the top of a gateway's state. */
export const STATE_COMPILE_CACHE_NAME = "compile-cache";
/** The per-gateway compile cache inside a container (in the gateway's own state volume). */
/**
 * Whether `rel` (a path relative to the state root, `/`-separated) is the gateway's compile cache
 * or inside it. Backups leave it out and restores never write it: its entries are code Node runs,
 * so a cache taken from an archive could run something the image never shipped.
 */
export function inStateCompileCache(rel: string): boolean {
  return rel === STATE_COMPILE_CACHE_NAME || rel.startsWith(`${STATE_COMPILE_CACHE_NAME}/`);
}
export const STATE_COMPILE_CACHE_DIR = `${CONTAINER_STATE_DIR}/${STATE_COMPILE_CACHE_NAME}`;

// clawfed's local image: repository `openclaw` without a registry, tag `<version>-local`
// (defaultImageTag in src/runtime/image/recipe.ts).
const LOCAL_IMAGE_RE = /^openclaw:\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)*-local$/;

/** True for a reference to clawfed's local image, which ships a read-only compile cache. */
export function imageShipsCompileCache(image: string): boolean {
  return LOCAL_IMAGE_RE.test(image);
}

/** The `NODE_COMPILE_CACHE` a gateway container running `image` should get. */
export function containerCompileCacheDir(image: string): string {
  return imageShipsCompileCache(image) ? IMAGE_COMPILE_CACHE_DIR : STATE_COMPILE_CACHE_DIR;
}
