// Backup planning and host-side restore pieces, without Docker: which gateways in which order,
// where the archive goes, where a gateway's state lives (named volume or, for a sandboxed gateway,
// the bind-mounted state folder), CLI size parsing, and the staging that swaps a restored folder in
// only at the end (with owners and modes from the archive).
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sizeArg } from "../../src/cli/commands/backup.js";
import { readArchive } from "../../src/runtime/backup/archive.js";
import { verifyArchive } from "../../src/runtime/backup/archive-verify.js";
import { ArchiveWriter } from "../../src/runtime/backup/archive-writer.js";
import { backupOrder, compactUtc, defaultArchivePath, selectGateways, stateSource } from "../../src/ops/backup.js";
import { addHostTree, StagedDir, StagedFiles, type Skipped } from "../../src/runtime/backup/host.js";
import { FORMAT, FORMAT_VERSION, type Manifest, type Member } from "../../src/runtime/backup/manifest.js";
import { openFederation } from "../../src/ops/context.js";
import type { Engine } from "../../src/runtime/docker/types.js";
import { SpecError, UsageError } from "../../src/errors.js";

let dir: string;
let spec: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "cfb-unit-plan-"));
  spec = path.join(dir, "cfbplan.yaml");
  await writeFile(
    spec,
    [
      "name: cfbplan",
      "gateways:",
      "  zeta: { role: hub, port: 28270, description: hub, model: anthropic/claude-sonnet-4-6 }",
      "  alpha: { role: spoke, port: 28271, description: a, model: anthropic/claude-sonnet-4-6 }",
      "  boxed:",
      "    role: spoke",
      "    port: 28272",
      "    description: sandboxed",
      "    model: anthropic/claude-sonnet-4-6",
      "    sandbox: { mode: all }",
      "links:",
      "  - { from: zeta, to: alpha }",
      "  - { from: zeta, to: boxed }",
      "",
    ].join("\n"),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("planning", () => {
  it("backs up spokes first (by id) and the hub last", async () => {
    const ctx = await openFederation(spec, { outDir: path.join(dir, "out") });
    expect(backupOrder(ctx.fed.gateways).map((g) => g.id)).toEqual(["alpha", "boxed", "zeta"]);
  });

  it("checks --only against the spec", async () => {
    const ctx = await openFederation(spec, { outDir: path.join(dir, "out") });
    expect(selectGateways(ctx, ["zeta"]).map((g) => g.id)).toEqual(["zeta"]);
    expect(selectGateways(ctx, undefined)).toHaveLength(3);
    expect(() => selectGateways(ctx, ["nope"])).toThrow(UsageError);
    expect(() => selectGateways(ctx, ["nope"])).toThrow(/--only names "nope", which is not a gateway of cfbplan/);
  });

  it("puts the archive next to the output directory, named by federation and UTC time", () => {
    const when = new Date("2026-11-21T05:06:07.891Z");
    expect(compactUtc(when)).toBe("20261121T050607Z");
    expect(defaultArchivePath("/srv/fed/out/korax", "korax", when)).toBe("/srv/fed/out/backups/korax-20261121T050607Z.tar.gz");
  });

  it("finds a sandboxed gateway's state in its bind-mounted folder, and the others' in their labelled volume", async () => {
    const outDir = path.join(dir, "out");
    const ctx = await openFederation(spec, { outDir });
    const asked: Array<Record<string, string>> = [];
    // Only listVolumes is consulted: the one engine call this decision makes.
    const engine = {
      listVolumes: async (labels: Record<string, string>) => {
        asked.push(labels);
        return labels["ai.clawfed.gateway"] === "zeta" ? [{ name: "cfbplan_zeta-state", labels }] : [];
      },
    } as unknown as Engine;
    const boxed = ctx.fed.gateways.find((g) => g.id === "boxed")!;
    expect(await stateSource(engine, ctx, boxed)).toEqual({ kind: "bind", path: path.join(path.resolve(outDir), "state", "boxed") });
    expect(await stateSource(engine, ctx, ctx.fed.gateways.find((g) => g.id === "zeta")!)).toEqual({ kind: "volume", name: "cfbplan_zeta-state" });
    expect(await stateSource(engine, ctx, ctx.fed.gateways.find((g) => g.id === "alpha")!)).toBeUndefined();
    expect(asked).toEqual([
      { "ai.clawfed.federation": "cfbplan", "ai.clawfed.gateway": "zeta", "ai.clawfed.kind": "state" },
      { "ai.clawfed.federation": "cfbplan", "ai.clawfed.gateway": "alpha", "ai.clawfed.kind": "state" },
    ]);
  });

  it("parses sizes for --max-bytes", () => {
    expect(sizeArg("500M")).toBe(500 * 1024 ** 2);
    expect(sizeArg("10G")).toBe(10 * 1024 ** 3);
    expect(sizeArg("1.5GiB")).toBe(1.5 * 1024 ** 3);
    expect(sizeArg("4096")).toBe(4096);
    expect(() => sizeArg("lots")).toThrow(/not a size/);
    expect(() => sizeArg("0")).toThrow(/more than zero/);
  });
});

function manifest(members: Member[]): Manifest {
  return {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    clawfedVersion: "0.1.0",
    openclawVersion: "2026.9.6",
    federation: "cfbplan",
    spec: { file: "cfbplan.yaml", sha256: "0".repeat(64), member: "spec/cfbplan.yaml" },
    outDir: dir,
    gateways: [{ id: "boxed", role: "spoke", image: "openclaw:test", stateSource: { kind: "bind", dir: "state/boxed" }, capture: "stopped", wasRunning: false }],
    shared: true,
    knowledge: {},
    skipped: [],
    members,
    totals: { files: 0, dirs: 0, bytes: 0 },
  };
}

describe("host trees: archive and restore through staging (the bind-mounted state case)", () => {
  it("archives regular files and folders with modes, skips links, and restores them swapped in at the end", async () => {
    const src = path.join(dir, "state-src");
    await mkdir(path.join(src, "agents", "main"), { recursive: true });
    await writeFile(path.join(src, "openclaw.json"), "{}\n", { mode: 0o600 });
    await writeFile(path.join(src, "agents", "main", "memory.md"), "remember\n", { mode: 0o640 });
    const { symlink } = await import("node:fs/promises");
    await symlink("/etc/passwd", path.join(src, "agents", "leak"));
    const file = path.join(dir, "tree.tar.gz");
    const w = await ArchiveWriter.open(file);
    const skipped: Skipped[] = [];
    const stats = await addHostTree(w, src, "state/boxed", skipped);
    await w.finish((m) => manifest(m));
    expect(stats).toMatchObject({ files: 2, dirs: 3 });
    expect(skipped).toEqual([{ path: "state/boxed/agents/leak", reason: "a symbolic link; only regular files and directories are backed up" }]);
    const v = await verifyArchive(file);
    expect(v.manifest.members.map((m) => m.path).sort()).toEqual(["state/boxed", "state/boxed/agents", "state/boxed/agents/main", "state/boxed/agents/main/memory.md", "state/boxed/openclaw.json"]);

    // The target exists with other content: it is replaced as a whole, only at commit.
    const target = path.join(dir, "out", "state", "boxed");
    await mkdir(target, { recursive: true });
    await writeFile(path.join(target, "stale.txt"), "old");
    const staged = new StagedDir(target);
    await staged.open();
    await readArchive(file, {
      onEntry: async (e, body) => {
        if (!e.path.startsWith("state/boxed")) return;
        await staged.add(e.path === "state/boxed" ? "" : e.path.slice("state/boxed/".length), e, body);
      },
    });
    expect(await readFile(path.join(target, "stale.txt"), "utf8")).toBe("old"); // not yet
    await staged.commit();
    expect((await readdir(target)).sort()).toEqual(["agents", "openclaw.json"]);
    expect(await readFile(path.join(target, "agents", "main", "memory.md"), "utf8")).toBe("remember\n");
    expect((await stat(path.join(target, "openclaw.json"))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(target, "agents", "main", "memory.md"))).mode & 0o777).toBe(0o640);
    expect(await lstat(path.join(target, "agents", "leak")).catch(() => "absent")).toBe("absent");
    expect((await readdir(path.dirname(target))).filter((n) => n.includes("clawfed-restore"))).toEqual([]);
  });

  it("staged files replace their targets only at commit, and discard leaves nothing", async () => {
    const target = path.join(dir, "out", ".env");
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, "A=old\n", { mode: 0o600 });
    const files = new StagedFiles();
    const body = (async function* () {
      yield Buffer.from("A=new\n");
    })();
    await files.add(target, { path: "files/.env", type: "file", size: 6, mode: 0o600, uid: 0, gid: 0, mtime: 1_700_000_000 }, body);
    expect(await readFile(target, "utf8")).toBe("A=old\n");
    await files.commit();
    expect(await readFile(target, "utf8")).toBe("A=new\n");
    expect((await stat(target)).mode & 0o777).toBe(0o600);

    const other = new StagedFiles();
    await other.add(target, { path: "files/.env", type: "file", size: 4, mode: 0o600, uid: 0, gid: 0, mtime: 0 }, (async function* () {
      yield Buffer.from("A=x\n");
    })());
    await other.discard();
    expect(await readFile(target, "utf8")).toBe("A=new\n");
    expect((await readdir(path.dirname(target))).filter((n) => n.includes("clawfed-restore"))).toEqual([]);
  });
});

