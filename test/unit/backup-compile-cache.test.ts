// A gateway's compile cache (src/vocabulary/compile-cache.ts) is code Node runs: backups leave it
// out (readState) and restores never write it (StateWriter), whatever an archive holds.
import { Readable } from "node:stream";
import * as tarStream from "tar-stream";
import { describe, expect, it } from "vitest";
import type { Engine } from "../../src/runtime/docker/types.js";
import { readState, StateWriter } from "../../src/runtime/backup/state.js";
import { inStateCompileCache } from "../../src/vocabulary/compile-cache.js";

async function tarOf(entries: Array<{ name: string; body?: string }>): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const e of entries) pack.entry({ name: e.name, type: e.body === undefined ? "directory" : "file", mode: 0o700 }, e.body as string); // undefined for a directory: tar-stream takes no body then
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function namesIn(tar: Readable): Promise<string[]> {
  const extract = tarStream.extract();
  const names: string[] = [];
  extract.on("entry", (h, s, next) => {
    names.push(h.name.replace(/\/$/, ""));
    s.resume();
    s.on("end", next);
  });
  const done = new Promise<void>((r) => extract.on("finish", () => r()));
  tar.pipe(extract);
  await done;
  return names;
}

/** Only the archive calls the state helpers make; everything else is unused here. */
function fakeEngine(archive: Buffer): { engine: Engine; put: Promise<string[]> } {
  let resolvePut!: (n: string[]) => void;
  const put = new Promise<string[]>((r) => (resolvePut = r));
  const engine = {
    createIdle: async () => "helper",
    remove: async () => undefined,
    getArchive: async () => Readable.from([archive]),
    putArchive: async (_id: string, _path: string, tar: Readable) => resolvePut(await namesIn(tar)),
  } as unknown as Engine;
  return { engine, put };
}

const STATE = [
  { name: "state" },
  { name: "state/openclaw.json", body: "{}" },
  { name: "state/compile-cache" },
  { name: "state/compile-cache/v24/abc", body: "code" },
  { name: "state/compile-cache-notes.txt", body: "kept: only the cache folder itself is left out" },
];

describe("the compile cache in backups and restores", () => {
  it("inStateCompileCache names the folder and what is inside it, nothing else", () => {
    expect(["compile-cache", "compile-cache/x", "compile-cache/v24/abc"].every(inStateCompileCache)).toBe(true);
    expect(["", "compile-cache-notes.txt", "agents/compile-cache", "compile-cachex/y"].some(inStateCompileCache)).toBe(false);
  });

  it("readState never hands the cache to the backup", async () => {
    const { engine } = fakeEngine(await tarOf(STATE));
    const seen: string[] = [];
    await readState(engine, { image: "img", source: { volume: "v" } as never, federation: "f" }, {
      entry: async (e, body) => {
        seen.push(e.rel);
        for await (const _ of body ?? []) void _;
      },
      skip: () => undefined,
    });
    expect(seen).toEqual(["", "openclaw.json", "compile-cache-notes.txt"]);
  });

  it("StateWriter never writes an archive's cache into a state", async () => {
    const { engine, put } = fakeEngine(Buffer.alloc(0));
    const w = await StateWriter.open(engine, { image: "img", source: { volume: "v" } as never, federation: "f" });
    const meta = { size: 0, mode: 0o700, uid: 1000, gid: 1000, mtime: 0 };
    await w.add({ ...meta, type: "dir" }, "", null);
    await w.add({ ...meta, type: "dir" }, "compile-cache", null);
    await w.add({ ...meta, type: "file", size: 4 }, "compile-cache/v24/abc", Readable.from([Buffer.from("code")]));
    await w.add({ ...meta, type: "file", size: 2 }, "openclaw.json", Readable.from([Buffer.from("{}")]));
    await w.close();
    expect(await put).toEqual(["state", "state/openclaw.json"]);
  });
});
