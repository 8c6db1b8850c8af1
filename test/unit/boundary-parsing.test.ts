// Issue 9, class 5: parsing. Whatever bytes a spec file holds, and whatever its name, loading
// ends in a located SpecError (exit 1) or in exactly the spec the user sees: no alias bomb, no
// key silently replaced by another spelling of itself, no U+FFFD, no line injected into a
// generated file through the file name, and no terminal control sequence printed raw.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import fc from "fast-check";
import JSON5 from "json5";
import { parse as parseDotenv } from "dotenv";
import { parse as parseYaml } from "yaml";
import { afterEach, describe, expect, it, vi } from "vitest";
import { reportError, jsonText } from "../../src/cli/output.js";
import { generatedHeader } from "../../src/vocabulary/names.js";
import { escapeControls, formatIssue, RuntimeError, SpecError, UsageError } from "../../src/errors.js";
import { SPEC_MAX_BYTES } from "../../src/federation/decode.js";
import { loadSpecFile, loadSpecText } from "../../src/federation/load.js";
import { ALIAS_EXPANSION_MAX, YAML_MAX_DEPTH } from "../../src/federation/yaml-checks.js";
import { runCli } from "../helpers/cli.js";
import { snapshotTree } from "../helpers/tree.js";
import { tempDir } from "../helpers/tmp.js";

const GATEWAY = (id: string, port: number, role = "spoke") => `  ${id}:
    role: ${role}
    port: ${port}
    description: gateway ${port}
    model: anthropic/claude-sonnet-4-6
`;
/** A valid spec: `before` goes after `name:`, `gateways` after the hub. */
const spec = (before = "", gateways = "") => `name: t\n${before}gateways:\n${GATEWAY("hub", 18789, "hub")}${gateways}`;

async function failure(p: Promise<unknown>): Promise<SpecError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof SpecError)) throw new Error(`expected a SpecError, got ${err instanceof Error ? err.stack : String(err)}`);
  return err;
}
const where = (e: SpecError) => e.issues.map((i) => `${i.line}:${i.col} ${i.path}: ${i.message}`);

