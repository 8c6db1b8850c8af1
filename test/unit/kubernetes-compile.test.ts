// The kubernetes target, compiled (pure): every object valid against the Kubernetes 1.36 OpenAPI
// schema, restricted pod security, probes, secrets only by reference, the same openclaw.json as
// compose, the sandbox and mailbox decisions, the namespace, determinism.
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import JSON5 from "json5";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { compile, type CompileResult } from "../../src/targets/registry.js";
import { envFor } from "../../src/vocabulary/env-plan.js";
import { SpecError, UsageError } from "../../src/errors.js";
import { loadSpecFile, loadSpecText } from "../../src/federation/load.js";
import { memoryQuantity, cpuQuantity, workspaceKey } from "../../src/targets/kubernetes/names.js";
import { probeScript } from "../../src/targets/kubernetes/workload.js";
import { DELEGATE_PLUGIN_FILES } from "../../src/compile/delegation.js";
import { compiledObjects, validateObject, yamlObjects } from "../helpers/k8s-objects.js";
import { federationArb } from "../helpers/spec-arb.js";
import { runCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";

const SPECS = ["federations/korax.yaml", "federations/lab.yaml"];

function fileOf(res: CompileResult, p: string): string {
  const a = res.artifacts.find((x) => x.kind === "file" && x.path === p);
  if (!a || a.kind !== "file") throw new Error(`no file ${p}`);
  return a.content;
}

const kubernetes = async (file: string) => compile((await loadSpecFile(file, { target: "kubernetes" })).federation, "kubernetes");

describe.each(SPECS)("kubernetes compile of %s", (spec) => {
  let res: CompileResult;
  let objects: any[];
  beforeAll(async () => {
    res = await kubernetes(spec);
    objects = compiledObjects(res, "ns");
  });

  it("every object validates against the Kubernetes OpenAPI schema", () => {
    expect(objects.length).toBeGreaterThan(5);
    for (const o of objects) validateObject(o);
  });

  it("pods follow the restricted Pod Security Standard and run the image's tini", () => {
    for (const s of objects.filter((o) => o.kind === "StatefulSet")) {
      const pod = s.spec.template.spec;
      expect(s.spec.replicas).toBe(1);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.enableServiceLinks).toBe(false);
      for (const c of [...pod.initContainers, ...pod.containers]) {
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, runAsNonRoot: true, readOnlyRootFilesystem: true });
      }
      for (const v of pod.volumes) expect(v.hostPath, `${s.metadata.name} volume ${v.name}`).toBeUndefined();
      const gw = pod.containers[0];
      expect(gw.command).toBeUndefined(); // keeps ENTRYPOINT tini as PID 1
      expect(gw.args).toEqual(["node", "dist/index.js", "gateway", "--port", "18789"]);
    }
  });

  it("startup and readiness probe /startupz, liveness /healthz, each asserting the JSON body", () => {
    for (const s of objects.filter((o) => o.kind === "StatefulSet")) {
      const gw = s.spec.template.spec.containers[0];
      expect(gw.startupProbe.exec.command).toEqual(["node", "-e", probeScript("/startupz", "started")]);
      expect(gw.readinessProbe.exec.command).toEqual(["node", "-e", probeScript("/startupz", "started")]);
      expect(gw.livenessProbe.exec.command).toEqual(["node", "-e", probeScript("/healthz", "live")]);
      expect(gw.startupProbe.periodSeconds * gw.startupProbe.failureThreshold).toBe(300);
    }
    expect(probeScript("/startupz", "started")).toContain("b.ok === true && b.status === 'started'");
  });

  it("each gateway receives exactly its env-plan variables, all from its own Secret", () => {
    for (const s of objects.filter((o) => o.kind === "StatefulSet")) {
      const id = s.metadata.name;
      const fromSecret = s.spec.template.spec.containers[0].env.filter((e: any) => e.valueFrom);
      expect(fromSecret.map((e: any) => e.name)).toEqual(envFor(res.env, id));
      for (const e of fromSecret) expect(e.valueFrom.secretKeyRef).toEqual({ name: `${id}-secrets`, key: e.name });
      const envFile = res.artifacts.find((a) => a.kind === "file" && a.path === `secrets/${id}.env`);
      expect(envFile).toMatchObject({ mode: 0o600, secret: true, envFrom: envFor(res.env, id), envSyntax: "kustomize" });
    }
    expect(fileOf(res, ".gitignore").split("\n")).toEqual(expect.arrayContaining(["/.env", "/secrets/"]));
  });

  it("the kustomization generates one ConfigMap and one Secret per gateway from files that exist", () => {
    const k = yamlObjects(fileOf(res, "kustomization.yaml"))[0];
    const paths = new Set(res.artifacts.map((a) => a.path));
    for (const r of k.resources) expect(paths.has(r), r).toBe(true);
    for (const g of k.configMapGenerator) for (const f of g.files) expect(paths.has(f.split("=")[1]), f).toBe(true);
    for (const g of k.secretGenerator) expect(paths.has(g.env), g.env).toBe(true);
    expect(k.configMapGenerator.map((g: any) => g.name)).toEqual(objects.filter((o) => o.kind === "StatefulSet").map((s) => `${s.metadata.name}-config`));
  });

  it("only the 0600 secret files are filled with values by the writer", () => {
    for (const a of res.artifacts) {
      if (a.kind !== "file" || a.secret) continue;
      expect(a.envFrom, a.path).toBeUndefined();
    }
  });

  it("openclaw.json is the compose target's, with the same peer URLs http://<id>:18789", async () => {
    const compose = compile((await loadSpecFile(spec)).federation, "compose");
    const loaded = await loadSpecFile(spec, { target: "kubernetes" });
    const unsandboxed = new Set(loaded.federation.kubernetes?.unsandboxed ?? []);
    for (const g of loaded.federation.gateways) {
      const k8sCfg = JSON5.parse(fileOf(res, `gateways/${g.id}/openclaw.json`));
      const composeCfg = JSON5.parse(fileOf(compose, `gateways/${g.id}/openclaw.json`));
      if (unsandboxed.has(g.id)) delete composeCfg.agents.defaults.sandbox;
      expect(k8sCfg).toEqual(composeCfg);
    }
  });

  it("the delegate plugin named in openclaw.json is seeded from the ConfigMap into a read-only folder of the gateway", () => {
    const kustomization = yamlObjects(fileOf(res, "kustomization.yaml"))[0];
    for (const s of objects.filter((o) => o.kind === "StatefulSet")) {
      const id = s.metadata.name;
      const cfg = JSON5.parse(fileOf(res, `gateways/${id}/openclaw.json`));
      const [pluginDir] = cfg.plugins.load.paths;
      const pod = s.spec.template.spec;
      expect(pod.containers[0].volumeMounts).toContainEqual({ name: "plugin", mountPath: pluginDir, readOnly: true });
      expect(pod.initContainers[0].volumeMounts).toContainEqual({ name: "plugin", mountPath: pluginDir });
      const script: string = pod.initContainers[0].command[2];
      const cm = kustomization.configMapGenerator.find((c: { name: string }) => c.name === `${id}-config`);
      for (const f of DELEGATE_PLUGIN_FILES) {
        expect(script).toContain(`/clawfed/seed/plugin_${f} ${pluginDir}/${f}`);
        expect(cm.files).toContain(`plugin_${f}=plugins/federation-delegate/${f}`);
        expect(fileOf(res, `plugins/federation-delegate/${f}`).length).toBeGreaterThan(0);
      }
    }
  });

  it("compiles to the same bytes twice", async () => {
    const again = await kubernetes(spec);
    expect(again.artifacts).toEqual(res.artifacts);
  });
});

