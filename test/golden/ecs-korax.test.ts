// Golden files of the ecs target for federations/korax.yaml: the generated CDK app's own files
// (federation.json, README.md, package.json, cdk.json) and the CloudFormation template it
// synthesizes. Synthesizing twice must give the same template: no random ids, no timestamps.
// After an intended change: `npx vitest run test/golden -u`, then review the diff.
import { expect, it } from "vitest";
import { compile } from "../../src/targets/registry.js";
import { generatedHeader } from "../../src/vocabulary/names.js";
import { loadSpecFile } from "../../src/federation/load.js";
import { describeEcs } from "../../src/targets/ecs/describe.js";
import { synthEcs } from "../../src/targets/ecs/synth.js";

const SPEC = "federations/korax.yaml";

it("ecs target: the generated app's files match their golden files", async () => {
  const loaded = await loadSpecFile(SPEC, { target: "ecs" });
  const res = compile(loaded.federation, "ecs");
  for (const a of res.artifacts) {
    if (a.kind !== "file" || a.path.endsWith(".ts")) continue;
    await expect(a.content).toMatchFileSnapshot(`__golden__/korax/ecs/${a.path}`);
  }
});

it("ecs target: the synthesized korax template is stable across runs and matches its golden file", async () => {
  const loaded = await loadSpecFile(SPEC, { target: "ecs" });
  const d = describeEcs(loaded.federation, generatedHeader(SPEC));
  const first = await synthEcs(d, { validate: false });
  const second = await synthEcs(describeEcs(loaded.federation, generatedHeader(SPEC)), { validate: false });
  const text = `${JSON.stringify(first.template, null, 2)}\n`;
  expect(`${JSON.stringify(second.template, null, 2)}\n`).toBe(text);
  await expect(text).toMatchFileSnapshot("__golden__/korax/ecs/template.json");
}, 60_000);
