#!/usr/bin/env node
// Build (once) the local OpenClaw image offline from the npm release: node scripts/ensure-image.mjs
//   [--version 2026.9.6] [--tag openclaw:2026.9.6-local] [--force]
// --force rebuilds even when the tag exists (no layer cache; the Debian base image is reused).
// Needs `npm run build` first (it imports dist/runtime/image/index.js) and a Docker Engine
// (scripts/provision-docker.sh). Progress goes to stderr; the last stdout line is the tag.
// Exit 0 when the image exists (built or already there), 1 with the error message otherwise.
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";

const here = new URL("../dist/runtime/image/index.js", import.meta.url);
if (!existsSync(here)) {
  console.error("ensure-image: dist/runtime/image/index.js is missing; run `npm run build` first");
  process.exit(1);
}
const { ensureOpenClawImage } = await import(here.href);
const { DEFAULT_OPENCLAW_VERSION } = await import(new URL("../dist/federation/schema.js", import.meta.url).href).catch(() => ({ DEFAULT_OPENCLAW_VERSION: "2026.9.6" }));

let values;
try {
  ({ values } = parseArgs({ options: { version: { type: "string" }, tag: { type: "string" }, force: { type: "boolean" } }, strict: true }));
} catch (err) {
  console.error(`ensure-image: ${err.message}\nusage: node scripts/ensure-image.mjs [--version X.Y.Z] [--tag name:tag] [--force]`);
  process.exit(1);
}
const version = values.version ?? DEFAULT_OPENCLAW_VERSION;
const t0 = Date.now();
const stamp = () => `+${((Date.now() - t0) / 1000).toFixed(1)}s`;

try {
  const res = await ensureOpenClawImage({ version, tag: values.tag, force: values.force, onProgress: (line) => process.stderr.write(`[image ${stamp()}] ${line}\n`) });
  process.stderr.write(`ensure-image: ${res.tag} ${res.built ? `built in ${res.seconds.toFixed(1)} s` : `already present (${res.seconds.toFixed(1)} s)`}\n`);
  process.stdout.write(`${res.tag}\n`);
} catch (err) {
  console.error(`ensure-image: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
