// Issue 9, class 9: `clawfed backup verify` refuses exactly what `clawfed restore` refuses. Both go
// through one validation (archive-verify.ts validateArchive), so each hostile archive below is refused by
// verifyArchive AND by the restore (its Docker-free planning, and the real restoreFederation with an
// engine that must never be touched) with the same reason, and the restore target is left as it was.
// A gzip bomb is refused after a bounded amount of input. A property test over random archives:
// verify refuses ⇔ restore refuses; and what verify accepts, restore stages and writes without
// error, only inside the output folder.
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import * as tarStream from "tar-stream";
import { beforeAll, describe, expect, it } from "vitest";
import { ArchiveError, checkMemberPath, foldPath } from "../../src/runtime/backup/archive.js";
import { verifyArchive } from "../../src/runtime/backup/archive-verify.js";
import { FORMAT, FORMAT_VERSION, GENERATED_MEMBER, type Manifest, type Member } from "../../src/runtime/backup/manifest.js";
import { planRestore, restoreFederation, stageHostFiles } from "../../src/ops/restore.js";
import { openFederation } from "../../src/ops/context.js";
import type { Engine } from "../../src/runtime/docker/types.js";
import { tempDir } from "../helpers/tmp.js";
import { snapshotTree } from "../helpers/tree.js";

const NAME = "cfbound";
let root: string;
let spec: string;
let outDir: string;

beforeAll(async () => {
  root = await tempDir("boundary-archives");
  spec = path.join(root, `${NAME}.yaml`);
  await writeFile(
    spec,
    [
      `name: ${NAME}`,
      "gateways:",
      "  hub: { role: hub, port: 28370, description: hub, model: anthropic/claude-sonnet-4-6 }",
      "  alpha: { role: spoke, port: 28371, description: a spoke, model: anthropic/claude-sonnet-4-6 }",
      "links:",
      "  - { from: hub, to: alpha }",
      "",
    ].join("\n"),
  );
  // A restore target with content of its own, which a refused restore must leave byte-identical.
  outDir = path.join(root, "out");
  await mkdir(path.join(outDir, "workspaces", "hub"), { recursive: true });
  await mkdir(path.join(outDir, ".clawfed"), { recursive: true });
  await writeFile(path.join(outDir, ".env"), "HUB_TOKEN=current-token-value\n", { mode: 0o600 });
  await writeFile(path.join(outDir, "workspaces", "hub", "AGENTS.md"), "current\n");
  await writeFile(path.join(outDir, ".clawfed", "manifest.json"), JSON.stringify({ generator: "clawfed", files: [".env"] }));
});

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const T = 1_700_000_000;

interface Raw {
  name: string;
  type?: tarStream.Header["type"];
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
}

