// Golden files pin the generated output of every example federation, and the spec's JSON Schema.
// After an intended change: `npx vitest run test/golden -u`, then review the diff.
import { readdir, readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/targets/registry.js";
import { renderEnv } from "../../src/emit/env-file.js";
import { loadSpecFile } from "../../src/federation/load.js";
import { specJsonSchema } from "../../src/federation/schema.js";
import { goldenPath } from "./golden-path.js";

const specs = (await readdir("federations")).filter((f) => f.endsWith(".yaml")).sort();

describe.each(specs)("federations/%s", (file) => {
  it("compose target matches its golden files", async () => {
    const loaded = await loadSpecFile(`federations/${file}`);
    const res = compile(loaded.federation, "compose");
    const name = loaded.federation.name;
    for (const a of res.artifacts) {
      if (a.kind !== "file") continue;
      await expect(a.content).toMatchFileSnapshot(goldenPath("__golden__", name, "compose", a.path));
    }
    let n = 0;
    const env = await renderEnv(res.env, {}, { specFile: loaded.file, newToken: () => `<generated-token-${++n}>`, hostFacts: { dockerGid: "999" } });
    await expect(env.text).toMatchFileSnapshot(goldenPath("__golden__", name, "compose", ".env"));
    const dirs = res.artifacts.filter((a) => a.kind === "dir").map((a) => `${a.path} ${a.mode.toString(8)}${a.gatewayOwned ? " gateway-owned" : ""}`);
    await expect(`${dirs.join("\n")}\n`).toMatchFileSnapshot(`__golden__/${name}/compose/DIRS.txt`);
  });
});

it("the JSON Schema shipped in schema/ is the one `clawfed schema` prints", async () => {
  const shipped = JSON.parse(await readFile("schema/federation.schema.json", "utf8"));
  expect(shipped).toEqual(specJsonSchema());
});
