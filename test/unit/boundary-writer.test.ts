// Issue 9 class 4: the writer does not trust the output folder. Gateways (uid 1000) can write below
// it (workspaces/<id>, comms/<route>, state/<id>) and clawfed often runs as root, so any link, file,
// folder or manifest found there may be hostile. Property: for any planted tree and any manifest,
// writeArtifacts succeeds or refuses cleanly (RuntimeError/UsageError), a sentinel folder outside is
// byte-identical afterwards (contents, modes, owners; nothing new, nothing deleted), and a refused
// run leaves the output folder byte-identical. Plus named fixtures through the CLI for exit codes.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { chmod, lstat, mkdir, readdir, readFile, readlink, rm, symlink, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { CompileResult } from "../../src/compile/artifact.js";
import { compile } from "../../src/targets/registry.js";
import { MANIFEST, writeArtifacts, type WriteOptions } from "../../src/emit/write.js";
import { isSafeRelPath } from "../../src/emit/safe-fs.js";
import { RuntimeError, UsageError } from "../../src/errors.js";
import { generate } from "../../src/ops/generate.js";
import { loadSpecFile } from "../../src/federation/load.js";
import { ROOT, runCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";

const KORAX = "federations/korax.yaml";
const LAB = "federations/lab.yaml";

/** Every entry below `root` by lstat: type, mode, owner, bytes (files), target (links). Links are never followed. */
async function snap(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(rel: string): Promise<void> {
    const p = rel ? path.join(root, rel) : root;
    const st = await lstat(p);
    const meta = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    const key = rel || ".";
    if (st.isSymbolicLink()) out[key] = `link ${await readlink(p)}`;
    else if (st.isDirectory()) {
      out[key] = `dir ${meta}`;
      for (const n of (await readdir(p)).sort()) await walk(rel ? `${rel}/${n}` : n);
    } else if (st.isFile()) out[key] = `file ${meta} ${st.mtimeMs} ${(await readFile(p)).toString("base64")}`;
    else out[key] = `other ${meta}`;
  }
  if (existsSync(root) || (await lstat(root).then(() => true, () => false))) await walk("");
  return out;
}

/** A folder outside the output folder that planted links point into. */
async function makeSentinel(dir: string): Promise<string> {
  const s = path.join(dir, "sentinel");
  await mkdir(path.join(s, "sub"), { recursive: true });
  await writeFile(path.join(s, "secret.txt"), "root's secret\n", { mode: 0o640 });
  await writeFile(path.join(s, "x"), "x outside\n", { mode: 0o600 });
  await writeFile(path.join(s, "sub", "inner.txt"), "inner\n", { mode: 0o644 });
  await writeFile(path.join(s, "sub", "AGENTS.md"), "not clawfed's\n", { mode: 0o644 });
  await chmod(path.join(s, "sub"), 0o750);
  return s;
}

const opts = (outDir: string, extra: Partial<WriteOptions> = {}): WriteOptions => {
  let n = 0;
  return { outDir, specFile: KORAX, newToken: () => `token-${++n}`, hostFacts: { dockerGid: "999" }, ...extra };
};

/** A compile whose absolute folders (lab's comms.path /srv/lab/comms) are moved below `absRoot`. */
function relocate(res: CompileResult, absRoot: string): CompileResult {
  return { ...res, artifacts: res.artifacts.map((a) => (a.kind === "dir" && a.absolute ? { ...a, path: path.join(absRoot, path.basename(a.path)) } : a)) };
}

const compiled = new Map<string, CompileResult>();
beforeAll(async () => {
  for (const f of [KORAX, LAB]) compiled.set(f, compile((await loadSpecFile(f)).federation, "compose"));
});

const isClean = (err: unknown) => err instanceof RuntimeError || err instanceof UsageError;

describe("writeArtifacts against hostile output folders (property)", () => {
  type Plant = { at: number; kind: "linkDir" | "linkFile" | "dangling" | "file" | "dir"; absolute: boolean };
  const plantArb = fc.record({
    at: fc.nat(),
    kind: fc.constantFrom<Plant["kind"]>("linkDir", "linkFile", "dangling", "file", "dir"),
    absolute: fc.boolean(),
  });
  const entryArb = (candidates: string[]) =>
    fc.oneof(
      fc.constantFrom(...candidates),
      fc.string(),
      fc.constantFrom("../sentinel/x", "../../x", "./docker-compose.yml", "a/../../sentinel/x", "", "a\u0000b", "/etc/x", "workspaces//x", "old/orphan.md"),
    );

  for (const spec of [KORAX, LAB]) {
    it(`${spec}: succeeds or refuses cleanly; nothing outside changes; a refusal changes nothing inside`, async () => {
      const res0 = compiled.get(spec)!;
      const rel = new Set<string>();
      for (const a of res0.artifacts) {
        if (a.kind === "dir" && a.absolute) continue;
        const parts = a.path.split("/");
        for (let i = 1; i <= parts.length; i++) rel.add(parts.slice(0, i).join("/"));
        if (a.kind === "file") rel.add(`${a.path}.clawfed-tmp-${process.pid}`);
      }
      for (const p of [".env", ".clawfed", ".env.clawfed-tmp-" + process.pid, "old", "old/orphan.md"]) rel.add(p);
      const outPaths = [...rel].sort();
      const absRoutes = res0.artifacts.filter((a) => a.kind === "dir" && a.absolute).map((a) => path.basename(a.path));
      // Where plants go: ["out", rel] or ["abs", route] (lab's comms.path lies outside the output folder).
      const spots: Array<["out" | "abs", string]> = [...outPaths.map((p): ["out", string] => ["out", p]), ...absRoutes.map((r): ["abs", string] => ["abs", r])];
      const manifestCandidates = [...outPaths, ...outPaths.filter((p) => !p.includes(".")).map((p) => `${p}/inner.txt`)];

      await fc.assert(
        fc.asyncProperty(
          fc.record({
            generatedFirst: fc.boolean(),
            plants: fc.array(plantArb, { maxLength: 6 }),
            manifest: fc.option(fc.oneof(fc.string(), fc.array(entryArb(manifestCandidates), { maxLength: 8 }).map((files) => JSON.stringify({ generator: "clawfed", files }))), { nil: undefined }),
            absManifest: fc.boolean(),
            force: fc.boolean(),
            dryRun: fc.boolean(),
            viaLink: fc.boolean(),
          }),
          async (c) => {
            const base = await tempDir("bw");
            const sentinel = await makeSentinel(base);
            const out = path.join(base, "out");
            const abs = path.join(base, "commsabs");
            const res = relocate(res0, abs);
            if (c.generatedFirst) await writeArtifacts(res, opts(out));
            else await mkdir(out);
            for (const pl of c.plants) {
              const [where, p] = spots[pl.at % spots.length]!;
              const target = path.join(where === "out" ? out : abs, p);
              // Parents: only real folders (a plant never goes through another plant).
              let ok = true;
              let cur = base;
              for (const part of path.relative(base, path.dirname(target)).split(path.sep)) {
                cur = path.join(cur, part);
                const st = await lstat(cur).catch(() => undefined);
                if (!st) await mkdir(cur);
                else if (st.isSymbolicLink() || !st.isDirectory()) {
                  ok = false;
                  break;
                }
              }
              if (!ok || (await lstat(target).then(() => true, () => false))) continue;
              const to = (p2: string) => (pl.absolute ? p2 : path.relative(path.dirname(target), p2));
              if (pl.kind === "linkDir") await symlink(to(path.join(sentinel, "sub")), target);
              else if (pl.kind === "linkFile") await symlink(to(path.join(sentinel, "secret.txt")), target);
              else if (pl.kind === "dangling") await symlink(to(path.join(sentinel, `missing-${pl.at}`)), target);
              else if (pl.kind === "file") await writeFile(target, "planted\n");
              else await mkdir(target);
            }
            if (c.manifest !== undefined) {
              const text = c.absManifest ? c.manifest.replace("../sentinel/x", path.join(sentinel, "x")) : c.manifest;
              const dot = await lstat(path.join(out, ".clawfed")).catch(() => undefined);
              if (!dot) await mkdir(path.join(out, ".clawfed"));
              const m = await lstat(path.join(out, MANIFEST)).catch(() => undefined);
              if ((!dot || (dot.isDirectory() && !dot.isSymbolicLink())) && (!m || m.isFile())) await writeFile(path.join(out, MANIFEST), text);
            }
            const sentinelBefore = await snap(sentinel);
            const outBefore = await snap(out);
            const absBefore = await snap(abs);
            const outDir = c.viaLink ? path.join(base, "out-link") : out;
            if (c.viaLink) await symlink(out, outDir);

            let error: unknown;
            await writeArtifacts(res, opts(outDir, { force: c.force, dryRun: c.dryRun })).catch((e: unknown) => (error = e));
            if (error !== undefined && !isClean(error)) throw error;
            expect(await snap(sentinel)).toEqual(sentinelBefore);
            if (error !== undefined || c.dryRun) {
              expect(await snap(out)).toEqual(outBefore);
              expect(await snap(abs)).toEqual(absBefore);
            } else {
              // Every generated file is a regular file reached without links; no temporary file is left.
              for (const a of res.artifacts) {
                const st = await lstat(a.kind === "dir" && a.absolute ? a.path : path.join(out, a.path));
                expect(st.isSymbolicLink(), a.path).toBe(false);
                expect(a.kind === "file" ? st.isFile() : st.isDirectory(), a.path).toBe(true);
              }
              expect((await lstat(path.join(out, ".env"))).mode & 0o777).toBe(0o600);
              const leftovers = Object.keys(await snap(out)).filter((k) => /\.clawfed-tmp-/.test(k) && !(k in outBefore));
              expect(leftovers).toEqual([]);
            }
            await rm(base, { recursive: true, force: true });
          },
        ),
        { numRuns: 60 },
      );
    }, 120_000);
  }
});

describe("manifest entries", () => {
  it("only normalised relative paths inside the folder are trusted (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", ".", "/", "\\", "\u0000", "b") }), (p) => {
        if (!isSafeRelPath(p)) return;
        // Trusted: it stays below any folder it is joined to, and means what it says.
        expect(path.posix.join("/root/out", p).startsWith("/root/out/")).toBe(true);
        expect(path.posix.normalize(p)).toBe(p);
        expect(p.split("/")).not.toContain("..");
        expect(p.includes("\u0000")).toBe(false);
      }),
    );
    for (const bad of ["../x", "/etc/x", "a/../../x", "./a", "a//b", "a/", "", "..", "a\u0000b"]) expect(isSafeRelPath(bad), bad).toBe(false);
    expect(isSafeRelPath("workspaces/korax/AGENTS.md")).toBe(true);
  });

  it("a manifest naming ../x, /etc/x and an absolute path outside deletes nothing outside (warned, ignored)", async () => {
    const base = await tempDir("bw-man");
    const sentinel = await makeSentinel(base);
    const out = path.join(base, "out");
    await writeArtifacts(compiled.get(KORAX)!, opts(out));
    await writeFile(path.join(out, "stale.md"), "old\n");
    const entries = ["../sentinel/x", path.join(sentinel, "x"), "/etc/x", "a/../../sentinel/secret.txt", "../sentinel/sub", "stale.md"];
    await writeFile(path.join(out, MANIFEST), JSON.stringify({ generator: "clawfed", files: entries }));
    const before = await snap(sentinel);
    const res = await writeArtifacts(compiled.get(KORAX)!, opts(out));
    expect(await snap(sentinel)).toEqual(before);
    expect(res.removed).toEqual(["stale.md"]);
    expect(existsSync(path.join(out, "stale.md"))).toBe(false);
    expect(res.warnings.join("\n")).toMatch(/names paths outside the output folder.*"\.\.\/sentinel\/x".*"\/etc\/x"/);
  });

  it("an orphan reached through a planted link, or a folder, is left alone with a warning", async () => {
    const base = await tempDir("bw-orph");
    const sentinel = await makeSentinel(base);
    const out = path.join(base, "out");
    await writeArtifacts(compiled.get(KORAX)!, opts(out));
    await symlink(path.join(sentinel, "sub"), path.join(out, "workspaces/korax/memory"));
    await mkdir(path.join(out, "olddir"));
    await writeFile(path.join(out, "olddir/keep.md"), "user notes\n");
    await writeFile(path.join(out, MANIFEST), JSON.stringify({ generator: "clawfed", files: ["workspaces/korax/memory/inner.txt", "olddir", ".env"] }));
    const before = await snap(sentinel);
    const res = await writeArtifacts(compiled.get(KORAX)!, opts(out));
    expect(res.removed).toEqual([]);
    expect(await snap(sentinel)).toEqual(before);
    expect(await readFile(path.join(out, "olddir/keep.md"), "utf8")).toBe("user notes\n");
    expect(res.warnings.join("\n")).toMatch(/left workspaces\/korax\/memory\/inner\.txt alone.*symbolic link/);
    expect(res.warnings.join("\n")).toMatch(/left olddir alone.*is a folder/);
  });
});

