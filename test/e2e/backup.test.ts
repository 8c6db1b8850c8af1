// Backup and restore of a whole federation on the real Docker Engine with a real gateway:
// - round trip: a mark written into the gateway's state volume and a note in its workspace survive
//   backup → `down --volumes` (and the loss of .env and the workspaces) → restore; the gateway is
//   healthy again, the tokens in .env are byte-for-byte the same, and every restored file's sha256
//   matches the archive's manifest;
// - a corrupted archive, one with a `../` entry and one with a symlink are each refused with a
//   clear message, even with --force, and the running federation is untouched;
// - `--live` produces an archive whose OpenClaw part `openclaw backup verify` accepts.
// Needs a real Docker Engine and the local image: without them this file FAILS (never skips).
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import * as tarStream from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTAINER_STATE_DIR } from "../../src/vocabulary/names.js";
import { LABELS } from "../../src/vocabulary/labels.js";
import { readArchive } from "../../src/runtime/backup/archive.js";
import { verifyArchive } from "../../src/runtime/backup/archive-verify.js";
import { FORMAT, FORMAT_VERSION, type Manifest } from "../../src/runtime/backup/manifest.js";
import { readState } from "../../src/runtime/backup/state.js";
import { createDockerEngine } from "../../src/runtime/docker/engine.js";
import { runOpenclaw } from "../helpers/openclaw.js";
import { runCli } from "../helpers/cli.js";
import { execIn, leftOvers, serviceContainer } from "../helpers/docker.js";
import { waitForFreePorts } from "../helpers/host.js";
import { snapshotTree } from "../helpers/tree.js";
import { TEST_IMAGE } from "../helpers/setup-docker.js";

const NAME = "cfbround";
const PORT = 28240;
const CLI_TIMEOUT_MS = 600_000;
const log = (line: string) => process.stderr.write(`[backup-e2e] ${line}\n`);
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

let root: string;
let spec: string;
let outDir: string;
let archive: string;
const engine = createDockerEngine();

