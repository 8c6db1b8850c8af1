// Redaction of streamed logs (secrets split across chunks).
import { describe, expect, it } from "vitest";
import { StreamRedactor } from "../../src/runtime/logs.js";

const SECRET = "s3cr3t-T0ken-abcdefghijklmnopqrstuvwxyz0123456789";
const OTHER = "another-secret-value";

function feed(pieces: string[], secrets = [SECRET, OTHER]): string {
  const r = new StreamRedactor(secrets);
  let out = "";
  for (const p of pieces) out += r.push(p);
  return out + r.end();
}

describe("StreamRedactor", () => {
  const text = `boot ok\ntoken=${SECRET} and ${OTHER}\npartial ${SECRET}`;
  it("redacts a secret split at every possible place", () => {
    for (let i = 0; i <= text.length; i++) {
      for (const j of [i, Math.min(text.length, i + 7)]) {
        const out = feed([text.slice(0, i), text.slice(i, j), text.slice(j)]);
        expect(out).toBe(`boot ok\ntoken=<redacted> and <redacted>\npartial <redacted>`);
      }
    }
  });
  it("redacts one character at a time", () => {
    expect(feed([...text])).not.toContain("s3cr3t");
  });
  it("writes complete lines at once and holds back only a possible secret start", () => {
    const r = new StreamRedactor([SECRET]);
    expect(r.push("line one\nline t")).toBe("line one\n");
    const long = "x".repeat(200);
    expect(r.push(long)).toBe(`line t${long}`.slice(0, -(SECRET.length - 1)));
    expect(r.end()).toBe("x".repeat(SECRET.length - 1));
  });
  it("passes text through without secrets", () => {
    expect(feed(["a", "b\n", "c"], [])).toBe("ab\nc");
  });
});
