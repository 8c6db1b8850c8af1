// Docker's multiplexed log stream format (8-byte frame headers), split across arbitrary reads.
import { describe, expect, it } from "vitest";
import { demuxDockerStream } from "../../src/runtime/docker/demux.js";

function frame(kind: 1 | 2, s: string): Buffer {
  const body = Buffer.from(s);
  const h = Buffer.alloc(8);
  h[0] = kind;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
}

describe("demuxDockerStream", () => {
  it("splits frames into stdout and stderr, across arbitrary reads", async () => {
    const all = Buffer.concat([frame(1, "out one\n"), frame(2, "err one\n"), frame(1, "out two\n")]);
    for (const size of [1, 3, 8, 9, 1000]) {
      const pieces: Buffer[] = [];
      for (let i = 0; i < all.length; i += size) pieces.push(all.subarray(i, i + size));
      const got: string[] = [];
      for await (const c of demuxDockerStream(pieces)) got.push(`${c.stream}:${c.data.toString()}`);
      expect(got).toEqual(["stdout:out one\n", "stderr:err one\n", "stdout:out two\n"]);
    }
  });
});
