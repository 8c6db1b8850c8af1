// The backup archive reader treats archives as hostile: crafted archives with traversal, links,
// devices, duplicates, bombs, corruption and lies in the manifest are each refused with a clear
// reason; a well-formed archive written by ArchiveWriter verifies.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile, readdir, mkdir, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import * as tarStream from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArchiveError, checkMemberPath, readArchive } from "../../src/runtime/backup/archive.js";
import { verifyArchive } from "../../src/runtime/backup/archive-verify.js";
import { ArchiveWriter } from "../../src/runtime/backup/archive-writer.js";
import { FORMAT, FORMAT_VERSION, type Manifest, type Member } from "../../src/runtime/backup/manifest.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "cfb-unit-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

function manifestFor(members: Member[], over: Partial<Manifest> = {}): Manifest {
  return {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    createdAt: "2026-11-21T05:00:00.000Z",
    clawfedVersion: "0.1.0",
    openclawVersion: "2026.9.6",
    federation: "cfbunit",
    spec: { file: "cfbunit.yaml", sha256: "0".repeat(64), member: "spec/cfbunit.yaml" },
    outDir: "/tmp/cfbunit",
    gateways: [
      { id: "hub", role: "hub", image: "openclaw:test", stateSource: { kind: "volume", volume: "cfbunit_hub-state" }, capture: "stopped", wasRunning: false },
    ],
    shared: true,
    knowledge: {},
    skipped: [],
    members,
    totals: { files: members.filter((m) => m.type === "file").length, dirs: members.filter((m) => m.type === "dir").length, bytes: members.reduce((n, m) => n + m.size, 0) },
    ...over,
  };
}

interface Raw {
  name: string;
  type?: tarStream.Header["type"];
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
  /** Size to claim in the header (default the content length). */
  size?: number;
}

/** A .tar.gz built member by member, exactly as given (no checks). */
async function craft(name: string, raws: Raw[], opts: { gzip?: boolean } = {}): Promise<string> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  })();
  for (const r of raws) {
    const content = r.content === undefined ? undefined : Buffer.from(r.content);
    await new Promise<void>((resolve, reject) => {
      const header = { name: r.name, type: r.type ?? "file", mode: r.mode ?? 0o644, uid: 1000, gid: 1000, mtime: new Date(1_700_000_000_000), linkname: r.linkname, size: r.size ?? content?.length ?? 0 };
      if (content && header.type === "file") pack.entry(header, content, (e) => (e ? reject(e) : resolve()));
      else pack.entry(header, (e) => (e ? reject(e) : resolve())).end(undefined);
    });
  }
  pack.finalize();
  await done;
  const tar = Buffer.concat(chunks);
  const file = path.join(dir, name);
  await writeFile(file, opts.gzip === false ? tar : gzipSync(tar));
  return file;
}

/** A consistent archive (manifest matching the members) plus extra raw entries. */
async function consistent(name: string, extra: Raw[] = [], tweak: (m: Manifest) => void = () => undefined): Promise<string> {
  const body = "state data\n";
  const members: Member[] = [
    { path: "state/hub", type: "dir", size: 0, mode: 0o755, uid: 1000, gid: 1000, mtime: 1_700_000_000 },
    { path: "state/hub/openclaw.sqlite", type: "file", size: body.length, sha256: sha(body), mode: 0o644, uid: 1000, gid: 1000, mtime: 1_700_000_000 },
  ];
  const m = manifestFor(members);
  tweak(m);
  return craft(name, [
    { name: "state/hub/", type: "directory", mode: 0o755 },
    { name: "state/hub/openclaw.sqlite", content: body },
    ...extra,
    { name: "manifest.json", content: JSON.stringify(m), mode: 0o644 },
  ]);
}