/** Tar bytes of `raws`, exactly as given (no checks). */
async function tarOf(raws: Raw[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  })();
  for (const r of raws) {
    const type = r.type ?? "file";
    const content = type === "file" ? Buffer.from(r.content ?? "") : undefined;
    await new Promise<void>((resolve, reject) => {
      const header: tarStream.Header = { name: r.name, type, mode: r.mode ?? 0o644, uid: 1000, gid: 1000, mtime: new Date(T * 1000), linkname: r.linkname ?? "", uname: "", gname: "", size: content?.length ?? 0, devmajor: 1, devminor: 3 };
      if (content) pack.entry(header, content, (e) => (e ? reject(e) : resolve()));
      else pack.entry(header, (e) => (e ? reject(e) : resolve())).end(undefined);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

let n = 0;
async function save(bytes: Buffer, label: string): Promise<string> {
  const file = path.join(root, `${label.replace(/\W+/g, "-")}-${++n}.tar.gz`);
  await writeFile(file, bytes, { mode: 0o600 });
  return file;
}

function manifestOf(members: Member[], over: Partial<Manifest> = {}): Manifest {
  return {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    createdAt: "2026-11-21T05:00:00.000Z",
    clawfedVersion: "0.1.0",
    openclawVersion: "2026.9.6",
    federation: NAME,
    spec: { file: `${NAME}.yaml`, sha256: "0".repeat(64), member: `spec/${NAME}.yaml` },
    outDir: "/srv/cfbound/out",
    gateways: [{ id: "hub", role: "hub", image: "openclaw:test", stateSource: { kind: "volume", volume: `${NAME}_hub-state` }, capture: "stopped", wasRunning: false }],
    shared: true,
    knowledge: {},
    skipped: [],
    members,
    totals: { files: members.filter((m) => m.type === "file").length, dirs: members.filter((m) => m.type === "dir").length, bytes: members.reduce((s, m) => s + m.size, 0) },
    ...over,
  };
}

/** The member a raw file/dir entry becomes in a manifest that tells the truth about it. */
function memberOf(r: Raw): Member {
  const type = (r.type ?? "file") === "directory" ? "dir" : "file";
  const content = Buffer.from(r.content ?? "");
  return {
    path: r.name.replace(/\/+$/, ""),
    type,
    size: type === "file" ? content.length : 0,
    ...(type === "file" ? { sha256: sha(content) } : {}),
    mode: r.mode ?? 0o644,
    uid: 1000,
    gid: 1000,
    mtime: T,
  };
}

const BASE: Raw[] = [
  { name: "state/hub/", type: "directory", mode: 0o755 },
  { name: "state/hub/openclaw.sqlite", content: "state data\n" },
  { name: "files/.env", content: "HUB_TOKEN=archived-token-value\n", mode: 0o600 },
  { name: GENERATED_MEMBER, content: JSON.stringify({ generator: "clawfed", files: [".env", "docker-compose.yml"] }) },
  { name: "workspaces/hub/", type: "directory", mode: 0o755 },
  { name: "workspaces/hub/AGENTS.md", content: "restored\n" },
];

/**
 * A .tar.gz: `raws` (BASE by default) + `extra` entries, and a manifest that lists every file and
 * folder entry truthfully (so only the defect under test is wrong), then `tweak`ed.
 */
async function archive(label: string, o: { raws?: Raw[]; extra?: Raw[]; tweak?: (m: Manifest) => void; listExtra?: boolean } = {}): Promise<string> {
  const raws = [...(o.raws ?? BASE), ...(o.extra ?? [])];
  const listed = (o.listExtra ?? true ? raws : o.raws ?? BASE).filter((r) => (r.type ?? "file") === "file" || r.type === "directory");
  const m = manifestOf(listed.map(memberOf));
  o.tweak?.(m);
  return save(gzipSync(await tarOf([...raws, { name: "manifest.json", content: JSON.stringify(m), mode: 0o600 }])), label);
}

/** An engine whose every use fails the test: a refused archive must never reach Docker. */
const untouchable = new Proxy({} as Engine, {
  get: (_t, prop) => (prop === "then" ? undefined : () => Promise.reject(new Error(`the engine was used (${String(prop)}) for a refused archive`))),
});

/** Why verifyArchive refuses `file`, or undefined when it accepts it. */
async function verifyReason(file: string, limits?: NonNullable<Parameters<typeof verifyArchive>[1]>["limits"]): Promise<string | undefined> {
  try {
    await verifyArchive(file, { limits });
    return undefined;
  } catch (err) {
    if (!(err instanceof ArchiveError)) throw err;
    return err.message;
  }
}

/** Why the restore's planning refuses `file` (nothing written, no Docker), or undefined. */
async function planReason(file: string, out = outDir, limits?: NonNullable<Parameters<typeof verifyArchive>[1]>["limits"]): Promise<string | undefined> {
  const ctx = await openFederation(spec, { outDir: out });
  try {
    await planRestore(ctx, { spec, from: file, limits });
    return undefined;
  } catch (err) {
    if (!(err instanceof ArchiveError)) throw err;
    return err.message;
  }
}

/** Every refusal path: verify, the restore plan, and the whole restore command; all with one reason. */
async function refusedEverywhere(file: string, reason: RegExp): Promise<string> {
  const before = await snapshotTree(outDir);
  const v = await verifyReason(file);
  expect(v, "verify accepted it").toBeDefined();
  expect(v).toMatch(reason);
  expect(await planReason(file)).toBe(v);
  const r = await restoreFederation({ spec, outDir, from: file, engine: untouchable, force: true }).then(
    () => undefined,
    (err: unknown) => {
      expect(err).toBeInstanceOf(ArchiveError);
      return (err as Error).message;
    },
  );
  expect(r).toBe(v);
  expect(await snapshotTree(outDir)).toEqual(before);
  return v!;
}

describe("named hostile archives: refused by verify and by restore, with the same reason, nothing written", () => {
  it("the baseline archive is accepted by both, and its restore writes into the output folder", async () => {
    const file = await archive("baseline");
    expect(await verifyReason(file)).toBeUndefined();
    const out = path.join(root, "baseline-out");
    const ctx = await openFederation(spec, { outDir: out });
    const plan = await planRestore(ctx, { spec, from: file });
    const staged = await stageHostFiles(ctx, plan, {});
    const { paths } = await staged.commit();
    expect(paths.sort()).toEqual([path.join(out, ".clawfed", "manifest.json"), path.join(out, ".env"), path.join(out, "workspaces", "hub")]);
    expect(await readFile(path.join(out, "workspaces", "hub", "AGENTS.md"), "utf8")).toBe("restored\n");
  });

  const generated = (files: unknown): Raw[] => BASE.map((r) => (r.name === GENERATED_MEMBER ? { ...r, content: JSON.stringify({ generator: "clawfed", files }) } : r));

  it.each<[string, () => Promise<string>, RegExp]>([
    ["a generated-files list naming ../x (verify accepted it before)", () => archive("gen-dotdot", { raws: generated([".env", "../x"]) }), /files\/\.clawfed\/manifest\.json names "\.\.\/x", which contains a `\.\.` segment/],
    ["a generated-files list naming /etc/x", () => archive("gen-abs", { raws: generated(["/etc/x"]) }), /names "\/etc\/x", which has an absolute path/],
    ["a generated-files list naming one file twice by case", () => archive("gen-case", { raws: generated(["README.md", "readme.md"]) }), /lists readme\.md and README\.md, which name the same file/],
    ["a generated-files list that is not a list of paths", () => archive("gen-num", { raws: generated([7]) }), /lists 7, which is not a string/],
    ["a manifest whose member list names ../x", () => archive("man-dotdot", { tweak: (m) => m.members.push({ ...m.members[0]!, path: "workspaces/hub/../../x" }) }), /manifest\.json names "workspaces\/hub\/\.\.\/\.\.\/x", which contains a `\.\.` segment/],
    ["a member /etc/x", () => archive("abs", { extra: [{ name: "/etc/x", content: "x" }] }), /member "\/etc\/x" has an absolute path/],
    ["a member ../x", () => archive("dotdot", { extra: [{ name: "../x", content: "x" }] }), /contains a `\.\.` segment \(path traversal\)/],
    ["a symlink", () => archive("symlink", { extra: [{ name: "workspaces/hub/evil", type: "symlink", linkname: "/etc" }] }), /workspaces\/hub\/evil is a symbolic link/],
    ["a hard link", () => archive("hardlink", { extra: [{ name: "workspaces/hub/hard", type: "link", linkname: "/etc/shadow" }] }), /is a hard link/],
    ["a character device", () => archive("device", { extra: [{ name: "state/hub/null", type: "character-device" }] }), /is a character device/],
    ["a FIFO", () => archive("fifo", { extra: [{ name: "state/hub/pipe", type: "fifo" }] }), /is a FIFO/],
    ["a duplicate entry", () => archive("dup", { extra: [{ name: "workspaces/hub/AGENTS.md", content: "again\n" }], listExtra: false }), /member workspaces\/hub\/AGENTS\.md appears twice/],
    ["entries that differ only in case", () => archive("case", { extra: [{ name: "workspaces/hub/agents.md", content: "lower\n" }] }), /workspaces\/hub\/agents\.md and member workspaces\/hub\/AGENTS\.md differ only in case/],
    ["entries that differ only in Unicode normalisation", () => archive("nfd", { extra: [{ name: "workspaces/hub/caf\u00e9", content: "1" }, { name: "workspaces/hub/cafe\u0301", content: "2" }] }), /differ only in case or Unicode normalisation/],
    ["a name with an escape character", () => archive("ctl", { extra: [{ name: "workspaces/hub/\u001b[31mred", content: "x" }] }), /contains a control character/],
    ["a name with a C1 control (CSI)", () => archive("c1", { extra: [{ name: "workspaces/hub/\u009b2J", content: "x" }] }), /contains a control character/],
    ["a gateway id outside the spec's pattern", () => archive("badid", { tweak: (m) => (m.gateways[0]!.id = "Hub") }), /manifest\.json is malformed at gateways\.0\.id/],
    ["a terminal escape in a version it prints", () => archive("badver", { tweak: (m) => (m.clawfedVersion = "0.1\u001b]0;pwned\u0007") }), /malformed at clawfedVersion/],
    ["a file where a gateway's workspace folder belongs", () => archive("layout", { raws: BASE.filter((r) => !r.name.startsWith("workspaces/")), extra: [{ name: "workspaces/hub", content: "x" }] }), /workspaces\/hub is a file where a folder belongs/],
    ["a bad checksum", () => archive("checksum", { tweak: (m) => (m.members.find((x) => x.path === "workspaces/hub/AGENTS.md")!.sha256 = sha("other")) }), /checksum mismatch for workspaces\/hub\/AGENTS\.md/],
  ])("%s", async (_what, make, reason) => {
    await refusedEverywhere(await make(), reason);
  });

  it("a truncated gzip", async () => {
    const good = await readFile(await archive("to-truncate", { extra: [{ name: "state/hub/pad", content: Buffer.alloc(100_000, 7) }] }));
    const cut = await save(good.subarray(0, Math.floor(good.length * 0.7)), "truncated");
    await refusedEverywhere(cut, /truncated|not a valid \.tar\.gz/);
  });

  it("not gzip at all", async () => {
    await refusedEverywhere(await save(Buffer.from("just text\n"), "plain"), /not a valid \.tar\.gz/);
  });
});

describe("a gzip bomb is refused before it is inflated", () => {
  /**
   * A member of `gib` GiB of zeros: one gzip member with the tar headers, then copies of one gzip
   * member of 1 MiB of zeros (gzip readers take concatenated members as one stream).
   */
  async function bomb(gib: number): Promise<{ file: string; inflated: number }> {
    const size = gib * 1024 ** 3;
    const dirHeader = (await tarOf([{ name: "state/hub/", type: "directory" }])).subarray(0, 512);
    const fileHeader = Buffer.from((await tarOf([{ name: "state/hub/zeros", content: "x" }])).subarray(0, 512));
    // Claim `size` bytes: ustar size field (offset 124, 11 octal digits), then the header checksum.
    fileHeader.write(`${size.toString(8).padStart(11, "0")}\0`, 124, "ascii");
    fileHeader.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of fileHeader) sum += b;
    fileHeader.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
    const zeros = gzipSync(Buffer.alloc(1024 ** 2), { level: 9 });
    const parts = [gzipSync(Buffer.concat([dirHeader, fileHeader]))];
    for (let i = 0; i < size / 1024 ** 2; i++) parts.push(zeros);
    const file = await save(Buffer.concat(parts), `bomb-${gib}`);
    return { file, inflated: size };
  }

  it("1.5 GiB of zeros in ~1.5 MB: refused by ratio after reading a bounded amount, by verify and by restore", async () => {
    const { file, inflated } = await bomb(1.5);
    const onDisk = (await readFile(file)).length;
    expect(onDisk).toBeLessThan(3 * 1024 ** 2);
    expect(inflated / onDisk).toBeGreaterThan(500);

    let read = 0;
    const t0 = performance.now();
    const err = await verifyArchive(file, { onBytes: (b) => (read += b) }).then(() => undefined, (e: unknown) => e as Error);
    const ms = performance.now() - t0;
    expect(err).toBeInstanceOf(ArchiveError);
    expect(err!.message).toMatch(/a decompression bomb: \d+ compressed bytes already inflated to \d+ \(more than 200 times as many/);
    expect(read).toBeLessThan(256 * 1024 ** 2); // stopped long before 1.5 GiB
    expect(ms).toBeLessThan(5_000);
    await refusedEverywhere(file, /a decompression bomb/);
  });

  it("with the ratio check relaxed, the absolute size limit still stops it early", async () => {
    const { file } = await bomb(1);
    let read = 0;
    const limits = { maxRatio: 10_000, maxBytes: 100 * 1024 ** 2 };
    const err = await verifyArchive(file, { limits, onBytes: (b) => (read += b) }).then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toMatch(/more than 104857600 bytes once uncompressed|would take the archive past 104857600 bytes/);
    expect(read).toBeLessThan(200 * 1024 ** 2);
    expect(await planReason(file, outDir, limits)).toBe(err!.message);
  });

  it("a small archive that compresses very well is not a bomb", async () => {
    const file = await archive("small-zeros", { extra: [{ name: "state/hub/zeros", content: Buffer.alloc(8 * 1024 ** 2) }] });
    expect(await verifyReason(file)).toBeUndefined();
  });
});

describe("property: verify refuses ⇔ restore refuses, and what verify accepts restore writes inside the output folder", () => {
  const segment = fc.oneof(
    fc.constantFrom("a", "A", "b", "..", ".", "", "x y", "caf\u00e9", "cafe\u0301", "\u0000", "\u001b", "\u009b", "\\", "C:", "\u2028", "\ufffd", "#", "$x"),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 6 }),
  );
  const entryName = fc.oneof(
    fc.tuple(fc.constantFrom("workspaces/hub", "state/hub", "files", "comms/hub--alpha", "knowledge/kb", "etc", "", "/"), fc.array(segment, { minLength: 0, maxLength: 3 })).map(([head, segs]) => [head, ...segs].join("/")),
    fc.string({ maxLength: 20 }),
  );
  const entry = fc.record({
    name: entryName,
    type: fc.constantFrom<tarStream.Header["type"]>("file", "file", "file", "directory", "directory", "symlink", "link", "character-device", "fifo"),
    content: fc.string({ maxLength: 8 }),
  });
  const generatedList = fc.option(fc.array(fc.oneof(entryName, fc.constantFrom(".env", "docker-compose.yml", "../x", "/etc/x")), { maxLength: 3 }), { nil: undefined });

  it("holds for random entry names and types", async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 6 }), generatedList, async (extra, gen) => {
        const raws: Raw[] = [
          { name: "state/hub/", type: "directory", mode: 0o755 },
          ...(gen ? [{ name: GENERATED_MEMBER, content: JSON.stringify({ generator: "clawfed", files: gen }) }] : []),
          ...extra.map((e) => ({ name: e.name, type: e.type, content: e.content, linkname: e.type === "symlink" || e.type === "link" ? "target" : undefined })),
        ];
        const file = await archive("prop", { raws, tweak: (m) => (m.knowledge = { kb: "/srv/kb" }) });
        const v = await verifyReason(file);
        const fresh = path.join(root, `prop-out-${n}`);
        const r = await planReason(file, fresh);
        expect(r).toBe(v);
        if (v !== undefined) return;
        accepted++;
        // Accepted: the restore stages and commits without error, and writes only inside the output folder.
        const ctx = await openFederation(spec, { outDir: fresh });
        const plan = await planRestore(ctx, { spec, from: file });
        const { paths } = await (await stageHostFiles(ctx, plan, {})).commit();
        for (const p of paths) expect(p === fresh || p.startsWith(fresh + path.sep), p).toBe(true);
        // …and every member path it accepted obeys the path rules, without case collisions.
        const folded = new Set<string>();
        for (const m of plan.manifest.members) {
          expect(checkMemberPath(m.path)).toEqual({ path: m.path });
          expect(folded.has(foldPath(m.path))).toBe(false);
          folded.add(foldPath(m.path));
        }
      }),
      { numRuns: 150 },
    );
    expect(accepted).toBeGreaterThan(0); // the generator reaches both sides
  });
});
