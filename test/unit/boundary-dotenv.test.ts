// Issue 9, class 10: a user secret in `.env` survives any number of regenerations byte for byte,
// and every reader gets the same value: clawfed/OpenClaw (npm dotenv), docker-compose v1
// (python-dotenv, and the real binary's `${VAR}` interpolation), docker compose v2 and systemd
// (by the forms render/serialize.ts dotenvValue restricts itself to). A value no quoting can carry
// for all of them is refused with the variable's name and its .env line, never its value, and the
// output folder is left as it was.
import { execFileSync, spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import fc from "fast-check";
import { parse as parseYaml } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { SpecError } from "../../src/errors.js";
import { generate } from "../../src/ops/generate.js";
import { dotenvValue, DotenvValueError } from "../../src/render/serialize.js";
import { tempDir } from "../helpers/tmp.js";
import { snapshotTree } from "../helpers/tree.js";

/** Strings with the characters every .env reader treats specially, densely. */
const special = fc.string({ unit: fc.constantFrom("'", '"', "`", "$", "\\", "#", "=", "\n", " ", "\t", "{", "}", "a", "B", "1", "é", "\u00a0", "\u2028"), maxLength: 12 });
/** Any value a user may put in .env. */
const anyValue = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 24 }),
  fc.string({ unit: "binary", maxLength: 16 }),
  special,
  fc.constantFrom("pa'ss\"word", `it's "quoted"`, "'lead", '"lead', "x\\", "a\\\\b", "${HOME}", "$HOME", "multi\nline", "a'b\nc", "  spaced  ", "#hash", "q'\"$"),
);

/** dotenvValue's form, or the refusal reason. */
function render(v: string): { text: string } | { refused: string } {
  try {
    return { text: dotenvValue(v) };
  } catch (err) {
    expect(err).toBeInstanceOf(DotenvValueError);
    return { refused: (err as Error).message };
  }
}