async function refused(file: string, opts: Parameters<typeof verifyArchive>[1] = {}): Promise<string> {
  try {
    await verifyArchive(file, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(ArchiveError);
    return (err as Error).message;
  }
  throw new Error(`${path.basename(file)} was accepted`);
}

describe("checkMemberPath", () => {
  it("accepts canonical relative paths and strips a directory's trailing slash", () => {
    expect(checkMemberPath("state/hub/")).toEqual({ path: "state/hub" });
    expect(checkMemberPath("workspaces/a b/ünï.md")).toEqual({ path: "workspaces/a b/ünï.md" });
  });
  it.each([
    ["../x", "traversal"],
    ["state/../../etc", "traversal"],
    ["/etc/passwd", "absolute"],
    ["./state/x", "canonical"],
    ["state//x", "canonical"],
    ["state\\x", "backslash"],
    ["C:/x", "drive-letter"],
    ["state/a\nb", "control"],
    ["", "empty"],
    [`state/${"a".repeat(256)}`, "longer than 255"],
  ])("refuses %j (%s)", (p, why) => {
    const r = checkMemberPath(p);
    expect("error" in r && r.error).toContain(why);
  });
  it("refuses paths past the depth and length limits", () => {
    expect("error" in checkMemberPath("state/a/b/c", { maxDepth: 3, maxPathBytes: 100 })).toBe(true);
    expect("error" in checkMemberPath("state/abcdef", { maxDepth: 3, maxPathBytes: 8 })).toBe(true);
  });
});

describe("ArchiveWriter + verifyArchive", () => {
  it("writes a 0600 archive whose manifest lists every member with its sha256, and verifies it", async () => {
    const final = path.join(dir, "ok.tar.gz");
    const w = await ArchiveWriter.open(final);
    await w.addDir("state/hub", { mode: 0o700, uid: 1000, gid: 1000, mtime: 1_700_000_000 });
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 7);
    async function* chunks() {
      for (let i = 0; i < big.length; i += 65536) yield big.subarray(i, i + 65536);
    }
    await w.addFile("state/hub/big.bin", big.length, chunks(), { mode: 0o600, uid: 1000, gid: 1000, mtime: 1_700_000_000 });
    await w.addFile("files/.env", 10, Buffer.from("A=secret1\n"), { mode: 0o600, uid: 0, gid: 0, mtime: 1_700_000_000 });
    const res = await w.finish((members) => manifestFor(members));
    expect(res.path).toBe(final);
    expect((await stat(final)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((n) => n.includes("clawfed-tmp"))).toEqual([]);

    const v = await verifyArchive(final);
    expect(v.files).toBe(2);
    expect(v.dirs).toBe(1);
    const byPath = new Map(v.manifest.members.map((m) => [m.path, m]));
    expect(byPath.get("state/hub/big.bin")).toMatchObject({ size: big.length, sha256: sha(big), mode: 0o600, uid: 1000 });
    expect(byPath.get("files/.env")?.sha256).toBe(sha("A=secret1\n"));

    // The same archive read by GNU tar: ordinary tar.gz, owners and modes kept.
    const listing = execFileSync("tar", ["-tvzf", final, "--numeric-owner"], { encoding: "utf8" });
    expect(listing).toMatch(/-rw------- 1000\/1000 +3145735 .* state\/hub\/big\.bin/);
    expect(listing.trim().split("\n").pop()).toMatch(/manifest\.json$/);
  });

  it("never replaces an existing file", async () => {
    const final = path.join(dir, "exists.tar.gz");
    await writeFile(final, "precious");
    await expect(ArchiveWriter.open(final)).rejects.toMatchObject({ code: "EEXIST" });
    const other = path.join(dir, "race.tar.gz");
    const w = await ArchiveWriter.open(other);
    await writeFile(other, "appeared meanwhile");
    await expect(w.finish((m) => manifestFor(m, { gateways: [] }))).rejects.toMatchObject({ code: "EEXIST" });
    expect(await readFile(other, "utf8")).toBe("appeared meanwhile");
    expect(await readFile(final, "utf8")).toBe("precious");
    expect((await readdir(dir)).filter((n) => n.includes("clawfed-tmp"))).toEqual([]);
  });

  it("refuses a body that does not match the declared size", async () => {
    const w = await ArchiveWriter.open(path.join(dir, "short.tar.gz"));
    await expect(w.addFile("files/x", 10, Buffer.from("12345"), { mode: 0o644, uid: 0, gid: 0, mtime: 0 })).rejects.toThrow(/changed while it was being read/);
    await w.abort();
    expect((await readdir(dir)).filter((n) => n.includes("short"))).toEqual([]);
  });
});

describe("hostile archives are refused with the reason", () => {
  it("a consistent crafted archive is accepted (the baseline of the cases below)", async () => {
    const v = await verifyArchive(await consistent("baseline.tar.gz"));
    expect(v.manifest.federation).toBe("cfbunit");
  });

  it.each<[string, Raw, RegExp]>([
    ["a ../ entry", { name: "state/hub/../../../etc/cron.d/x", content: "boom" }, /path traversal/],
    ["a bare .. entry", { name: "../x", content: "boom" }, /path traversal/],
    ["an absolute path", { name: "/etc/passwd", content: "root::0:0" }, /absolute path/],
    ["a symlink", { name: "state/hub/link", type: "symlink", linkname: "/etc" }, /symbolic link; only regular files and directories/],
    ["a relative symlink", { name: "state/hub/up", type: "symlink", linkname: "../../.." }, /symbolic link/],
    ["a hard link", { name: "state/hub/hard", type: "link", linkname: "/etc/shadow" }, /hard link/],
    ["a character device", { name: "state/hub/null", type: "character-device" }, /character device/],
    ["a block device", { name: "state/hub/sda", type: "block-device" }, /block device/],
    ["a FIFO", { name: "state/hub/pipe", type: "fifo" }, /FIFO/],
    ["a member outside the sections", { name: "etc/x", content: "x" }, /outside the known sections/],
    ["a Windows path", { name: "state\\hub\\x", content: "x" }, /backslash/],
  ])("%s", async (_what, raw, reason) => {
    const file = await consistent(`bad-${_what.replace(/\W+/g, "-")}.tar.gz`, [raw]);
    expect(await refused(file)).toMatch(reason);
  });

  it("a ../ hidden in a long (pax) path", async () => {
    const long = `state/hub/${"d/".repeat(60)}../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../x`;
    expect(await refused(await consistent("pax.tar.gz", [{ name: long, content: "x" }]))).toMatch(/path traversal|deeper/);
  });

  it("a symlink made by GNU tar", async () => {
    const src = path.join(dir, "gnu");
    await mkdir(path.join(src, "state", "hub"), { recursive: true });
    await writeFile(path.join(src, "state", "hub", "a"), "a");
    await symlink("/etc/passwd", path.join(src, "state", "hub", "passwd"));
    const file = path.join(dir, "gnu.tar.gz");
    execFileSync("tar", ["-czf", file, "-C", src, "state"]);
    expect(await refused(file)).toMatch(/state\/hub\/passwd is a symbolic link/);
  });

  it("the same path twice, and a member inside a file", async () => {
    expect(await refused(await consistent("dup.tar.gz", [{ name: "state/hub/openclaw.sqlite", content: "other" }]))).toMatch(/appears twice/);
    expect(await refused(await consistent("nested.tar.gz", [{ name: "state/hub/openclaw.sqlite/x", content: "x" }]))).toMatch(/inside state\/hub\/openclaw.sqlite, which is a file/);
  });

  it("too many entries, and too many bytes once uncompressed (a bomb)", async () => {
    expect(await refused(await consistent("count.tar.gz"), { limits: { maxEntries: 2 } })).toMatch(/more than 2 members/);
    const bomb = await craft("bomb.tar.gz", [{ name: "state/hub/zeros", content: Buffer.alloc(20 * 1024 * 1024) }]);
    expect((await stat(bomb)).size).toBeLessThan(100 * 1024);
    expect(await refused(bomb, { limits: { maxBytes: 1024 * 1024 } })).toMatch(/1048576 bytes/);
  });

  it("corruption: a flipped byte, a truncated file, and not gzip at all", async () => {
    const good = await readFile(await consistent("to-corrupt.tar.gz", [{ name: "state/hub/pad", content: Buffer.alloc(200_000, 1) }]));
    const flipped = Buffer.from(good);
    flipped[Math.floor(flipped.length / 2)]! ^= 0xff;
    await writeFile(path.join(dir, "flipped.tar.gz"), flipped);
    expect(await refused(path.join(dir, "flipped.tar.gz"))).toMatch(/not a valid \.tar\.gz|corrupt|checksum mismatch|not listed|truncated/);
    await writeFile(path.join(dir, "cut.tar.gz"), good.subarray(0, Math.floor(good.length * 0.6)));
    expect(await refused(path.join(dir, "cut.tar.gz"))).toMatch(/truncated|not a valid/);
    await writeFile(path.join(dir, "plain.tar.gz"), "just some text, not an archive\n");
    expect(await refused(path.join(dir, "plain.tar.gz"))).toMatch(/not a valid \.tar\.gz/);
  });

  it("a member whose bytes differ from the manifest", async () => {
    const file = await consistent("altered.tar.gz", [], (m) => {
      m.members[1]!.sha256 = sha("something else");
    });
    expect(await refused(file)).toMatch(/checksum mismatch for state\/hub\/openclaw.sqlite/);
  });

  it("members the manifest does not list, or lists but are missing", async () => {
    expect(await refused(await consistent("extra.tar.gz", [{ name: "state/hub/planted", content: "x" }]))).toMatch(/state\/hub\/planted is not listed/);
    const missing = await consistent("missing.tar.gz", [], (m) => {
      m.members.push({ path: "state/hub/gone", type: "file", size: 1, sha256: sha("x"), mode: 0o644, uid: 1000, gid: 1000, mtime: 0 });
    });
    expect(await refused(missing)).toMatch(/state\/hub\/gone is listed in manifest.json but missing/);
  });

  it("no manifest, a malformed one, one of another tool, and a newer format", async () => {
    expect(await refused(await craft("nomanifest.tar.gz", [{ name: "state/hub/x", content: "x" }]))).toMatch(/no manifest.json/);
    expect(await refused(await craft("badjson.tar.gz", [{ name: "manifest.json", content: "{oops" }]))).toMatch(/not valid JSON/);
    expect(await refused(await craft("other.tar.gz", [{ name: "manifest.json", content: JSON.stringify({ schemaVersion: 1 }) }]))).toMatch(/does not describe a clawfed backup/);
    expect(await refused(await consistent("newer.tar.gz", [], (m) => Object.assign(m, { formatVersion: 99 })))).toMatch(/format 99.*upgrade clawfed/);
    expect(await refused(await consistent("nogw.tar.gz", [], (m) => (m.gateways[0]!.id = "ghost")))).toMatch(/ghost: the archive has no state\/ghost|belongs to gateway hub/);
  });

  it("reading stops at the first bad member: a handler never sees what follows", async () => {
    const file = await consistent("order.tar.gz", [{ name: "state/hub/evil", type: "symlink", linkname: "/" }, { name: "state/hub/after", content: "x" }]);
    const seen: string[] = [];
    await expect(readArchive(file, { onEntry: async (e) => void seen.push(e.path) })).rejects.toThrow(/symbolic link/);
    expect(seen).toEqual(["state/hub", "state/hub/openclaw.sqlite"]);
  });
});