async function cli(args: string[]) {
  const t0 = performance.now();
  const res = await runCli(args, { timeoutMs: CLI_TIMEOUT_MS });
  log(`clawfed ${args.join(" ")} → exit ${res.code} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return res;
}

async function hubContainer() {
  return serviceContainer(NAME, "hub");
}

async function healthz(): Promise<unknown> {
  const r = await fetch(`http://127.0.0.1:${PORT}/healthz`);
  return r.json();
}

/** sha256 of every file in the gateway's state volume (read through the engine). */
async function stateHashes(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const vol = `${NAME}_hub-state`;
  await readState(engine, { image: TEST_IMAGE, source: { kind: "volume", name: vol }, federation: NAME }, {
    entry: async (e, body) => {
      if (e.type !== "file") return;
      const h = createHash("sha256");
      for await (const c of body!) h.update(c);
      out.set(e.rel, h.digest("hex"));
    },
    skip: () => undefined,
  });
  return out;
}

beforeAll(async () => {
  root = path.join(tmpdir(), `cfb-e2e-${randomBytes(4).toString("hex")}`);
  outDir = path.join(root, "out");
  spec = path.join(root, `${NAME}.yaml`);
  await mkdir(path.join(root, "kb"), { recursive: true });
  await writeFile(path.join(root, "kb", "README.md"), "# notes\n");
  await writeFile(
    spec,
    [
      `name: ${NAME}`,
      "description: backup round trip",
      "openclaw:",
      "  version: 2026.9.6",
      "knowledge:",
      "  notes:",
      `    path: ${path.join(root, "kb")}`,
      "gateways:",
      "  hub:",
      "    role: hub",
      `    port: ${PORT}`,
      "    description: The only gateway.",
      "    model: anthropic/claude-sonnet-4-6",
      "    hooks: true",
      "    knowledge: [notes]",
      "",
    ].join("\n"),
  );
  // Leftovers of an interrupted earlier run would hold the port and the names.
  if ((await leftOvers(NAME)).containers.length) await cli(["down", spec, "--out", outDir, "--volumes"]);
  await waitForFreePorts([PORT], { timeoutMs: 10 * 60_000, onWait: (who) => log(`waiting for port ${who}`) });
  const up = await cli(["up", spec, "--out", outDir, "--image", TEST_IMAGE, "--timeout", "5m"]);
  expect(up.code, up.stderr).toBe(0);
}, 900_000);

afterAll(async () => {
  if (outDir && existsSync(path.join(outDir, "docker-compose.yml"))) await cli(["down", spec, "--out", outDir, "--volumes"]);
  const left = await leftOvers(NAME);
  if (root) await rm(root, { recursive: true, force: true });
  expect(left.containers.filter((c) => !c.startsWith(NAME))).toEqual([]);
}, 300_000);

describe("backup → down --volumes → restore", () => {
  let manifest: Manifest;
  let envBefore: Buffer;

  it("backs up a running federation into a 0600 archive that verifies, and brings the gateway back", async () => {
    const hub = await hubContainer();
    const mark = `mark-${randomBytes(8).toString("hex")}`;
    const w = await execIn(hub.Id, ["node", "-e", `require("fs").writeFileSync(${JSON.stringify(`${CONTAINER_STATE_DIR}/cfb-mark.txt`)}, ${JSON.stringify(mark)})`]);
    expect(w.code, w.stderr).toBe(0);
    await writeFile(path.join(outDir, "workspaces", "hub", "cfb-note.md"), `note ${mark}\n`);
    envBefore = await readFile(path.join(outDir, ".env"));

    archive = path.join(root, "backups", "round.tar.gz");
    const res = await cli(["backup", spec, "--out", outDir, "--file", archive, "--json"]);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as { file: string; holdsSecrets: boolean; notice: string; gateways: Array<{ id: string; wasRunning: boolean; downMs: number }> };
    expect(out.file).toBe(archive);
    expect(out.holdsSecrets).toBe(true);
    expect(res.stderr).toMatch(/holds secrets/);
    expect(out.gateways).toEqual([expect.objectContaining({ id: "hub", wasRunning: true })]);
    expect((await stat(archive)).mode & 0o777).toBe(0o600);
    // No token in what the command printed.
    const tokens = Object.values((await import("dotenv")).parse(envBefore)).filter((v) => v.length >= 16);
    for (const t of tokens) expect(res.stdout + res.stderr).not.toContain(t);

    // The gateway is up again, with the same container.
    const after = await hubContainer();
    expect(after.Id).toBe(hub.Id);
    expect(after.State.Running).toBe(true);
    expect(await healthz()).toMatchObject({ ok: true, status: "live" });

    const v = await cli(["backup", "verify", archive, "--json"]);
    expect(v.code, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, federation: NAME, gateways: [{ id: "hub", capture: "stopped", openclawVersion: "2026.9.6" }] });
    manifest = (await verifyArchive(archive)).manifest;
    const paths = new Set(manifest.members.map((m) => m.path));
    expect(paths).toContain("state/hub/cfb-mark.txt");
    expect(paths).toContain("files/.env");
    expect(paths).toContain("files/docker-compose.yml");
    expect(paths).toContain("workspaces/hub/cfb-note.md");
    expect(paths).toContain(`spec/${NAME}.yaml`);
    expect([...paths].some((p) => p.startsWith("state/hub/workspace/"))).toBe(false); // the workspace travels once
    expect([...paths].some((p) => p.startsWith("knowledge/"))).toBe(false); // only with --with-knowledge
    expect(manifest.members.find((m) => m.path === "state/hub/cfb-mark.txt")).toMatchObject({ uid: 1000, gid: 1000, sha256: sha(mark) });
  });

  it("restores after down --volumes and the loss of .env and the workspaces: healthy, mark back, same tokens, same checksums", async () => {
    const down = await cli(["down", spec, "--out", outDir, "--volumes"]);
    expect(down.code, down.stderr).toBe(0);
    expect((await leftOvers(NAME)).volumes).toEqual([]);
    await rm(path.join(outDir, ".env"));
    await rm(path.join(outDir, "workspaces"), { recursive: true });

    const res = await cli(["restore", spec, "--out", outDir, "--from", archive, "--json"]);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ ok: true, shared: true, gateways: [{ id: "hub", capture: "stopped" }] });
    expect(res.stderr).toMatch(/every checksum matches/);

    expect(await healthz()).toMatchObject({ ok: true, status: "live" });
    const hub = await hubContainer();
    const cat = await execIn(hub.Id, ["node", "-e", `process.stdout.write(require("fs").readFileSync(${JSON.stringify(`${CONTAINER_STATE_DIR}/cfb-mark.txt`)}, "utf8"))`]);
    expect(cat.stdout).toMatch(/^mark-[0-9a-f]{16}$/);
    expect(sha(cat.stdout)).toBe(manifest.members.find((m) => m.path === "state/hub/cfb-mark.txt")!.sha256);

    // .env: the same bytes (so the same tokens), mode 0600.
    expect((await readFile(path.join(outDir, ".env"))).equals(envBefore)).toBe(true);
    expect((await stat(path.join(outDir, ".env"))).mode & 0o777).toBe(0o600);

    // Every host file of the archive is back with its checksum, mode and owner.
    for (const m of manifest.members.filter((x) => x.type === "file" && /^(files|workspaces)\//.test(x.path))) {
      const rel = m.path.startsWith("files/") ? m.path.slice("files/".length) : m.path;
      const p = path.join(outDir, rel);
      expect(sha(await readFile(p)), p).toBe(m.sha256);
      const st = await stat(p);
      expect(st.mode & 0o777, p).toBe(m.mode & 0o777);
      expect(st.uid, p).toBe(m.uid);
    }
    // Every state file is back; those the running gateway does not rewrite (all but its SQLite
    // databases, locks and logs) with the same checksum.
    const now = await stateHashes();
    const stateFiles = manifest.members.filter((x) => x.type === "file" && x.path.startsWith("state/hub/"));
    expect(stateFiles.length).toBeGreaterThan(2);
    let compared = 0;
    for (const m of stateFiles) {
      const rel = m.path.slice("state/hub/".length);
      if (/(^|\/)(tmp|logs)\//.test(rel) || /\.sqlite(-wal|-shm|-journal)?$/.test(rel)) continue;
      expect(now.get(rel), rel).toBe(m.sha256);
      compared++;
    }
    expect(compared).toBeGreaterThan(1);
    // The volume was recreated by compose, with clawfed's labels.
    const vols = await engine.listVolumes({ [LABELS.federation]: NAME, [LABELS.kind]: "state" });
    expect(vols.map((x) => x.name)).toEqual([`${NAME}_hub-state`]);
  });
});

