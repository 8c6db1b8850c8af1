// Golden files of the swarm target: the stack file, its README and the .env plan of every example
// federation (the gateways' own files are the compose target's, pinned in federations.test.ts).
// After an intended change: `npx vitest run test/golden -u`, then review the diff.
import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/targets/registry.js";
import { renderEnv } from "../../src/emit/env-file.js";
import { loadSpecFile } from "../../src/federation/load.js";
import { STACK_FILE } from "../../src/targets/swarm/index.js";
import { goldenPath } from "./golden-path.js";

const specs = (await readdir("federations")).filter((f) => f.endsWith(".yaml")).sort();

describe.each(specs)("federations/%s", (file) => {
  it("swarm target: stack.yml, README.md and .env match their golden files; the gateways' files are compose's", async () => {
    const loaded = await loadSpecFile(`federations/${file}`);
    const res = compile(loaded.federation, "swarm");
    const name = loaded.federation.name;
    for (const p of [STACK_FILE, "README.md"]) {
      const a = res.artifacts.find((x) => x.path === p);
      await expect(a?.kind === "file" ? a.content : "").toMatchFileSnapshot(goldenPath("__golden__", name, "swarm", p));
    }
    let n = 0;
    const env = await renderEnv(res.env, {}, { specFile: loaded.file, newToken: () => `<generated-token-${++n}>`, hostFacts: { dockerGid: "999" } });
    await expect(env.text).toMatchFileSnapshot(goldenPath("__golden__", name, "swarm", ".env"));
    const compose = compile(loaded.federation, "compose");
    const own = (r: typeof res) => r.artifacts.filter((a) => a.kind === "file" && /^(gateways|workspaces)\//.test(a.path)).map((a) => [a.path, a.kind === "file" ? a.content : ""]);
    expect(own(res)).toEqual(own(compose));
  });
});
