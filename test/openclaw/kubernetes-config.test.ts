// Fidelity of the kubernetes target to the real OpenClaw (openclaw@2026.9.6): the openclaw.json of
// every gateway, taken from its ConfigMap in the `kubectl kustomize` output, passes
// `openclaw config validate --json` with no warnings, given exactly the environment its pod gets
// (the plain env of its StatefulSet and the variables of its own Secret, nothing else).
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import { beforeAll, describe, expect, it } from "vitest";
import { generate } from "../../src/ops/generate.js";
import { CONTAINER_PLUGIN_DIR, DELEGATE_PLUGIN, DELEGATE_PLUGIN_FILES } from "../../src/compile/delegation.js";
import { runOpenclaw } from "../helpers/openclaw.js";
import { yamlObjects } from "../helpers/k8s-objects.js";
import { kustomize } from "../helpers/kubectl.js";
import { tempDir } from "../helpers/tmp.js";

const specs = (await readdir("federations")).filter((f) => f.endsWith(".yaml")).sort();

/** The JSON document in a CLI's stdout (OpenClaw may print a banner line first). */
function jsonOf(stdout: string): any {
  return JSON.parse(stdout.slice(stdout.indexOf("{")));
}

describe.each(specs)("federations/%s on Kubernetes against the real OpenClaw", (file) => {
  let objects: any[];
  let root: string;
  beforeAll(async () => {
    root = await tempDir("k8s-fidelity");
    const out = path.join(root, "out");
    const spec = `federations/${file}`;
    await generate({ spec, outDir: out, target: "kubernetes" });
    const env = parseDotenv(await readFile(path.join(out, ".env"), "utf8"));
    await writeFile(path.join(out, ".env"), Object.entries(env).map(([k, v]) => `${k}=${v || `test-value-for-${k.toLowerCase()}`}`).join("\n") + "\n", { mode: 0o600 });
    await generate({ spec, outDir: out, target: "kubernetes" });
    objects = yamlObjects(await kustomize(out));
  });

  it("every gateway's openclaw.json from its ConfigMap passes `openclaw config validate --json` with its pod's environment", async () => {
    const sets = objects.filter((o) => o.kind === "StatefulSet");
    expect(sets.length).toBeGreaterThan(0);
    for (const s of sets) {
      const id = s.metadata.name as string;
      const gw = s.spec.template.spec.containers[0];
      const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === s.spec.template.spec.volumes.find((v: any) => v.name === "seed").configMap.name);
      const secretName = gw.env.find((e: any) => e.valueFrom)?.valueFrom.secretKeyRef.name;
      const secret = objects.find((o) => o.kind === "Secret" && o.metadata.name === secretName);
      const podEnv: Record<string, string> = {};
      for (const e of gw.env) podEnv[e.name] = e.value ?? Buffer.from(secret.data[e.valueFrom.secretKeyRef.key], "base64").toString("utf8");
      // The pod's paths do not exist here: state and config go to a temporary folder.
      const config = path.join(root, `${id}.openclaw.json`);
      let text: string = cm.data["openclaw.json"];
      // The delegate plugin as the seed init container lays it out (its `plugin_<file>` keys), in a
      // temporary folder in place of the pod's path, so OpenClaw loads the plugin the pod gets.
      const pluginKeys = Object.keys(cm.data).filter((k) => k.startsWith("plugin_"));
      if (text.includes(CONTAINER_PLUGIN_DIR)) {
        expect(pluginKeys.sort(), id).toEqual(DELEGATE_PLUGIN_FILES.map((f) => `plugin_${f}`).sort());
        const dir = path.join(root, `${id}-plugin`, DELEGATE_PLUGIN);
        await mkdir(dir, { recursive: true });
        for (const k of pluginKeys) await writeFile(path.join(dir, k.slice("plugin_".length)), cm.data[k]);
        text = text.split(CONTAINER_PLUGIN_DIR).join(dir);
      }
      await writeFile(config, text);
      const state = await tempDir(`k8s-state-${id}`);
      const res = await runOpenclaw(["config", "validate", "--json"], {
        env: { ...podEnv, OPENCLAW_STATE_DIR: state, OPENCLAW_CONFIG_PATH: config },
        timeoutMs: 120_000,
      });
      expect(res.code, `${id}: ${res.stderr}`).toBe(0);
      expect(jsonOf(res.stdout), id).toMatchObject({ valid: true, warnings: [] });
    }
  });
});
