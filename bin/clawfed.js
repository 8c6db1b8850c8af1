#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ (built by `npm install` through the prepare script).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write("clawfed: dist/ is missing; run `npm install` (or `npm run build`) in the clawfed checkout first.\n");
  process.exit(70);
}
await import(main.href);
