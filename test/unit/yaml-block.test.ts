// render/yaml-block.ts writes exactly what `yaml` writes (or declines): on generated data, on
// tricky strings, and on every YAML file the compose target writes for the example federations.
import fc from "fast-check";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse, stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { blockYaml, YAML_OPTIONS } from "../../src/render/yaml-block.js";

const reference = (v: unknown) => stringify(v, YAML_OPTIONS);

/** Strings near YAML's edges: indicators, `: `, ` #`, numbers, booleans, document markers, quotes, controls. */
const trickyString = fc.oneof(
  fc.constantFrom("", " ", "-", "- a", "?", "? a", ":", "a:", "a: b", "a:b", "#", "a #b", "a#b", "---", "--- a", "...", "%x", "@x", "`x", "!x", "&x", "*x", "|", ">", "'", '"', "it's", 'say "hi"', "both ' and \"", "[x]", "{x}", "x,y", "42", "-7", "0x1F", "0o17", "1e3", ".5", "1.", ".inf", "-.Inf", ".nan", "true", "False", "NULL", "null", "~", "yes", "no", "on", "a\tb", "a\nb", "\u0007", "\u2028", "é", "${X}", "$${X}", "127.0.0.1:20000:18789", "no-new-privileges:true", "./state/x:/home/node/.openclaw", " lead", "trail "),
  fc.string({ maxLength: 12 }),
  fc.stringMatching(/^[a-z0-9:#\-. '"{}[\],]{0,10}$/),
);
const key = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/), trickyString);
const leaf = fc.oneof(trickyString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined));
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("array"), tie("object")),
  array: fc.array(tie("tree"), { maxLength: 4 }),
  object: fc.dictionary(key, tie("tree"), { maxKeys: 4 }),
}));

describe("blockYaml", () => {
  it("equals yaml's stringify whenever it answers, for any plain data", () => {
    fc.assert(
      fc.property(fc.oneof(fc.dictionary(key, tree, { maxKeys: 5 }), fc.array(tree, { maxLength: 5 })), (v) => {
        const fast = blockYaml(v);
        if (fast !== undefined) expect(fast).toBe(reference(v));
      }),
      { numRuns: 3000 },
    );
  });

  it("answers for ordinary data (it is not a writer that always declines)", () => {
    const v = { services: { a: { image: "x:1", ports: ["127.0.0.1:1:2"], environment: { A: "${A}" }, labels: {}, cpus: 1.5, init: true, networks: [] } }, volumes: { "a-state": { labels: { k: "v" } } } };
    expect(blockYaml(v)).toBe(reference(v));
    for (const s of ["it's", "a: b", "42", "true", "", "x #y", "- a"]) expect(blockYaml({ s, l: [s] })).toBe(reference({ s, l: [s] }));
  });

  it("writes every golden docker-compose.yml byte for byte", () => {
    const root = path.resolve("test/golden/__golden__");
    const files = readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) => path.basename(f) === "docker-compose.yml");
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const text = readFileSync(path.join(root, f), "utf8");
      const body = text.replace(/^#[^\n]*\n/, "");
      expect(blockYaml(parse(body)), f).toBe(body);
    }
  });
});
