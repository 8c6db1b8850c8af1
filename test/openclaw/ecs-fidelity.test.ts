// The ecs target against the real OpenClaw (openclaw@2026.9.6 on Node 24): the openclaw.json each
// task's boot script writes (from CLAWFED_FILES of its task definition) passes `openclaw config
// validate` with no warnings when the task's secrets are set, and names no variable the task
// definition does not inject through `secrets`.
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadSpecFile } from "../../src/federation/load.js";
import { generatedHeader } from "../../src/vocabulary/names.js";
import { describeEcs, ECS_CONFIG_PATH, ECS_PLUGIN_DIR, FILES_ENV } from "../../src/targets/ecs/describe.js";
import { runOpenclaw } from "../helpers/openclaw.js";
import { tempDir } from "../helpers/tmp.js";

const specs = (await readdir("federations")).filter((f) => f.endsWith(".yaml")).sort();

describe.each(specs)("federations/%s on ECS against the real OpenClaw", (file) => {
  it("every task's openclaw.json validates with its injected secrets, and only those", async () => {
    const spec = `federations/${file}`;
    const d = describeEcs((await loadSpecFile(spec, { target: "ecs" })).federation, generatedHeader(spec));
    for (const g of d.gateways) {
      const files = JSON.parse(g.environment[FILES_ENV]!) as Record<string, string>;
      const dir = await tempDir(`ecs-${g.id}`);
      await mkdir(path.join(dir, "state"), { recursive: true });
      const config = path.join(dir, "openclaw.json");
      // The delegate plugin as the boot script writes it (issue 11), in the temp folder instead of /tmp/clawfed.
      const pluginDir = path.join(dir, "plugin");
      const pluginFiles = Object.keys(files).filter((f) => f.startsWith(`${ECS_PLUGIN_DIR}/`));
      if (files[ECS_CONFIG_PATH]!.includes(ECS_PLUGIN_DIR)) expect(pluginFiles.length, g.id).toBeGreaterThan(0);
      await mkdir(pluginDir, { recursive: true });
      for (const f of pluginFiles) await writeFile(path.join(pluginDir, f.slice(ECS_PLUGIN_DIR.length + 1)), files[f]!);
      await writeFile(config, files[ECS_CONFIG_PATH]!.split(ECS_PLUGIN_DIR).join(pluginDir));
      const secrets = Object.fromEntries(Object.keys(g.secrets).map((k) => [k, `test-value-for-${k.toLowerCase()}`]));
      const res = await runOpenclaw(["config", "validate", "--json"], { env: { ...secrets, OPENCLAW_STATE_DIR: path.join(dir, "state"), OPENCLAW_CONFIG_PATH: config }, timeoutMs: 120_000 });
      expect(res.code, `${g.id}: ${res.stderr}`).toBe(0);
      const body = JSON.parse(res.stdout.slice(res.stdout.indexOf("{"))) as { valid: boolean; warnings: unknown[] };
      expect(body, g.id).toMatchObject({ valid: true, warnings: [] });
      // Every ${VAR} of the config is one of the task's secrets.
      const refs = [...files[ECS_CONFIG_PATH]!.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]!);
      for (const r of refs) expect(Object.keys(g.secrets), `${g.id}: ${r}`).toContain(r);
    }
  });
});
