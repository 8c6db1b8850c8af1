// One flag vocabulary (--out is the output folder everywhere; old spellings still work with a
// warning), one redaction of everything the CLI prints, one table formatter.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { backupPaths } from "../../src/cli/commands/backup.js";
import { table } from "../../src/cli/format.js";
import { clean, printJson, progress } from "../../src/cli/output.js";
import { UsageError } from "../../src/errors.js";
import { rememberSecrets, redactKnown } from "../../src/runtime/redact.js";

let err = "";
let out = "";
const writes = { err: process.stderr.write, out: process.stdout.write };
beforeEach(() => {
  err = "";
  out = "";
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
});
afterEach(() => {
  process.stderr.write = writes.err;
  process.stdout.write = writes.out;
});

describe("backup: --out is the folder, the archive is --file or the positional", () => {
  it("new spellings, no warning", () => {
    expect(backupPaths(undefined, { out: "o", file: "a.tar.gz" })).toEqual({ out: "o", file: "a.tar.gz" });
    expect(backupPaths("a.tar.gz", { out: "o" })).toEqual({ out: "o", file: "a.tar.gz" });
    expect(err).toBe("");
  });
  it("old spellings (--dir folder, --out archive) still work, with warnings", () => {
    expect(backupPaths(undefined, { dir: "o", out: "a.tar.gz" })).toEqual({ out: "o", file: "a.tar.gz" });
    expect(err).toMatch(/--dir is deprecated; use --out/);
    expect(err).toMatch(/the archive is --file/);
    err = "";
    expect(backupPaths(undefined, { out: "backups/x.tgz" })).toEqual({ out: undefined, file: "backups/x.tgz" });
    expect(err).toMatch(/the archive is --file/);
  });
  it("an archive given twice is a usage error", () => {
    expect(() => backupPaths("a.tar.gz", { file: "b.tar.gz" })).toThrow(UsageError);
    expect(() => backupPaths(undefined, { dir: "o", out: "a.tar.gz", file: "b.tar.gz" })).toThrow(UsageError);
  });
});

describe("one redaction of everything the CLI prints", () => {
  it("results, progress and JSON lose every remembered secret", () => {
    const secret = "tok-5f1e0c9b7a3d4e2f8a6b";
    rememberSecrets([secret]);
    expect(redactKnown(`a ${secret} b`)).toBe("a <redacted> b");
    expect(clean(`x${secret}`)).toBe("x<redacted>");
    progress(`line with ${secret}`);
    printJson({ message: `has ${secret}` });
    expect(err).toBe("line with <redacted>\n");
    expect(JSON.parse(out)).toEqual({ message: "has <redacted>" });
  });
});

describe("table", () => {
  it("aligns columns with two spaces, trims line ends, escapes control characters", () => {
    expect(table([["A", "BB"], ["ccc", "d"], ["e\x1b[31m", ""]])).toBe("A          BB\nccc        d\ne\\x1b[31m");
  });
});