describe("dotenvValue: what it writes, dotenv reads back exactly, and writing that again gives the same bytes", () => {
  it("holds for arbitrary strings (and the neighbouring lines are never disturbed)", () => {
    fc.assert(
      fc.property(anyValue, (v) => {
        const r = render(v);
        if ("refused" in r) {
          if (v.length >= 8) expect(r.refused.includes(v)).toBe(false); // the reason never quotes the value
          return;
        }
        const parsed = parseDotenv(`# head\nBEFORE=1\nK=${r.text}\n# K is above\nAFTER=2\n`);
        expect(parsed).toEqual({ BEFORE: "1", K: v, AFTER: "2" });
        expect(dotenvValue(parsed.K!)).toBe(r.text); // fixed point
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ["both quotes", "pa'ss\"word", "pa'ss\"word"],
    ["both quotes and spaces", `it's "quoted"`, `it's "quoted"`],
    ["a dollar (compose v2 would interpolate it unquoted)", "a$b", "'a$b'"],
    ["a backslash", "a\\b", "'a\\b'"],
    ["a line break", "multi\nline", "'multi\nline'"],
    ["a quote and a line break", "it's\nhere", '"it\'s\nhere"'],
    ["plain", "abc-DEF_1.2:3@4+5,6=7/8", "abc-DEF_1.2:3@4+5,6=7/8"],
    ["empty", "", ""],
  ])("%s", (_what, v, text) => {
    expect(dotenvValue(v)).toBe(text);
    expect(parseDotenv(`K=${text}\n`).K).toBe(v);
  });

  it.each([
    ["', \" and a line break", "a'b\"c\nd", /holds ', ", a line break together/],
    ["', \" and a leading space", " a'b\"c", /a leading or trailing space/],
    ["', ` , \" , a line break and $ together", "'`\"\n$", /holds ', ", \$, a line break, a leading quote together/],
    ["${…} (docker-compose v1 substitutes it even in single quotes) and a quote", "${X}'\"", /\$\{…\}/],
    ["a carriage return", "a\rb", /carriage return/],
    ["a NUL", "a\0b", /NUL/],
  ])("refuses a value with %s, saying why without quoting it", (_what, v, reason) => {
    const r = render(v);
    expect(r).toMatchObject({ refused: expect.stringMatching(reason) });
  });
});

/** python3 with the python-dotenv that docker-compose v1 uses, if present. */
function pythonDotenv(): string | undefined {
  const r = spawnSync("python3", ["-c", "import dotenv"], { encoding: "utf8" });
  return r.status === 0 ? "python3" : undefined;
}

describe("docker-compose v1 reads the same values", () => {
  const values = fc.sample(anyValue, { numRuns: 400, seed: 9010 }).filter((v) => "text" in render(v));
  let dir: string;
  let envText: string;
  const key = (i: number) => `CLAWFED_T_${i}`;
  beforeAll(async () => {
    dir = await tempDir("dotenv-compose");
    envText = values.map((v, i) => `# value ${i}\n${key(i)}=${dotenvValue(v)}\n`).join("");
    await writeFile(path.join(dir, ".env"), envText);
  });

  it("python-dotenv (docker-compose v1's .env parser, with its ${…} interpolation) gives every value back", (ctx) => {
    const py = pythonDotenv();
    if (!py) {
      ctx.skip("python3 with the dotenv module (python3-dotenv, a docker-compose v1 dependency) is not installed");
      return;
    }
    const out = execFileSync(py, ["-c", "import dotenv,json,sys; print(json.dumps(dotenv.dotenv_values(sys.argv[1], encoding='utf-8-sig', interpolate=True)))", path.join(dir, ".env")], { encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });
    const got = JSON.parse(out) as Record<string, string>;
    values.forEach((v, i) => expect(got[key(i)], JSON.stringify(v)).toBe(v));
  });

  it("the real docker-compose v1 binary interpolates ${VAR} in a compose file with exactly the value", (ctx) => {
    const which = spawnSync("sh", ["-c", "command -v docker-compose"], { encoding: "utf8" });
    if (which.status !== 0) {
      ctx.skip("docker-compose (v1) is not on PATH: install it (apt-get install docker-compose) to run this check");
      return;
    }
    // `config` prints YAML 1.1, where U+0085, U+2028 and U+2029 are line breaks that a YAML reader
    // folds: values with those are checked by python-dotenv above, not through this printout.
    const shown = values.map((v, i) => [v, i] as const).filter(([v]) => !/[\u0085\u2028\u2029]/.test(v));
    const compose = { services: { s: { image: "busybox", environment: Object.fromEntries(shown.map(([, i]) => [key(i), `\${${key(i)}}`])) } } };
    const file = path.join(dir, "docker-compose.yml");
    execFileSync("sh", ["-c", 'cat > "$1"', "sh", file], { input: JSON.stringify(compose) });
    const out = execFileSync("docker-compose", ["-f", file, "--project-directory", dir, "config"], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });
    const env = (parseYaml(out) as { services: { s: { environment: Record<string, string | number | null> } } }).services.s.environment;
    // `config` prints `$` as `$$` so that its output can be read again.
    expect(shown.length).toBeGreaterThan(100);
    for (const [v, i] of shown) expect(String(env[key(i)] ?? "").replace(/\$\$/g, "$"), JSON.stringify(v)).toBe(v);
  });
});

/** Node and OpenClaw entry the systemd units name (given, so no OpenClaw install is needed). */
const HOST = { node: process.execPath, entry: "/opt/openclaw/openclaw.mjs" };

describe("through the real writer: 5 regenerations keep every value byte for byte", () => {
  let specDir: string;
  let spec: string;
  beforeAll(async () => {
    specDir = await tempDir("dotenv-spec");
    spec = path.join(specDir, "dotenvrt.yaml");
    await writeFile(
      spec,
      [
        "name: dotenvrt",
        "gateways:",
        "  hub: { role: hub, port: 28470, description: hub, model: anthropic/claude-sonnet-4-6, secrets: [MY_SECRET] }",
        "  alpha: { role: spoke, port: 28670, description: a spoke, model: anthropic/claude-sonnet-4-6, secrets: [OTHER_SECRET] }",
        "links:",
        "  - { from: hub, to: alpha }",
        "",
      ].join("\n"),
    );
  });

  /** Put `value` into MY_SECRET of a generated .env (written as dotenv itself would read it). */
  async function setSecret(out: string, value: string): Promise<void> {
    const env = path.join(out, ".env");
    const text = await readFile(env, "utf8");
    expect(text).toMatch(/^MY_SECRET=$/m);
    await writeFile(env, text.replace(/^MY_SECRET=$/m, () => `MY_SECRET=${dotenvValue(value)}`));
  }

  it.each(["compose", "systemd"] as const)("target %s: .env and the gateway's own env file", async (target) => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(anyValue.filter((v) => v !== "" && "text" in render(v)), async (value) => {
        const out = await tempDir(`dotenv-${target}-${++n}`);
        await generate({ spec, outDir: out, target, root: out, openclaw: HOST });
        await setSecret(out, value);
        const first = await readFile(path.join(out, ".env"), "utf8");
        for (let i = 0; i < 5; i++) {
          await generate({ spec, outDir: out, target, root: out, openclaw: HOST });
          const text = await readFile(path.join(out, ".env"), "utf8");
          expect(text).toBe(first);
          expect(parseDotenv(text).MY_SECRET).toBe(value);
        }
        if (target === "systemd") {
          // The hub's own env file (OpenClaw's dotenv and systemd EnvironmentFile= read it).
          const tree = await snapshotTree(out);
          const own = [...tree.entries()].filter(([rel, e]) => e.kind === "file" && rel.endsWith(".env") && rel !== ".env" && /MY_SECRET=/.test(e.content ?? ""));
          expect(own.length).toBe(1);
          expect(parseDotenv(own[0]![1].content!).MY_SECRET).toBe(value);
        }
      }),
      { numRuns: 12 },
    );
  });

  it("a value no quoting can carry is refused (exit 1: SpecError at its .env line), naming the variable, never the value; nothing changes", async () => {
    const out = await tempDir("dotenv-refused");
    await generate({ spec, outDir: out });
    const secret = "it's \"very\"\nsecret";
    const env = path.join(out, ".env");
    const text = (await readFile(env, "utf8")).replace(/^MY_SECRET=$/m, `MY_SECRET='it\\'s "very"\nsecret'`);
    await writeFile(env, text, { mode: 0o600 });
    // What dotenv reads there (the user's own quoting) is a value with ', " and a line break.
    expect(parseDotenv(text).MY_SECRET).toBe("it\\'s \"very\"\nsecret");
    const before = await snapshotTree(out);
    const line = text.split("\n").findIndex((l) => l.startsWith("MY_SECRET=")) + 1;
    const err = await generate({ spec, outDir: out }).then(() => undefined, (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(SpecError);
    const issue = (err as SpecError).issues[0]!;
    expect(issue).toMatchObject({ file: env, line, col: 1, path: "MY_SECRET" });
    expect(err!.message).toMatch(/the value of MY_SECRET cannot be written back unchanged: it holds ', ", a backslash, a line break together/);
    expect(err!.message.includes("very")).toBe(false);
    expect(err!.message.includes(secret)).toBe(false);
    expect(await snapshotTree(out)).toEqual(before);
  });
});