describe("kubernetes decisions", () => {
  const base = (extra: string) => `name: fed
gateways:
  hub: { role: hub, port: 18789, description: Hub., model: anthropic/claude-sonnet-4-6 }
  spoke:
    port: 18909
    description: Spoke.
    model: anthropic/claude-sonnet-4-6
${extra}
links:
  - { from: hub, to: spoke, transports: [a2a, mailbox] }
`;

  it("sandbox mode all is refused with its place in the spec and the alternative", async () => {
    const text = base("    sandbox: { mode: all }");
    const err = (await loadSpecText(text, "fed.yaml", { target: "kubernetes" }).catch((e: unknown) => e)) as SpecError;
    expect(err).toBeInstanceOf(SpecError);
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatchObject({ line: 8, path: "gateways.spoke.sandbox.mode" });
    expect(err.issues[0]!.message).toContain("no Docker socket");
    expect(err.issues[0]!.hint).toContain("kubernetes.unsandboxed");
    // compose still accepts it
    await expect(loadSpecText(text, "fed.yaml")).resolves.toBeDefined();
  });

  it("compile refuses sandbox mode all too when called without the loader's rules", async () => {
    const fed = (await loadSpecText(base("    sandbox: { mode: all }"), "fed.yaml")).federation;
    expect(() => compile(fed, "kubernetes")).toThrow(SpecError);
  });

  it("kubernetes.unsandboxed turns the sandbox off on Kubernetes only; non-main alone warns", async () => {
    const off = await loadSpecText(base("    sandbox: { mode: all }\nkubernetes: { unsandboxed: [spoke] }"), "fed.yaml", { target: "kubernetes" });
    const res = compile(off.federation, "kubernetes");
    expect(JSON5.parse(fileOf(res, "gateways/spoke/openclaw.json")).agents.defaults.sandbox).toBeUndefined();
    expect(JSON5.parse(fileOf(compile(off.federation, "compose"), "gateways/spoke/openclaw.json")).agents.defaults.sandbox.mode).toBe("all");
    const nonMain = compile((await loadSpecText(base("    sandbox: { mode: non-main }"), "fed.yaml", { target: "kubernetes" })).federation, "kubernetes");
    expect(nonMain.warnings.join("\n")).toMatch(/spoke: sandbox mode "non-main" needs a Docker socket/);
  });

  it("unknown names in the kubernetes block are refused on the kubernetes target, ignored by the others", async () => {
    const text = base("kubernetes: { unsandboxed: [nope], knowledgeClaims: { docs: x } }");
    await expect(loadSpecText(text, "fed.yaml")).resolves.toBeDefined();
    const err = (await loadSpecText(text, "fed.yaml", { target: "kubernetes" }).catch((e: unknown) => e)) as SpecError;
    expect(err).toBeInstanceOf(SpecError);
    expect(err.issues.map((i) => i.path).sort()).toEqual(["kubernetes.knowledgeClaims.docs", "kubernetes.unsandboxed.0"]);
  });

  it("a mailbox route is one ReadWriteMany claim mounted by both gateways; no RWX class warns", async () => {
    const res = compile((await loadSpecText(base(""), "fed.yaml", { target: "kubernetes" })).federation, "kubernetes");
    const claims = yamlObjects(fileOf(res, "mailbox.yaml"));
    expect(claims.map((c) => c.metadata.name)).toEqual(["mailbox-hub--to--spoke", "mailbox-spoke--to--hub"]);
    for (const c of claims) expect(c.spec.accessModes).toEqual(["ReadWriteMany"]);
    for (const id of ["hub", "spoke"]) {
      const s = yamlObjects(fileOf(res, `gateways/${id}/statefulset.yaml`))[0];
      const claimsUsed = s.spec.template.spec.volumes.filter((v: any) => v.persistentVolumeClaim).map((v: any) => v.persistentVolumeClaim.claimName);
      expect(claimsUsed).toEqual(["mailbox-hub--to--spoke", "mailbox-spoke--to--hub"]);
    }
    expect(res.warnings.join("\n")).toContain("kubernetes.mailbox.class");
    const withClass = compile((await loadSpecText(base("kubernetes: { mailbox: { class: nfs } }"), "fed.yaml")).federation, "kubernetes");
    expect(yamlObjects(fileOf(withClass, "mailbox.yaml"))[0].spec.storageClassName).toBe("nfs");
    expect(withClass.warnings).toEqual([]);
  });

  it("namespace: --namespace beats kubernetes.namespace beats the federation name; a bad one is a UsageError", async () => {
    const fed = (await loadSpecText(base("kubernetes: { namespace: team-a }"), "fed.yaml")).federation;
    const ns = (r: CompileResult) => yamlObjects(fileOf(r, "kustomization.yaml"))[0].namespace;
    expect(ns(compile(fed, "kubernetes"))).toBe("team-a");
    expect(ns(compile(fed, "kubernetes", { namespace: "other" }))).toBe("other");
    expect(ns(compile({ ...fed, kubernetes: undefined }, "kubernetes"))).toBe("fed");
    expect(() => compile(fed, "kubernetes", { namespace: "Bad_NS" })).toThrow(UsageError);
  });

  it("the schema check is not vacuous: it rejects a wrong type, a bad enum and a missing field", () => {
    const sts = { apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "x" }, spec: { selector: {}, serviceName: "x", template: { spec: { containers: [{ name: "a", image: "b" }] } } } };
    expect(() => validateObject(sts)).not.toThrow();
    expect(() => validateObject({ ...sts, spec: { ...sts.spec, replicas: "one" } })).toThrow(/StatefulSet\/x/);
    expect(() => validateObject({ apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { type: "Nope" } })).toThrow();
    expect(() => validateObject({ apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { ports: [{ name: "p" }] } })).toThrow();
    expect(() => validateObject({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" } })).toThrow(/no schema model/);
  });

  it("spec sizes become Kubernetes quantities of the same size", () => {
    expect(memoryQuantity("2g")).toBe("2Gi");
    expect(memoryQuantity("1536m")).toBe("1536Mi");
    expect(memoryQuantity("1.5g")).toBe("1536Mi");
    expect(memoryQuantity("524288k")).toBe("512Mi");
    expect(cpuQuantity(2)).toBe("2");
    expect(cpuQuantity(1.5)).toBe("1500m");
    expect(cpuQuantity(0.25)).toBe("250m");
    expect(workspaceKey("skills/federation-delegate/SKILL.md")).toBe("skills.federation-delegate.SKILL.md");
  });

  it("property: every random federation compiles to schema-valid objects", async () => {
    await fc.assert(
      fc.asyncProperty(federationArb, async (shape) => {
        const fed = (await loadSpecText(stringify(shape), "fed.yaml", { target: "kubernetes" })).federation;
        const res = compile(fed, "kubernetes");
        for (const o of compiledObjects(res, "ns")) validateObject(o);
      }),
      { numRuns: 40 },
    );
  });
});

describe("clawfed generate --target kubernetes (the built CLI)", () => {
  it("writes the base, prints no secret, and says what to run next", async () => {
    const out = path.join(await tempDir("k8s-cli"), "out");
    const res = await runCli(["generate", "federations/lab.yaml", "--target", "kubernetes", "--out", out, "--namespace", "lab-test"]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain("kubectl apply -k");
    expect(yamlObjects(await readFile(path.join(out, "kustomization.yaml"), "utf8"))[0].namespace).toBe("lab-test");
    const env = parseDotenv(await readFile(path.join(out, ".env"), "utf8"));
    for (const v of Object.values(env).filter((x) => x.length >= 8)) expect(res.stdout + res.stderr).not.toContain(v);
    expect((await runCli(["generate", "--help"])).stdout).toMatch(/--namespace <name>[\s\S]*kubernetes/);
  });

  it("a bad --namespace is exit 2 and writes nothing", async () => {
    const out = path.join(await tempDir("k8s-cli-ns"), "out");
    const res = await runCli(["generate", "federations/lab.yaml", "--target", "kubernetes", "--out", out, "--namespace", "Not_A_Namespace"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("is not a Kubernetes namespace name");
    expect(existsSync(out)).toBe(false);
  });

  it("sandbox mode all is exit 1 at its line, naming the alternative, and writes nothing", async () => {
    const dir = await tempDir("k8s-cli-sb");
    const spec = path.join(dir, "fed.yaml");
    await writeFile(spec, (await readFile("federations/korax.yaml", "utf8")).replace(/\nkubernetes:\n {2}unsandboxed: \[goreos, medico\]\n/, "\n"));
    const res = await runCli(["generate", spec, "--target", "kubernetes", "--out", path.join(dir, "out")]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/fed\.yaml:\d+:\d+ gateways\.goreos\.sandbox\.mode: sandbox mode "all"/);
    expect(res.stderr).toMatch(/gateways\.medico\.sandbox\.mode/);
    expect(res.stderr).toContain("kubernetes.unsandboxed");
    expect(existsSync(path.join(dir, "out"))).toBe(false);
  });
});
