// `kubectl kustomize` (offline) builds the kubernetes target's folder for every example spec, as
// written by the real writer with real tokens: the built objects validate against the Kubernetes
// 1.36 OpenAPI schema, no token or secret value appears in plain text, each gateway's Secret holds
// exactly its own variables, the references to generated names are rewritten, the ConfigMap
// carries the generated openclaw.json, and the built NetworkPolicies allow exactly the links.
import { execFile } from "node:child_process";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { parse as parseDotenv } from "dotenv";
import { beforeAll, describe, expect, it } from "vitest";
import { envFor, planEnv } from "../../src/vocabulary/env-plan.js";
import { generate } from "../../src/ops/generate.js";
import { loadSpecFile } from "../../src/federation/load.js";
import type { Federation } from "../../src/federation/normalize.js";
import { kubernetesSettings } from "../../src/targets/kubernetes/settings.js";
import { validateObject, yamlObjects } from "../helpers/k8s-objects.js";
import { checkReachability } from "../helpers/k8s-reachability.js";
import { kubectlVersion, kustomize } from "../helpers/kubectl.js";
import { tempDir } from "../helpers/tmp.js";

const specs = (await readdir("federations")).filter((f) => f.endsWith(".yaml")).sort();

it("kubectl is installed (scripts/provision-kubectl.sh)", async () => {
  expect(await kubectlVersion()).toMatch(/v1\.\d+/);
});

describe.each(specs)("kubectl kustomize of federations/%s", (file) => {
  let out: string;
  let fed: Federation;
  let env: Record<string, string>;
  let built: string;
  let objects: any[];
  beforeAll(async () => {
    out = path.join(await tempDir("k8s"), "out");
    const spec = `federations/${file}`;
    fed = (await loadSpecFile(spec, { target: "kubernetes" })).federation;
    await generate({ spec, outDir: out, target: "kubernetes" });
    // Fill the user's secrets as a user would, then generate again (tokens are kept).
    const first = parseDotenv(await readFile(path.join(out, ".env"), "utf8"));
    const filled = Object.entries(first).map(([k, v]) => `${k}=${v || `user-secret-for-${k.toLowerCase().replace(/_/g, "-")}`}`);
    await writeFile(path.join(out, ".env"), `${filled.join("\n")}\n`, { mode: 0o600 });
    await generate({ spec, outDir: out, target: "kubernetes" });
    env = parseDotenv(await readFile(path.join(out, ".env"), "utf8"));
    built = await kustomize(out);
    objects = yamlObjects(built);
  });

  it("builds, and every built object validates against the Kubernetes OpenAPI schema", () => {
    const kinds = objects.map((o) => o.kind);
    expect(kinds.filter((k) => k === "StatefulSet")).toHaveLength(fed.gateways.length);
    expect(kinds.filter((k) => k === "Secret")).toHaveLength(fed.gateways.length);
    expect(kinds.filter((k) => k === "ConfigMap")).toHaveLength(fed.gateways.length);
    for (const o of objects) validateObject(o);
    const ns = kubernetesSettings(fed).namespace;
    for (const o of objects) if (o.kind !== "Namespace") expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(ns);
  });

  it("no token or secret value appears in plain text; each Secret holds exactly its gateway's variables", () => {
    const values = Object.entries(env).filter(([, v]) => v.length >= 8);
    expect(values.length).toBeGreaterThan(fed.gateways.length);
    for (const [name, v] of values) expect(built.includes(v), `${name}'s value in the built output`).toBe(false);
    const plan = planEnv(fed);
    const secrets = objects.filter((o) => o.kind === "Secret");
    for (const g of fed.gateways) {
      const s = secrets.find((x) => x.metadata.name.startsWith(`${g.id}-secrets-`));
      expect(s, g.id).toBeDefined();
      const data = Object.fromEntries(Object.entries(s.data as Record<string, string>).map(([k, b64]) => [k, Buffer.from(b64, "base64").toString("utf8")]));
      expect(Object.keys(data).sort()).toEqual([...envFor(plan, g.id)].sort());
      for (const [k, v] of Object.entries(data)) expect(v, `${g.id}: ${k}`).toBe(env[k]);
    }
    // Encoded values only inside Secrets.
    for (const o of objects.filter((x) => x.kind !== "Secret")) {
      const text = JSON.stringify(o);
      for (const [name, v] of values) expect(text.includes(Buffer.from(v).toString("base64")), `${name} in ${o.kind}/${o.metadata.name}`).toBe(false);
    }
  });

  it("workloads point at the generated (hash-suffixed) ConfigMap and Secret", async () => {
    for (const s of objects.filter((o) => o.kind === "StatefulSet")) {
      const id = s.metadata.name;
      const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith(`${id}-config-`));
      const secret = objects.find((o) => o.kind === "Secret" && o.metadata.name.startsWith(`${id}-secrets-`));
      const pod = s.spec.template.spec;
      expect(pod.volumes.find((v: any) => v.name === "seed").configMap.name).toBe(cm.metadata.name);
      for (const e of pod.containers[0].env.filter((x: any) => x.valueFrom)) expect(e.valueFrom.secretKeyRef.name).toBe(secret.metadata.name);
      expect(cm.data["openclaw.json"]).toBe(await readFile(path.join(out, "gateways", id, "openclaw.json"), "utf8"));
      expect(cm.data["AGENTS.md"]).toBe(await readFile(path.join(out, "gateways", id, "workspace", "AGENTS.md"), "utf8"));
      const script = pod.initContainers[0].command[2] as string;
      for (const key of Object.keys(cm.data)) expect(script, key).toContain(`/clawfed/seed/${key} `);
    }
  });

  it("the built NetworkPolicies allow port 18789 for an ordered pair iff the spec links it", () => {
    const { namespace, clusterCidrs } = kubernetesSettings(fed);
    const podRange = clusterCidrs.find((c) => c.startsWith("10.244.")) ?? "10.244.0.0/16";
    checkReachability(fed, objects, namespace, podRange);
  });

  it("secret env files are 0600 in a 0700 folder, and git ignores them and .env", async () => {
    expect((await stat(path.join(out, "secrets"))).mode & 0o777).toBe(0o700);
    for (const g of fed.gateways) expect((await stat(path.join(out, "secrets", `${g.id}.env`))).mode & 0o777).toBe(0o600);
    const git = promisify(execFile);
    await git("git", ["init", "-q", out]);
    const { stdout } = await git("git", ["-C", out, "status", "--porcelain", "--untracked-files=all", "--ignored=no"]);
    const listed = stdout.split("\n").filter(Boolean).map((l) => l.slice(3));
    expect(listed).toContain("kustomization.yaml");
    expect(listed.filter((p) => p === ".env" || p.startsWith("secrets/"))).toEqual([]);
  });
});