describe("restore refuses a wrong archive before touching Docker", () => {
  async function archiveOf(federation: string, gateways: Manifest["gateways"]): Promise<string> {
    const file = path.join(dir, `of-${federation}-${Math.random().toString(36).slice(2, 8)}.tar.gz`);
    const w = await ArchiveWriter.open(file);
    for (const g of gateways) await w.addDir(`state/${g.id}`, { mode: 0o700, uid: 1000, gid: 1000, mtime: 1_700_000_000 });
    await w.finish((members) => ({ ...manifest(members), federation, gateways }));
    return file;
  }
  const gw = (id: string): Manifest["gateways"][number] => ({ id, role: "spoke", image: "openclaw:test", stateSource: { kind: "volume", volume: `x_${id}-state` }, capture: "stopped", wasRunning: false });

  it("an archive of another federation", async () => {
    const { restoreFederation } = await import("../../src/ops/restore.js");
    const from = await archiveOf("other", [gw("alpha")]);
    await expect(restoreFederation({ spec, outDir: path.join(dir, "out"), from })).rejects.toThrow(/a backup of federation other, not of cfbplan/);
  });

  it("--only naming a gateway the archive does not hold", async () => {
    const { restoreFederation } = await import("../../src/ops/restore.js");
    const from = await archiveOf("cfbplan", [gw("alpha")]);
    await expect(restoreFederation({ spec, outDir: path.join(dir, "out"), from, only: ["zeta"] })).rejects.toThrow(/the archive holds no zeta \(it has: alpha\)/);
  });

  it("the CLI: `backup verify` says ok or why not, with exit codes 0 and 1", async () => {
    const { runCli } = await import("../helpers/cli.js");
    const good = await archiveOf("cfbplan", [gw("alpha")]);
    const ok = await runCli(["backup", "verify", good, "--json"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, federation: "cfbplan", gateways: [{ id: "alpha", capture: "stopped" }] });
    const bad = path.join(dir, "bad.tar.gz");
    await writeFile(bad, (await readFile(good)).subarray(0, 40));
    const no = await runCli(["backup", "verify", bad]);
    expect(no.code).toBe(1);
    expect(no.stderr).toMatch(/error: the archive is refused: not a valid \.tar\.gz/);
  });
});

describe("a restored generated-files list may only name paths inside the output directory", () => {
  it("accepts clawfed's own list and refuses traversal (generate deletes what it names)", async () => {
    const { checkGeneratedList } = await import("../../src/runtime/backup/archive-verify.js");
    expect(() => checkGeneratedList(Buffer.from(JSON.stringify({ generator: "clawfed", files: [".env", "gateways/hub/openclaw.json"] })))).not.toThrow();
    expect(() => checkGeneratedList(Buffer.from(JSON.stringify({ files: ["../../etc/passwd"] })))).toThrow(/names "..\/..\/etc\/passwd", which contains a `..` segment/);
    expect(() => checkGeneratedList(Buffer.from(JSON.stringify({ files: ["/etc/passwd"] })))).toThrow(/absolute path/);
    expect(() => checkGeneratedList(Buffer.from("{nope"))).toThrow(/not valid JSON/);
  });
});
