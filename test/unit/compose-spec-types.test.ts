// The committed Compose Specification types equal a fresh generation from the schema.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without type declarations
import { generateComposeTypes, OUT_FILE, withoutExtensions } from "../../scripts/gen-compose-types.mjs";

describe("src/targets/compose/compose-spec.ts", () => {
  it("is what scripts/gen-compose-types.mjs generates from test/fixtures/compose-spec.json (run it after changing either)", async () => {
    const fresh: string = await generateComposeTypes();
    expect(await readFile(OUT_FILE, "utf8")).toBe(fresh);
  }, 60_000);

  it("leaves out only the x- extension patterns", () => {
    const schema = { type: "object", patternProperties: { "^x-": {}, "^[a-z]+$": { patternProperties: { "^x-": {} }, type: "string" } } };
    expect(withoutExtensions(schema)).toEqual({ type: "object", patternProperties: { "^[a-z]+$": { type: "string" } } });
  });
});
