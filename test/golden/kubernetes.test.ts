// Golden files of the kubernetes target for every example federation (the Kustomize base as
// compiled, each gateway's secret env file with placeholder values, the .env, the folders).
// After an intended change: `npx vitest run test/golden -u`, then review the diff.
import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/targets/registry.js";
import { envFileLines, renderEnv } from "../../src/emit/env-file.js";
import { loadSpecFile } from "../../src/federation/load.js";
import { goldenPath } from "./golden-path.js";

const specs = (await readdir("federations")).filter((f) => f.endsWith(".yaml")).sort();

describe.each(specs)("federations/%s", (file) => {
  it("kubernetes target matches its golden files", async () => {
    const loaded = await loadSpecFile(`federations/${file}`, { target: "kubernetes" });
    const res = compile(loaded.federation, "kubernetes");
    const name = loaded.federation.name;
    const placeholders = Object.fromEntries(res.env.map((s) => [s.name, `<${s.name}>`]));
    for (const a of res.artifacts) {
      if (a.kind !== "file") continue;
      const content = a.envFrom ? a.content + envFileLines(a.envFrom, placeholders, a.envSyntax) : a.content;
      // A golden `.gitignore` would apply to the golden folder itself (and hide secrets/).
      const golden = a.path === ".gitignore" ? "gitignore.golden" : a.path;
      await expect(content).toMatchFileSnapshot(goldenPath("__golden__", name, "kubernetes", golden));
    }
    let n = 0;
    const env = await renderEnv(res.env, {}, { specFile: loaded.file, newToken: () => `<generated-token-${++n}>` });
    await expect(env.text).toMatchFileSnapshot(goldenPath("__golden__", name, "kubernetes", ".env"));
    const dirs = res.artifacts.filter((a) => a.kind === "dir").map((a) => `${a.path} ${a.mode.toString(8)}${a.gatewayOwned ? " gateway-owned" : ""}`);
    const files = res.artifacts.filter((a) => a.kind === "file").map((a) => `${a.path} ${a.mode.toString(8)}${a.kind === "file" && a.secret ? " secret" : ""}`);
    await expect(`${dirs.join("\n")}\n\n${files.join("\n")}\n`).toMatchFileSnapshot(`__golden__/${name}/kubernetes/DIRS.txt`);
    await expect(`${res.warnings.join("\n")}\n`).toMatchFileSnapshot(`__golden__/${name}/kubernetes/WARNINGS.txt`);
  });
});
