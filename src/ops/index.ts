/**
 * The operations layer: `createClawfed(deps)` and the shapes of its operations (ops/types.ts).
 * The CLI and the public API (src/index.ts) import from here.
 */
export { createClawfed } from "./clawfed.js";
export * from "./types.js";
