/** Docker's multiplexed log stream, split into stdout and stderr chunks. */
import type { LogChunk } from "./types.js";

/**
 * Split Docker's multiplexed log stream (8-byte frame headers: stream type, 3 zero bytes,
 * big-endian length) into chunks; frames may be split across reads.
 */
export async function* demuxDockerStream(source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>): AsyncGenerator<LogChunk> {
  let buf = Buffer.alloc(0);
  for await (const piece of source) {
    buf = Buffer.concat([buf, typeof piece === "string" ? Buffer.from(piece) : piece]);
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      const kind = buf[0];
      const data = buf.subarray(8, 8 + size);
      buf = buf.subarray(8 + size);
      if (size > 0) yield { stream: kind === 2 ? "stderr" : "stdout", data: Buffer.from(data) };
    }
  }
  if (buf.length > 0) yield { stream: "stdout", data: buf };
}
