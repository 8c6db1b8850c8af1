#!/usr/bin/env node
// Rewrites imports of modules that issue 10 (build side) moved, for branches merged after the move:
// every relative import (static, re-export, dynamic) in src/, test/, bench/ and scripts/ that
// names an old path gets the new one, and `LABELS` imported from the names module is taken from
// vocabulary/labels.ts. Idempotent; prints each file it changes. What it cannot do (signature
// changes) is listed in MANUAL below and printed at the end.
//
// Run from the repository root after a merge: node scripts/fix-moved-imports.mjs
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";

/** Old module (repository path without extension) → new module. */
export const MOVES = {
  "src/compile/names": "src/vocabulary/names",
  "src/compile/env": "src/vocabulary/env-plan",
  "src/compile/index": "src/targets/registry",
  "src/targets/native/layout": "src/vocabulary/host-layout",
  "src/targets/native/gateway": "src/targets/host/shared",
  "src/targets/native/options": "src/targets/host/options",
  "src/targets/native/index": "src/targets/host/pm2",
  "src/targets/systemd/index": "src/targets/host/systemd",
  "src/targets/launchd/index": "src/targets/host/launchd",
};

const MANUAL = [
  "a2aPeers(fed, id) → a2aPeers(g) (vocabulary/env-plan.ts; reads g.outbound/g.inbound)",
  "usesMailbox(fed, id) → usesMailbox(g) (compile/openclaw-config.ts)",
  "gatewayRoutePaths(fed, root, id) → gatewayRoutePaths(fed, root, g) (vocabulary/host-layout.ts)",
  "sizeUpper, sandboxWarnings: from targets/host/shared.ts (no longer from the PM2 target)",
  "a new target: one line in TARGETS of src/targets/registry.ts (TargetName and CompileOptions follow)",
  "compose labels and PREVIOUS_SUFFIX: vocabulary/labels.ts (runtime/status.ts re-exports them)",
];

const IMPORT = /((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']+)(["'])/g;

/** `source` with its stale imports rewritten (file is the repository path of the source). */
export function rewrite(file, source) {
  const dir = path.posix.dirname(file);
  let out = source.replace(IMPORT, (m, a, spec, b) => {
    const ext = path.posix.extname(spec);
    const target = path.posix.normalize(path.posix.join(dir, spec.slice(0, spec.length - ext.length)));
    const dest = MOVES[target];
    if (!dest) return m;
    let rel = path.posix.relative(dir, dest) + ext;
    if (!rel.startsWith(".")) rel = `./${rel}`;
    return a + rel + b;
  });
  // LABELS lives in vocabulary/labels.ts now.
  out = out.replace(/import \{([^}]*\bLABELS\b[^}]*)\} from "([^"]*vocabulary\/names\.js)";/g, (_m, names, spec) => {
    const rest = names.split(",").map((n) => n.trim()).filter((n) => n && n !== "LABELS");
    const labels = `import { LABELS } from "${spec.replace(/names\.js$/, "labels.js")}";`;
    return rest.length ? `import { ${rest.join(", ")} } from "${spec}";\n${labels}` : labels;
  });
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "src", "test", "bench", "scripts"], { encoding: "utf8" })
    .split("\n")
    .filter((f) => /\.(ts|mts|mjs|js)$/.test(f) && existsSync(f) && !f.endsWith("fix-moved-imports.mjs"));
  for (const f of files) {
    const before = readFileSync(f, "utf8");
    const after = rewrite(f, before);
    if (after !== before) {
      writeFileSync(f, after);
      console.log(`rewrote ${f}`);
    }
  }
  console.log(`\nBy hand, where tsc complains:\n${MANUAL.map((m) => `  - ${m}`).join("\n")}`);
}
