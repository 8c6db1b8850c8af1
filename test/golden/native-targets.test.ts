// Golden files of the native targets (native/PM2, systemd, launchd) for every example federation
// that fits native ports, compiled with a fixed root and fixed OpenClaw paths.
// After an intended change: `npx vitest run test/golden/native-targets.test.ts -u`, then review the diff.
import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { compile, type TargetName } from "../../src/targets/registry.js";
import { renderEnv } from "../../src/emit/env-file.js";
import { loadSpecFile, type LoadedSpec } from "../../src/federation/load.js";
import { FIXED_HOST } from "../helpers/native.js";
import { goldenPath } from "./golden-path.js";

const specs = (await readdir("federations")).filter((f) => f.endsWith(".yaml")).sort();
const TARGETS: TargetName[] = ["native", "systemd", "launchd"];

async function loadNative(file: string): Promise<LoadedSpec | undefined> {
  try {
    return await loadSpecFile(`federations/${file}`, { target: "native" });
  } catch {
    return undefined;
  }
}

const loadedSpecs: LoadedSpec[] = [];
for (const f of specs) {
  const l = await loadNative(f);
  if (l) loadedSpecs.push(l);
}

it("korax (the seed federation) fits native ports", () => {
  expect(loadedSpecs.map((l) => l.federation.name)).toContain("korax");
});

describe.each(loadedSpecs.map((l) => [l.file, l] as const))("%s", (_file, loaded) => {
  const name = loaded.federation.name;
  it.each(TARGETS)("%s target matches its golden files", async (target) => {
    const res = compile(loaded.federation, target, { root: `/home/user/.clawfed/${name}`, openclaw: FIXED_HOST, systemd: { scope: "user", version: 256 } });
    for (const a of res.artifacts) {
      if (a.kind !== "file") continue;
      await expect(a.content).toMatchFileSnapshot(goldenPath("__golden__", name, target, a.path));
    }
    let n = 0;
    const env = await renderEnv(res.env, {}, { specFile: loaded.file, newToken: () => `<generated-token-${++n}>` });
    await expect(env.text).toMatchFileSnapshot(goldenPath("__golden__", name, target, ".env"));
    const dirs = res.artifacts.filter((a) => a.kind === "dir").map((a) => `${a.path} ${a.mode.toString(8)}${a.kind === "dir" && a.absolute ? " absolute" : ""}`);
    await expect(`${dirs.join("\n")}\n`).toMatchFileSnapshot(`__golden__/${name}/${target}/DIRS.txt`);
    const envFiles = res.artifacts.flatMap((a) => (a.kind === "file" && a.envFrom ? [`${a.path} ${a.mode.toString(8)}: ${a.envFrom.join(" ")}`] : []));
    await expect(`${envFiles.join("\n")}\n`).toMatchFileSnapshot(`__golden__/${name}/${target}/ENV-FILES.txt`);
  });
});