describe("planted links below the output folder (named fixtures)", () => {
  it("a link at workspaces/<id>/AGENTS.md, workspaces/<id>, state/<id> or a mailbox folder is refused (exit 3), the outside target untouched", async () => {
    for (const [at, to] of [
      ["workspaces/korax/AGENTS.md", "secret.txt"],
      ["workspaces/korax", "sub"],
      ["state/goreos", "sub"],
      ["comms/*", "sub"],
    ] as Array<[string, string]>) {
      const base = await tempDir("bw-link");
      const sentinel = await makeSentinel(base);
      const out = path.join(base, "out");
      expect((await runCli(["generate", KORAX, "--out", out])).code).toBe(0);
      const rel = at === "comms/*" ? `comms/${(await readdir(path.join(out, "comms"))).sort()[0]}` : at;
      await rm(path.join(out, rel), { recursive: true, force: true });
      await symlink(path.join(sentinel, to), path.join(out, rel));
      await rm(path.join(out, "docker-compose.yml")); // something to (not) write
      const outBefore = await snap(out);
      const before = await snap(sentinel);
      const res = await runCli(["generate", KORAX, "--out", out]);
      expect(res.code, `${rel}: ${res.stderr}`).toBe(3);
      expect(res.stderr).toContain(`${path.join(out, rel)} is a symbolic link`);
      expect(res.stderr).toMatch(/Next: remove it/);
      expect(res.stderr).not.toMatch(/internal error/);
      expect(await snap(sentinel)).toEqual(before);
      expect(await snap(out)).toEqual(outBefore);
    }
  });

  it("a planted <file>.clawfed-tmp-<pid> link is never opened: temporary names are unpredictable and O_EXCL", async () => {
    const base = await tempDir("bw-tmp");
    const sentinel = await makeSentinel(base);
    const out = path.join(base, "out");
    await writeArtifacts(compiled.get(KORAX)!, opts(out));
    await rm(path.join(out, "docker-compose.yml"));
    await rm(path.join(out, "workspaces/korax/SOUL.md"));
    const planted = ["docker-compose.yml", "workspaces/korax/SOUL.md", ".env", MANIFEST].map((f) => path.join(out, `${f}.clawfed-tmp-${process.pid}`));
    for (const p of planted) await symlink(path.join(sentinel, "secret.txt"), p);
    const before = await snap(sentinel);
    const res = await writeArtifacts(compiled.get(KORAX)!, opts(out, { rotate: "all", newToken: () => "rotated-token" }));
    expect(res.written).toEqual(expect.arrayContaining(["docker-compose.yml", "workspaces/korax/SOUL.md", ".env"]));
    expect(await snap(sentinel)).toEqual(before);
    for (const p of planted) expect((await lstat(p)).isSymbolicLink()).toBe(true);
    expect((await lstat(path.join(out, "docker-compose.yml"))).isFile()).toBe(true);
  });

  it("a FIFO where a file goes is refused without hanging", async () => {
    const base = await tempDir("bw-fifo");
    const out = path.join(base, "out");
    await writeArtifacts(compiled.get(KORAX)!, opts(out));
    await rm(path.join(out, "workspaces/korax/SOUL.md"));
    execFileSync("mkfifo", [path.join(out, "workspaces/korax/SOUL.md")]);
    const err = await writeArtifacts(compiled.get(KORAX)!, opts(out)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toMatch(/workspaces\/korax\/SOUL\.md is a FIFO/);
  });

  it("a huge planted file is replaced without being read; a huge .env is refused (exit 3), not read into memory", async () => {
    const base = await tempDir("bw-huge");
    const out = path.join(base, "out");
    await writeArtifacts(compiled.get(KORAX)!, opts(out));
    await truncate(path.join(out, "workspaces/korax/AGENTS.md"), 64 * 2 ** 30); // sparse: 64 GiB
    const res = await writeArtifacts(compiled.get(KORAX)!, opts(out));
    expect(res.written).toEqual(["workspaces/korax/AGENTS.md"]);
    expect((await lstat(path.join(out, "workspaces/korax/AGENTS.md"))).size).toBeLessThan(1 << 20);
    await truncate(path.join(out, ".env"), 64 * 2 ** 30);
    const err = await writeArtifacts(compiled.get(KORAX)!, opts(out)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toMatch(/\.env has 68719476736 bytes, more than clawfed ever writes there/);
  });

  it("the output folder given through a link is resolved once; the link stays a link", async () => {
    const base = await tempDir("bw-via");
    const real = path.join(base, "real");
    await mkdir(real);
    await symlink(real, path.join(base, "via"));
    const res = await runCli(["generate", KORAX, "--out", path.join(base, "via")]);
    expect(res.code, res.stderr).toBe(0);
    expect((await lstat(path.join(base, "via"))).isSymbolicLink()).toBe(true);
    expect((await lstat(path.join(real, "docker-compose.yml"))).isFile()).toBe(true);
  });
});

describe("--out that is not a folder clawfed may write (CLI)", () => {
  beforeAll(() => {
    if (!existsSync(path.join(ROOT, "dist/cli/main.js"))) throw new Error("run `npm run build` first");
  });
  const spec = path.join(ROOT, KORAX);

  it("--out . in a user's project: exit 2, README.md and docker-compose.yml untouched; --force writes", async () => {
    const dir = await tempDir("bw-dot");
    await writeFile(path.join(dir, "README.md"), "# my project\n");
    await writeFile(path.join(dir, "docker-compose.yml"), "services: {}\n");
    const before = await snap(dir);
    const res = await runCli(["generate", spec, "--out", "."], { cwd: dir });
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toContain(`${dir} is not empty and was not created by clawfed`);
    expect(res.stderr).toMatch(/--force/);
    expect(await snap(dir)).toEqual(before);
    const dry = await runCli(["generate", spec, "--out", ".", "--dry-run"], { cwd: dir });
    expect(dry.code).toBe(2);
    const forced = await runCli(["generate", spec, "--out", ".", "--force"], { cwd: dir });
    expect(forced.code, forced.stderr).toBe(0);
    expect(await readFile(path.join(dir, "README.md"), "utf8")).toMatch(/generated by clawfed/);
    // Now it is clawfed's folder: no --force needed any more.
    expect((await runCli(["generate", spec, "--out", "."], { cwd: dir })).code).toBe(0);
  });

  it("an empty existing folder is fine", async () => {
    const dir = await tempDir("bw-empty");
    expect((await runCli(["generate", spec, "--out", dir])).code).toBe(0);
  });

  it("--out a regular file: exit 3 naming it, the file untouched", async () => {
    const dir = await tempDir("bw-file");
    const f = path.join(dir, "notes.txt");
    await writeFile(f, "mine\n");
    const before = await snap(dir);
    const res = await runCli(["generate", spec, "--out", f]);
    expect(res.code, res.stderr).toBe(3);
    expect(res.stderr).toContain(`the output folder ${f} is a file`);
    expect(await snap(dir)).toEqual(before);
    const below = await runCli(["generate", spec, "--out", path.join(f, "sub")]);
    expect(below.code, below.stderr).toBe(3);
    expect(below.stderr).toContain(`${f} is a file, not a folder`);
  });

  it("--out a dangling link: exit 3, the link's target is not created", async () => {
    const dir = await tempDir("bw-dangle");
    await symlink(path.join(dir, "nowhere"), path.join(dir, "out"));
    const res = await runCli(["generate", spec, "--out", path.join(dir, "out")]);
    expect(res.code, res.stderr).toBe(3);
    expect(res.stderr).toContain(`is a symbolic link to ${path.join(dir, "nowhere")}, which does not exist`);
    expect(existsSync(path.join(dir, "nowhere"))).toBe(false);
  });

  // Tests run as root, where permission bits do not stop writes. Two things do: the immutable
  // attribute (chattr +i, ext4 and CAP_LINUX_IMMUTABLE: EPERM for root too) and sysfs, which
  // refuses new entries from anyone (EPERM on a VM, EROFS where /sys is mounted read-only as in
  // containers).
  const immutable = (() => {
    const probe = mkdtempSync(path.join(tmpdir(), "cf-chattr-"));
    try {
      execFileSync("chattr", ["+i", probe], { stdio: "ignore" });
      execFileSync("chattr", ["-i", probe], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    } finally {
      rmSync(probe, { recursive: true, force: true });
    }
  })();

  it("--out below /sys (not writable even for root): exit 3, no internal error", async () => {
    if (!existsSync("/sys/kernel")) return;
    const res = await runCli(["generate", spec, "--out", `/sys/kernel/clawfed-test-${process.pid}`]);
    expect(res.code, res.stderr).toBe(3);
    expect(res.stderr).toMatch(/cannot create .*\/sys\/kernel\/clawfed-test-/);
    expect(res.stderr).not.toMatch(/internal error/);
  });

  it.runIf(immutable)("an immutable output folder, or an immutable folder inside it: exit 3, nothing written", async () => {
    const dir = await tempDir("bw-ro");
    const empty = path.join(dir, "empty");
    await mkdir(empty);
    execFileSync("chattr", ["+i", empty]);
    try {
      const res = await runCli(["generate", spec, "--out", empty]);
      expect(res.code, res.stderr).toBe(3);
      expect(res.stderr).toContain(`cannot write into the output folder ${empty}: operation not permitted (EPERM)`);
    } finally {
      execFileSync("chattr", ["-i", empty]);
    }
    const out = path.join(dir, "out");
    await generate({ spec: KORAX, outDir: out });
    await writeFile(path.join(out, "workspaces/korax/AGENTS.md"), "edited by hand\n");
    await rm(path.join(out, "docker-compose.yml"));
    execFileSync("chattr", ["+i", path.join(out, "workspaces/korax")]);
    try {
      const before = await snap(out);
      const res = await runCli(["generate", spec, "--out", out]);
      expect(res.code, res.stderr).toBe(3);
      expect(res.stderr).toContain(`cannot write into ${path.join(out, "workspaces/korax")}`);
      // Checked before anything was written: docker-compose.yml was not recreated.
      expect(await snap(out)).toEqual(before);
    } finally {
      execFileSync("chattr", ["-i", path.join(out, "workspaces/korax")]);
    }
  });
});