describe("hostile or damaged archives change nothing", () => {
  /** A .tar.gz with a consistent manifest plus `extra` entries (the manifest does not list them). */
  async function crafted(name: string, extra: Array<{ name: string; type: tarStream.Header["type"]; linkname?: string; content?: string }>): Promise<string> {
    const body = "x";
    const m: Manifest = {
      format: FORMAT,
      formatVersion: FORMAT_VERSION,
      createdAt: new Date().toISOString(),
      clawfedVersion: "0.1.0",
      openclawVersion: "2026.9.6",
      federation: NAME,
      spec: { file: `${NAME}.yaml`, sha256: "0".repeat(64), member: `spec/${NAME}.yaml` },
      outDir,
      gateways: [{ id: "hub", role: "hub", image: TEST_IMAGE, stateSource: { kind: "volume", volume: `${NAME}_hub-state` }, capture: "stopped", wasRunning: false }],
      shared: false,
      knowledge: {},
      skipped: [],
      members: [
        { path: "state/hub", type: "dir", size: 0, mode: 0o700, uid: 1000, gid: 1000, mtime: 1_700_000_000 },
        { path: "state/hub/a", type: "file", size: 1, sha256: sha(body), mode: 0o600, uid: 1000, gid: 1000, mtime: 1_700_000_000 },
      ],
      totals: { files: 1, dirs: 1, bytes: 1 },
    };
    const pack = tarStream.pack();
    const chunks: Buffer[] = [];
    const done = (async () => {
      for await (const c of pack as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
    })();
    const add = (h: tarStream.Header | Partial<tarStream.Header> & { name: string }, content?: string) =>
      new Promise<void>((resolve, reject) => {
        const cb = (e?: Error | null) => (e ? reject(e) : resolve());
        if (content !== undefined) pack.entry({ uid: 1000, gid: 1000, mtime: new Date(1_700_000_000_000), ...h }, content, cb);
        else pack.entry({ uid: 1000, gid: 1000, mtime: new Date(1_700_000_000_000), ...h }, cb).end(undefined);
      });
    await add({ name: "state/hub/", type: "directory", mode: 0o700 });
    await add({ name: "state/hub/a", type: "file", mode: 0o600 }, body);
    for (const e of extra) await add({ name: e.name, type: e.type, linkname: e.linkname, mode: 0o644 }, e.type === "file" ? e.content ?? "" : undefined);
    await add({ name: "manifest.json", type: "file", mode: 0o600 }, JSON.stringify(m));
    pack.finalize();
    await done;
    const file = path.join(root, name);
    await writeFile(file, gzipSync(Buffer.concat(chunks)), { mode: 0o600 });
    return file;
  }

  async function federationState() {
    const c = await hubContainer();
    return { id: c.Id, running: c.State.Running, startedAt: c.State.StartedAt, tree: await snapshotTree(outDir), state: await stateHashes() };
  }

  it.each([
    ["corrupted", "corrupt", /not a valid \.tar\.gz|checksum mismatch|corrupt|truncated/],
    ["with a ../ entry", "traversal", /path traversal/],
    ["with a symlink", "symlink", /symbolic link; only regular files and directories are allowed/],
  ])("an archive %s is refused with a clear message, even with --force", async (_what, kind, reason) => {
    const escape = path.join(root, `escaped-${kind}`);
    let bad: string;
    if (kind === "corrupt") {
      const good = await readFile(archive);
      const copy = Buffer.from(good);
      for (let i = 0; i < 16; i++) copy[Math.floor(copy.length * (0.3 + i * 0.02))]! ^= 0x5a;
      bad = path.join(root, "corrupt.tar.gz");
      await writeFile(bad, copy, { mode: 0o600 });
    } else if (kind === "traversal") {
      const rel = path.relative(path.join(outDir, "workspaces", "hub"), escape);
      bad = await crafted("traversal.tar.gz", [{ name: `workspaces/hub/${rel}`, type: "file", content: "pwned" }]);
      expect(rel.startsWith("..")).toBe(true);
    } else {
      bad = await crafted("symlink.tar.gz", [{ name: "state/hub/evil", type: "symlink", linkname: "/etc" }]);
    }
    await chmod(bad, 0o600);
    const before = await federationState();

    const v = await cli(["backup", "verify", bad]);
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(reason);
    const r = await cli(["restore", spec, "--out", outDir, "--from", bad, "--force", "--json"]);
    expect(r.code, r.stderr).toBe(1);
    const err = JSON.parse(r.stdout) as { ok: boolean; error: string; message: string };
    expect(err).toMatchObject({ ok: false, error: "archive" });
    expect(err.message).toMatch(reason);

    const after = await federationState();
    expect(after.id).toBe(before.id);
    expect(after.running).toBe(true);
    expect(after.startedAt).toBe(before.startedAt);
    expect([...after.tree.keys()]).toEqual([...before.tree.keys()]);
    for (const [k, e] of before.tree) if (e.kind === "file") expect(after.tree.get(k)?.content, k).toBe(e.content);
    expect(existsSync(escape)).toBe(false);
    expect(await healthz()).toMatchObject({ ok: true, status: "live" });
  });

  it("a restore over the running gateway without --force is refused and changes nothing", async () => {
    const before = await hubContainer();
    const r = await cli(["restore", spec, "--out", outDir, "--from", archive]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/refusing to restore over running gateway\(s\): hub; nothing was changed/);
    const after = await hubContainer();
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
  });
});

describe("--live", () => {
  it("includes an `openclaw backup create --verify` archive that `openclaw backup verify` accepts, without stopping the gateway", async () => {
    const before = await hubContainer();
    const live = path.join(root, "live.tar.gz");
    const res = await cli(["backup", spec, live, "--out", outDir, "--live"]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/hub: live \(openclaw backup create --verify\)/);
    expect(res.stdout).toMatch(/holds secrets/);
    const after = await hubContainer();
    expect(after.State.StartedAt).toBe(before.State.StartedAt);

    const v = await verifyArchive(live);
    expect(v.manifest.gateways).toEqual([expect.objectContaining({ id: "hub", capture: "live" })]);
    const inner = path.join(root, "hub-openclaw-backup.tar.gz");
    await readArchive(live, {
      onEntry: async (e, body) => {
        if (e.path !== "live/hub.tar.gz") return;
        const parts: Buffer[] = [];
        for await (const c of body!) parts.push(c);
        await writeFile(inner, Buffer.concat(parts), { mode: 0o600 });
      },
    });
    const ok = await runOpenclaw(["backup", "verify", inner, "--json"], { cwd: root, env: { HOME: root } });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, runtimeVersion: "2026.9.6" });
  });

  it("restore --force --only hub from the live archive stops the gateway, rebuilds its state with openclaw backup restore, and starts it", async () => {
    const live = path.join(root, "live.tar.gz");
    const hub = await hubContainer();
    const markPath = `${CONTAINER_STATE_DIR}/cfb-mark.txt`;
    const had = await execIn(hub.Id, ["node", "-e", `process.stdout.write(require("fs").readFileSync(${JSON.stringify(markPath)}, "utf8"))`]);
    expect(had.stdout).toMatch(/^mark-/);
    const rm1 = await execIn(hub.Id, ["node", "-e", `require("fs").rmSync(${JSON.stringify(markPath)})`]);
    expect(rm1.code).toBe(0);

    const res = await cli(["restore", spec, "--out", outDir, "--from", live, "--force", "--only", "hub", "--json"]);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ ok: true, shared: false, gateways: [{ id: "hub", capture: "live", stopped: true }] });
    const after = await hubContainer();
    expect(after.State.Running).toBe(true);
    expect(after.State.StartedAt).not.toBe(hub.State.StartedAt);
    const back = await execIn(after.Id, ["node", "-e", `const fs=require("fs");const p=${JSON.stringify(markPath)};process.stdout.write(fs.readFileSync(p,"utf8")+" "+fs.statSync(p).uid)`]);
    expect(back.stdout).toBe(`${had.stdout} 1000`);
    expect(await healthz()).toMatchObject({ ok: true, status: "live" });
  });
});
