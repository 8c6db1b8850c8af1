/**
 * Plumbing of reading a tar stream (tar-stream): one member at a time to an async handler, a
 * member's bytes hashed on the way, back-pressure, and zlib errors in words. The refusal rules
 * live in archive.ts (per member) and archive-verify.ts (against the manifest); this file only
 * moves bytes.
 */
import { createHash } from "node:crypto";
import type * as tarStream from "tar-stream";

/** A zlib error in words, for a refused `.tar.gz`. */
export function gzipMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const what = e.code === "Z_DATA_ERROR" ? "corrupt compressed data" : e.code === "Z_BUF_ERROR" ? "the file is truncated" : e.message;
  return `not a valid .tar.gz (${what}${e.code === "Z_DATA_ERROR" ? `: ${e.message}` : ""})`;
}

/** Handles one tar member; what it leaves unread of `body` is drained afterwards. */
export type TarEntryHandler = (header: tarStream.Header, body: AsyncIterable<Buffer>) => Promise<void>;

/**
 * Feed every member of a tar-stream extractor to `handle`, one at a time, until the stream ends.
 * Resolves with the first error met (a handler's or the extractor's; `onError` hears it at once,
 * e.g. to stop the input), or undefined. Never rejects.
 */
export function eachTarEntry(extract: tarStream.Extract, handle: TarEntryHandler, onError: (err: unknown) => void = () => undefined): Promise<unknown> {
  let failure: unknown;
  const note = (err: unknown) => {
    if (failure !== undefined) return;
    failure = err;
    onError(err);
  };
  return new Promise((resolve) => {
    extract.on("entry", (header, stream, next) => {
      stream.on("error", () => undefined); // a destroyed read reports through the handler's error
      const body = stream as unknown as AsyncIterable<Buffer>;
      handle(header, body).then(
        async () => {
          for await (const _ of body) void _;
          next();
        },
        (err) => {
          note(err);
          next(err as Error);
        },
      );
    });
    const end = () => resolve(failure);
    extract.on("finish", end);
    extract.on("close", end);
    extract.on("error", (err) => {
      note(err);
      end();
    });
  });
}

/** A member's bytes, hashed and counted on the way (and kept when `keep` is given). */
export function hashedBody(stream: AsyncIterable<Buffer>, keep: Buffer[] | undefined): { body: AsyncIterable<Buffer>; bytes: () => number; sha256: () => string } {
  const hash = createHash("sha256");
  let got = 0;
  let ended = false;
  const iterator = stream[Symbol.asyncIterator]();
  const body: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => ({
      async next(): Promise<IteratorResult<Buffer>> {
        if (ended) return { done: true, value: undefined };
        const r = await iterator.next();
        if (r.done) {
          ended = true;
          return r;
        }
        const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
        hash.update(chunk);
        got += chunk.length;
        keep?.push(chunk);
        return { done: false, value: chunk };
      },
    }),
  };
  return { body, bytes: () => got, sha256: () => hash.digest("hex") };
}

/** Resolves when the extractor wants more input again (or was closed). */
export function drained(extract: tarStream.Extract): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      extract.off("drain", done);
      extract.off("close", done);
      resolve();
    };
    extract.on("drain", done);
    extract.on("close", done);
  });
}