/** C0 (all of it), DEL, C1, bidi embeddings/overrides/isolates: never raw in printed text. */
const TERMINAL_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe("(a) alias bombs and other endless YAML are located refusals", () => {
  const bomb = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
  for (const [i, n] of ["b", "c", "d", "e", "f", "g", "h", "i"].entries()) {
    const prev = i === 0 ? "a" : ["b", "c", "d", "e", "f", "g", "h"][i - 1];
    bomb.push(`${n}: &${n} [${Array(9).fill(`*${prev}`).join(", ")}]`);
  }
  const billionLaughs = `${bomb.join("\n")}\n${spec()}`;

  it("billion laughs: SpecError at the alias where the expansion passes the limit", async () => {
    const e = await failure(loadSpecText(billionLaughs, "bomb.yaml"));
    expect(where(e)).toEqual([expect.stringMatching(new RegExp(`^6:\\d+ f\\.\\d+: YAML aliases expand to more than ${ALIAS_EXPANSION_MAX} nodes here`))]);
  });

  it("a recursive alias, an alias without anchor, and nesting beyond the limit", async () => {
    expect(where(await failure(loadSpecText(spec("x: &r [1, *r]\n"), "r.yaml")))).toEqual(["2:11 x.1: the alias *r is inside its own anchor: the value would never end"]);
    expect(where(await failure(loadSpecText(spec("x: *nope\n"), "n.yaml")))).toEqual(["2:4 x: the alias *nope names no anchor &nope before it"]);
    const deep = `x: ${"[".repeat(YAML_MAX_DEPTH + 1)}${"]".repeat(YAML_MAX_DEPTH + 1)}\n`;
    expect(where(await failure(loadSpecText(spec(deep), "d.yaml")))[0]).toMatch(new RegExp(`^2:\\d+ x\\.0: nests mappings and sequences more than ${YAML_MAX_DEPTH} levels deep`));
  });

  it("2 MiB of `[` or `- ` is refused by the lexer pre-check in well under a second", async () => {
    for (const body of [`x: ${"[".repeat(SPEC_MAX_BYTES - 100)}`, `x:\n  ${"- ".repeat((SPEC_MAX_BYTES - 100) / 2)}y`]) {
      const t0 = performance.now();
      const e = await failure(loadSpecText(body, "deep.yaml"));
      expect(performance.now() - t0).toBeLessThan(2000);
      expect(e.issues[0]!.message).toMatch(/nests mappings and sequences more than 64 levels deep/);
      expect(e.issues[0]!.line).toBeGreaterThan(0);
    }
  });

  it("one small anchor shared by many gateways is fine (yaml's own alias counter refused it: exit 70)", async () => {
    const many = Array.from({ length: 300 }, (_, i) => `  g${i}:\n    port: ${20000 + i}\n    description: g\n    model: *m\n`).join("");
    const text = spec("", many).replace("model: anthropic/claude-sonnet-4-6", "model: &m { primary: anthropic/claude-sonnet-4-6, fallbacks: [openai/gpt-5.4-mini] }");
    const loaded = await loadSpecText(text, "many.yaml");
    expect(loaded.federation.gateways).toHaveLength(301);
    expect(loaded.federation.gateways.every((g) => g.model.fallbacks[0] === "openai/gpt-5.4-mini")).toBe(true);
  });

  it("through the CLI: exit 1 with file:line:col, never 70, nothing written", async () => {
    const dir = await tempDir("parse");
    const file = path.join(dir, "bomb.yaml");
    await writeFile(file, billionLaughs);
    const out = path.join(dir, "out");
    await mkdir(out);
    await writeFile(path.join(out, "keep.txt"), "mine\n");
    const before = await snapshotTree(out);
    const res = await runCli(["generate", file, "--out", out]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:6:\\d+ f\\.\\d+: YAML aliases expand`));
    expect(res.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(await snapshotTree(out)).toEqual(before);
  });
});

describe("(b) keys are compared as the strings they become", () => {
  const cases: Array<[string, string, string, RegExp]> = [
    ["true and \"true\"", "true", '"true"', /duplicate key "true": line 8:3 already gives this mapping the key "true" \(written true there, "true" here\)/],
    ["1 and \"1\"", "1", '"1"', /duplicate key "1"/],
    ["0x1 and 1", "0x1", "1", /duplicate key "1".*written 0x1 there, 1 here/],
    ["null and ~", "null", "~", /duplicate key "": .*written null there, ~ here/],
    ["~ and \"\"", "~", '""', /duplicate key ""/],
    ["yes-like spellings stay distinct in YAML 1.2", "yes", '"true"', /^$/],
  ];
  for (const [name, first, second, says] of cases) {
    it(name, async () => {
      const text = spec("", `${GATEWAY(first, 18790)}${GATEWAY(second, 18791)}`);
      const err = await loadSpecText(text, "dup.yaml").then(
        () => undefined,
        (e: unknown) => e as SpecError,
      );
      const dup = err?.issues.find((i) => i.message.startsWith("duplicate key"));
      if (says.source === "^$") {
        expect(dup).toBeUndefined();
        return;
      }
      // Located at the second spelling (line 13), naming the first (line 8).
      expect(dup).toMatchObject({ line: 13, col: 3 });
      expect(dup!.message).toMatch(says);
    });
  }

  it("merge keys cannot smuggle a second copy of a key; %YAML 1.1 is refused; keys must be scalars", async () => {
    const merged = spec("", `  base: &b\n    port: 18790\n    description: b\n    model: anthropic/claude-sonnet-4-6\n  other:\n    <<: *b\n    port: 18791\n`);
    expect(where(await failure(loadSpecText(merged, "m.yaml")))).toEqual([expect.stringMatching(/^13:5 gateways\.other\.<<: merge keys \(<<\) are not supported/)]);
    expect(where(await failure(loadSpecText(`%YAML 1.1\n---\n${spec()}`, "v.yaml")))).toEqual([expect.stringMatching(/^1:1 : declares %YAML 1\.1; clawfed reads YAML 1\.2/)]);
    expect(where(await failure(loadSpecText(spec("? [a, b]\n: 1\n"), "k.yaml")))).toEqual(["2:3 : a sequence is used as a key"]);
    expect(where(await failure(loadSpecText(spec("x: &k a\n*k : 1\n"), "k.yaml")))).toEqual(["3:1 : an alias (*k) is used as a key"]);
  });

  it("property: whatever two scalar spellings name the gateways, either both gateways load or a duplicate is reported", async () => {
    const spelling = fc.oneof(
      fc.constantFrom("true", "True", "TRUE", "false", "null", "Null", "~", "1", "01", "0x1", "0o1", "1.0", "1e0", ".inf", "-.inf", ".nan", "0", "-0", "+1", "a", "yes"),
      fc.stringMatching(/^[a-z0-9]{1,3}$/),
    );
    const quoted = fc.tuple(spelling, fc.boolean()).map(([s, q]) => (q ? JSON.stringify(s) : s));
    await fc.assert(
      fc.asyncProperty(quoted, quoted, async (a, b) => {
        const text = spec("", `${GATEWAY(a, 18790)}${GATEWAY(b, 18791)}`);
        try {
          const loaded = await loadSpecText(text, "p.yaml");
          expect(loaded.federation.gateways).toHaveLength(3);
        } catch (err) {
          expect(err).toBeInstanceOf(SpecError);
          const keys = parseYaml(text.replace(/^name: t\n/, ""), { uniqueKeys: false }) as { gateways: Record<string, unknown> };
          // The only refusals: the same JS key twice (reported), or an id the id rule refuses.
          if (Object.keys(keys.gateways).length < 3) expect((err as SpecError).issues.some((i) => i.message.startsWith("duplicate key"))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("(c) bytes: UTF-8 only, no NUL, no UTF-16; a UTF-8 BOM is fine", () => {
  async function fileWith(bytes: Buffer, name = "s.yaml"): Promise<string> {
    const dir = await tempDir("bytes");
    const file = path.join(dir, name);
    await writeFile(file, bytes);
    return file;
  }
  const good = Buffer.from(spec());

  it("an invalid UTF-8 byte is refused at its line and column (never U+FFFD in the outputs)", async () => {
    const bad = Buffer.concat([Buffer.from("name: t\ndescription: caf"), Buffer.from([0xe9]), Buffer.from(" noir\n"), good.subarray(8)]);
    const e = await failure(loadSpecFile(await fileWith(bad)));
    expect(where(e)).toEqual(["2:17 : is not valid UTF-8: byte 0xe9 does not start or continue a UTF-8 character"]);
    expect(e.issues[0]!.hint).toMatch(/save the file as UTF-8/);
  });

  it("overlong forms, surrogates and truncated sequences are invalid too", async () => {
    for (const seq of [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]]) {
      const bytes = Buffer.concat([Buffer.from("name: t\n# é ok, then: "), Buffer.from(seq)]);
      const e = await failure(loadSpecFile(await fileWith(bytes)));
      expect(where(e)[0]).toMatch(/^2:15 : is not valid UTF-8/);
    }
  });

  it("NUL, raw ESC and UTF-16 are refused; a UTF-8 BOM is accepted", async () => {
    const nul = Buffer.concat([Buffer.from("name: t\nx: a"), Buffer.from([0]), good.subarray(8)]);
    expect(where(await failure(loadSpecFile(await fileWith(nul))))).toEqual(["2:5 : contains a NUL byte; YAML text cannot"]);
    const esc = Buffer.from(spec("description: \u001b[2Jgone\n"));
    expect(where(await failure(loadSpecFile(await fileWith(esc))))).toEqual(["2:14 : contains the control character U+001B (ESC); YAML allows only printable characters"]);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(spec(), "utf16le")]);
    expect(where(await failure(loadSpecFile(await fileWith(utf16))))).toEqual([expect.stringMatching(/^1:1 : is UTF-16 or UTF-32/)]);
    const utf16NoBom = Buffer.from(spec(), "utf16le");
    expect(where(await failure(loadSpecFile(await fileWith(utf16NoBom))))[0]).toMatch(/NUL byte/);
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), good]);
    await expect(loadSpecFile(await fileWith(bom))).resolves.toMatchObject({ spec: { name: "t" } });
  });

  it("(f) a spec larger than 2 MiB is refused before it is parsed, saying the limit", async () => {
    const big = Buffer.concat([good, Buffer.from(`# ${"x".repeat(SPEC_MAX_BYTES)}\n`)]);
    const e = await failure(loadSpecFile(await fileWith(big)));
    expect(e.issues).toEqual([expect.objectContaining({ line: 0, message: expect.stringMatching(/is 2\.0 MiB; a federation spec may be at most 2 MiB/) })]);
    await expect(failure(loadSpecText(big.toString(), "big.yaml"))).resolves.toBeInstanceOf(SpecError);
  });
});

describe("(d) the spec file name never reaches a generated file raw", () => {
  it("property: the header is one line free of controls and comment terminators", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), fc.string({ maxLength: 10 }), (name, extra) => {
        const h = generatedHeader(`${name}\n-->*/--!>${extra}`);
        expect(h).not.toMatch(TERMINAL_UNSAFE);
        expect(h).not.toMatch(/[\u2028\u2029\ufeff\u0085]/);
        expect(h).not.toContain("--");
        expect(h).not.toContain("*/");
        expect(h.startsWith("generated by clawfed from ")).toBe(true);
        expect(h.endsWith(": edit the spec, not this file")).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("a file name with newlines, `-->` and `*/` generates the same files, line for line, as a plain name", async () => {
    const dir = await tempDir("name");
    const text = spec("comms: { heartbeat: 30m }\n", GATEWAY("s1", 18909)) + "links:\n  - { from: hub, to: s1, transports: [a2a, hooks, mailbox] }\n";
    const evilName = "evil\nINJECTED=1\n# -->\n*/ <!-- \r.yaml";
    await mkdir(path.join(dir, path.dirname(evilName)));
    await writeFile(path.join(dir, evilName), text);
    await writeFile(path.join(dir, "plain.yaml"), text);
    const outs: Array<Map<string, { content?: string }>> = [];
    for (const name of [evilName, "plain.yaml"]) {
      const out = path.join(dir, name === evilName ? "out-evil" : "out-plain");
      const res = await runCli(["generate", path.join(dir, name), "--out", out]);
      expect(res.code, res.stderr).toBe(0);
      outs.push(await snapshotTree(out));
    }
    const [evil, plain] = outs as [Map<string, { content?: string }>, Map<string, { content?: string }>];
    expect([...evil.keys()]).toEqual([...plain.keys()]);
    for (const [rel, e] of evil) {
      if (e.content === undefined) continue;
      const p = plain.get(rel)!.content!;
      expect(e.content.split("\n").length, rel).toBe(p.split("\n").length);
      expect(e.content, rel).not.toMatch(/^INJECTED=1$/m);
      expect(e.content, rel).not.toMatch(/\r/);
    }
    expect(parseYaml(evil.get("docker-compose.yml")!.content!)).toEqual(parseYaml(plain.get("docker-compose.yml")!.content!));
    expect(JSON5.parse(evil.get("gateways/hub/openclaw.json")!.content!)).toEqual(JSON5.parse(plain.get("gateways/hub/openclaw.json")!.content!));
    expect(Object.keys(parseDotenv(evil.get(".env")!.content!))).toEqual(Object.keys(parseDotenv(plain.get(".env")!.content!)));
    const header = generatedHeader(path.join(dir, evilName));
    expect(header).toContain("evil\\nINJECTED=1\\n# -\\x2d>\\n*\\x2f <!-\\x2d \\r.yaml: edit the spec");
    // Markdown templates may escape the header further (render/templates.ts); it stays one closed comment.
    const readmeFirst = evil.get("README.md")!.content!.split("\n")[0]!;
    expect(readmeFirst).toMatch(/^<!-- generated by clawfed from .*: edit the spec, not this file -->$/);
    expect(readmeFirst.indexOf("-->")).toBe(readmeFirst.length - 3);
    expect(evil.get("docker-compose.yml")!.content!.split("\n")[0]).toBe(`# ${header}`);
    expect(evil.get("gateways/hub/openclaw.json")!.content!.split("\n")[0]).toBe(`// ${header}`);
  });
});

describe("(e) nothing printed carries a terminal control sequence", () => {
  const stderr: string[] = [];
  const stdout: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    stderr.length = 0;
    stdout.length = 0;
  });
  function capture(): void {
    vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => (stderr.push(String(s)), true));
    vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => (stdout.push(String(s)), true));
  }
  const evil = "\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202egnp.exe\u2066\r\nfake: line\u0000\u007f";

  it("property: formatIssue escapes every part; escapeControls loses nothing printable", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 30 }), fc.string({ unit: "binary", maxLength: 30 }), fc.string({ unit: "binary" }), fc.option(fc.string({ unit: "binary" })), (file, key, message, hint) => {
        const line = formatIssue({ file, line: 3, col: 4, path: key, message, ...(hint === null ? {} : { hint }) });
        expect(line).not.toMatch(TERMINAL_UNSAFE);
        expect(line).not.toMatch(/[\u2028\u2029]/);
        const plain = message.replace(/[^\x20-\x7e]/g, "");
        expect(escapeControls(plain)).toBe(plain);
      }),
      { numRuns: 500 },
    );
  });

  it("reportError escapes every error class in text; --json keeps the raw strings in escaped JSON", () => {
    capture();
    const errors = [
      new SpecError([{ file: `f${evil}.yaml`, line: 1, col: 2, path: `gateways.${evil}`, message: `bad ${evil}`, hint: `fix ${evil}` }]),
      new UsageError(`usage ${evil}`, { hint: evil }),
      new RuntimeError(`runtime ${evil}`, { next: `next ${evil}` }),
      new Error(`bug ${evil}`),
      `thrown string ${evil}`,
    ];
    expect(errors.map((e) => reportError(e, false))).toEqual([1, 2, 3, 70, 70]);
    const text = stderr.join("");
    expect(text.replace(/\n/g, "")).not.toMatch(TERMINAL_UNSAFE);
    expect(text).toContain("\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202egnp.exe\\u2066\\r\\nfake: line\\x00\\x7f");
    stderr.length = 0;
    // A SpecError is exactly one line per issue: the \n from the spec cannot fake a second issue.
    reportError(errors[0], false);
    expect(stderr.join("").split("\n")).toEqual(["1 problem in the federation spec:", expect.stringMatching(/^ {2}f\\x1b\]0;pwned.*\(fix .*\)$/), ""]);
    stderr.length = 0;
    for (const e of errors) reportError(e, true);
    expect(stdout.join("")).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    const first = JSON.parse(stdout[0]!) as { issues: Array<{ message: string }> };
    expect(first.issues[0]!.message).toBe(`bad ${evil}`);
    expect(JSON.parse(jsonText({ s: evil }))).toEqual({ s: evil });
  });

  it("an ESC in a gateway id and description: exit 1, escaped on stderr, nothing written", async () => {
    const dir = await tempDir("esc");
    const file = path.join(dir, "esc.yaml");
    await writeFile(file, spec("", `  "s\\e[2Jx":\n    port: 18909\n    description: "\\e]0;title\\a\\e[31mred"\n    model: anthropic/claude-sonnet-4-6\n`));
    const out = path.join(dir, "out");
    const before = await snapshotTree(dir);
    const res = await runCli(["generate", file, "--out", out]);
    expect(res.code).toBe(1);
    expect(res.stderr).not.toMatch(/[\u001b\u0007\u009b]/);
    expect(res.stderr).toContain(`${file}:10:18 gateways.s\\x1b[2Jx.description: `);
    expect(await snapshotTree(dir)).toEqual(before);
    const json = await runCli(["validate", file, "--json"]);
    expect(json.code).toBe(1);
    expect(json.stdout).not.toMatch(/[\u001b\u0007\u009b]/);
    expect((JSON.parse(json.stdout) as { issues: Array<{ path: string }> }).issues.map((i) => i.path)).toContain("gateways.s\u001b[2Jx.description");
  });

  it("an ESC in a gateway id is refused at the key and printed escaped", async () => {
    const e = await failure(loadSpecText(spec("", GATEWAY('"s\\e[2Jx"', 18909)), "id.yaml"));
    expect(e.issues).toEqual([expect.objectContaining({ line: 8, col: 3, path: "gateways.s\u001b[2Jx" })]);
    expect(e.message).not.toMatch(/\u001b/);
    expect(formatIssue(e.issues[0]!)).toMatch(/^id\.yaml:8:3 gateways\.s\\x1b\[2Jx: gateway id "s\\x1b\[2Jx" must be/);
  });
});
