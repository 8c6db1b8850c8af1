// runtime/snapshot.ts COPY_SCRIPT on a live state: a file that vanishes between listing and copying
// (a gateway's staging folder, seen in the upgrade e2e) is skipped, not a failed copy.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { COPY_SCRIPT } from "../../src/runtime/snapshot.js";

let dir: string;
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("COPY_SCRIPT on a state that changes while it is copied", () => {
  it("skips what vanished and copies the rest", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "cfr-copy-"));
    const src = path.join(dir, "src");
    const dst = path.join(dir, "dst");
    await mkdir(path.join(src, "cache", ".staging-1"), { recursive: true });
    await mkdir(dst);
    await writeFile(path.join(src, "openclaw.sqlite"), "db");
    await writeFile(path.join(src, "cache", ".staging-1", "gone.js.br"), "x");
    // Stands in for the gateway: the staged file disappears the moment the copy looks at it.
    const preload = path.join(dir, "vanish.cjs");
    await writeFile(
      preload,
      `const fs = require("fs"); const lstat = fs.lstatSync;
       fs.lstatSync = (p, ...a) => { if (String(p).endsWith("gone.js.br")) { try { fs.unlinkSync(p); } catch {} } return lstat(p, ...a); };`,
    );
    const { stdout } = await promisify(execFile)(process.execPath, ["-r", preload, "-e", COPY_SCRIPT, src, dst]);
    expect(JSON.parse(stdout.trim())).toEqual({ files: 1, bytes: 2, skipped: 1 });
    expect(await readdir(dst)).toEqual(["cache", "openclaw.sqlite"]);
  });
});
