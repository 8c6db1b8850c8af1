/**
 * The Kubernetes target: a Kustomize base (`kubectl apply -k <out>`) in the layout of OpenClaw's
 * own Kustomize deployment (docs install/kubernetes.md), one StatefulSet per gateway, wired by
 * NetworkPolicies that allow exactly the spec's links. Pure, like the other targets.
 *
 * Output (relative to the output folder):
 * - `kustomization.yaml`: namespace, resources, one configMapGenerator and one secretGenerator
 *   per gateway (their hash suffixes roll a gateway's pod when its config or secrets change);
 * - `namespace.yaml` (labelled to enforce the restricted Pod Security Standard), `network-policies.yaml`
 *   (default deny, DNS), `mailbox.yaml` (one ReadWriteMany claim per mailbox route, when any);
 * - `gateways/<id>/`: `service.yaml`, `statefulset.yaml`, `networkpolicy.yaml` (workload.ts,
 *   network.ts), and the ConfigMap sources: `openclaw.json` and `workspace/…` (AGENTS.md, SOUL.md,
 *   the federation-delegate skill), built by the same helpers as every other target;
 * - `secrets/<id>.env` (0600): only the variables that gateway receives (the env plan), filled in
 *   by the writer from the federation's `.env`; `.gitignore` keeps both out of git. No manifest
 *   holds a token: the Secrets exist only in `kubectl kustomize` output.
 *
 * Decisions (README "Kubernetes"):
 * - readiness is `/startupz`, not `/readyz` (workload.ts says why);
 * - mailbox routes get a ReadWriteMany claim each (`kubernetes.mailbox.class`; without it the
 *   cluster's default class, which is often ReadWriteOnce only: a warning says so);
 * - sandbox mode `all` is refused (SpecError; rules "kubernetes" points at the spec line) unless
 *   the gateway is listed in `kubernetes.unsandboxed`; mode `non-main` is kept with a warning
 *   (its non-main sessions fail closed without a Docker socket).
 *
 * @throws SpecError for a gateway with sandbox mode `all` not in `kubernetes.unsandboxed` (the
 *   loader's rules report it first, with its place in the file); UsageError for a bad namespace.
 */
import type { IPersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import type { INamespace } from "kubernetes-models/v1/Namespace";
import type { Federation, GatewayModel } from "../../federation/normalize.js";
import { SpecError } from "../../errors.js";
import { toJson, toYaml } from "../../render/serialize.js";
import { renderTemplate } from "../../render/templates.js";
import { dir, file, type Artifact, type CompileResult } from "../../compile/artifact.js";
import { envFor, planEnv } from "../../vocabulary/env-plan.js";
import { CONTAINER_COMMS_DIR, CONTAINER_PORT, generatedHeader, routeDir, serviceName } from "../../vocabulary/names.js";
import { buildOpenclawConfig, usesHostGateway } from "../../compile/openclaw-config.js";
import { HOST_GATEWAY_NAME } from "../../federation/schema.js";
import { DELEGATE_PLUGIN_FILES, PLUGIN_OUT_DIR, pluginArtifacts, usesDelegatePlugin } from "../../compile/delegation.js";
import { diagramLinks, workspaceArtifacts } from "../../compile/workspace.js";
import { configMapName, gatewayDir, K8S_LABELS, mailboxClaim, secretEnvFile, secretName, workspaceKey } from "./names.js";
import { baselinePolicies, gatewayPolicy } from "./network.js";
import { kubernetesSettings, type KubernetesCompileOptions, type KubernetesSettings } from "./settings.js";
import { K8S_PLUGIN_DIR, service, statefulSet } from "./workload.js";

export type { KubernetesCompileOptions } from "./settings.js";

/** Several objects in one YAML file, each a document. */
function yamlDocs(objects: unknown[], header: string): string {
  return `# ${header}\n${objects.map((o) => toYaml(o)).join("---\n")}`;
}

/**
 * The gateway as it runs on Kubernetes: listed in `kubernetes.unsandboxed` → sandbox off.
 * @throws SpecError for sandbox mode `all` otherwise.
 */
function onKubernetes(fed: Federation, g: GatewayModel, k8s: KubernetesSettings, warnings: string[]): GatewayModel {
  if (!g.sandboxed) return g;
  if (k8s.unsandboxed.includes(g.id)) return { ...g, sandboxed: false, sandbox: { ...g.sandbox, mode: "off" } };
  if (g.sandbox.mode === "all") {
    throw new SpecError([
      {
        file: fed.specFile,
        line: 0,
        col: 0,
        path: `gateways.${g.id}.sandbox.mode`,
        message: `sandbox mode "all" needs a Docker socket, which no Kubernetes pod gets, so ${g.id} could answer nothing`,
        hint: `for Kubernetes only, add ${g.id} to kubernetes.unsandboxed; or set sandbox.mode: off`,
      },
    ]);
  }
  warnings.push(
    `${g.id}: sandbox mode "${g.sandbox.mode}" needs a Docker socket, which no pod gets: its non-main sessions (A2A and hook tasks, group chats) fail closed; ` +
      `add ${g.id} to kubernetes.unsandboxed to run them in the pod itself`,
  );
  return g;
}

function namespaceObject(fed: Federation, name: string): INamespace {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name,
      labels: {
        [K8S_LABELS.partOf]: fed.name,
        [K8S_LABELS.managedBy]: "clawfed",
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
      },
    },
  };
}

function mailboxClaims(fed: Federation, k8s: KubernetesSettings): IPersistentVolumeClaim[] {
  return fed.routes
    .filter((r) => r.transports.includes("mailbox"))
    .map((r) => ({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: mailboxClaim(r.from, r.to), labels: { [K8S_LABELS.partOf]: fed.name, [K8S_LABELS.managedBy]: "clawfed", [K8S_LABELS.federation]: fed.name } },
      spec: {
        accessModes: ["ReadWriteMany"],
        ...(k8s.mailbox.class ? { storageClassName: k8s.mailbox.class } : {}),
        resources: { requests: { storage: k8s.mailbox.size } },
      },
    }));
}

export function compileKubernetes(fed: Federation, opts: KubernetesCompileOptions = {}): CompileResult {
  const k8s = kubernetesSettings(fed, opts);
  const env = planEnv(fed);
  const header = generatedHeader(fed.specFile);
  const warnings: string[] = [];
  const artifacts: Artifact[] = [dir("gateways"), dir("secrets", { mode: 0o700 })];
  const resources = ["namespace.yaml", "network-policies.yaml"];
  const configMaps: unknown[] = [];
  const secrets: unknown[] = [];

  artifacts.push(file("namespace.yaml", toYaml(namespaceObject(fed, k8s.namespace), header)));
  artifacts.push(file("network-policies.yaml", yamlDocs(baselinePolicies(fed), header)));
  for (const p of fed.providers.filter((x) => usesHostGateway(x.baseUrl))) {
    // compose maps the name with `extra_hosts: host-gateway`; a pod has no such mapping.
    warnings.push(`model provider ${p.id} is at ${HOST_GATEWAY_NAME}, which pods cannot resolve; give models.providers.${p.id}.baseUrl an address the cluster reaches (a Service, or the host's IP)`);
  }
  const claims = mailboxClaims(fed, k8s);
  if (claims.length > 0) {
    resources.push("mailbox.yaml");
    artifacts.push(file("mailbox.yaml", yamlDocs(claims, header)));
    if (!k8s.mailbox.class) {
      warnings.push("mailbox routes use ReadWriteMany claims in the cluster's default StorageClass; if it offers only ReadWriteOnce (most do), set kubernetes.mailbox.class to an RWX class (NFS, CephFS, EFS, Azure Files) or drop the mailbox transport (A2A and hooks work without it)");
    }
  }

  for (const g0 of fed.gateways) {
    const g = onKubernetes(fed, g0, k8s, warnings);
    const base = gatewayDir(g.id);
    const envNames = envFor(env, g.id);
    const knowledgePath = (name: string) => fed.knowledge.find((k) => k.name === name)!.mountPath;
    const config = buildOpenclawConfig(fed, g, {
      bind: "lan",
      port: CONTAINER_PORT,
      // The Control UI is reached with `kubectl port-forward svc/<id> <port>:18789`.
      publishedPort: g.port,
      peerBaseUrl: (id) => `http://${serviceName(id)}:${CONTAINER_PORT}`,
      knowledgePath,
      // The init container copies the plugin from the ConfigMap into the config volume.
      plugin: { pluginPath: K8S_PLUGIN_DIR, selfUrl: `http://127.0.0.1:${CONTAINER_PORT}/a2a/v1`, routePath: (from, to) => `${CONTAINER_COMMS_DIR}/${routeDir(from, to)}` },
    });
    const ws = workspaceArtifacts(
      fed,
      g,
      { peerBaseUrl: (id) => `http://${serviceName(id)}:${CONTAINER_PORT}`, routePath: (from, to) => `${CONTAINER_COMMS_DIR}/${routeDir(from, to)}`, knowledgePath },
      `${base}/workspace`,
    );
    // Not bind-mounted anywhere: the files only feed the ConfigMap, so nothing is gateway-owned.
    const wsFiles = ws.filter((a) => a.kind === "file").map((a) => ({ key: workspaceKey(a.path.slice(`${base}/workspace/`.length)), rel: a.path.slice(`${base}/workspace/`.length), path: a.path }));
    artifacts.push(dir(base), ...ws.map((a) => ({ ...a, gatewayOwned: false })));
    artifacts.push(file(`${base}/openclaw.json`, toJson(config, header)));
    artifacts.push(file(`${base}/service.yaml`, toYaml(service(fed, g), header)));
    // ConfigMap keys `plugin_<file>`: `_` never occurs in a workspace key (workspaceKey).
    const pluginFiles = usesDelegatePlugin(g) ? DELEGATE_PLUGIN_FILES.map((f) => ({ key: `plugin_${f}`, rel: f, path: `${PLUGIN_OUT_DIR}/${f}` })) : [];
    artifacts.push(file(`${base}/statefulset.yaml`, toYaml(statefulSet(fed, g, k8s, envNames, { workspace: wsFiles, plugin: pluginFiles }), header)));
    artifacts.push(file(`${base}/networkpolicy.yaml`, toYaml(gatewayPolicy(fed, g, k8s.clusterCidrs), header)));
    resources.push(`${base}/service.yaml`, `${base}/statefulset.yaml`, `${base}/networkpolicy.yaml`);
    configMaps.push({
      name: configMapName(g.id),
      files: [`openclaw.json=${base}/openclaw.json`, ...wsFiles.map((f) => `${f.key}=${f.path}`), ...pluginFiles.map((f) => `${f.key}=${f.path}`)],
    });
    // `env` (one file), not `envs`: the Kustomize v2.0.3 of Debian's kubectl 1.20 knows only `env`,
    // and Kustomize v5 still reads it.
    secrets.push({ name: secretName(g.id), env: secretEnvFile(g.id), type: "Opaque" });
    artifacts.push(
      file(secretEnvFile(g.id), `# ${header}\n# ${g.id}'s own secrets, read by the secretGenerator of kustomization.yaml; never commit this file.\n`, {
        mode: 0o600,
        secret: true,
        envFrom: envNames,
        envSyntax: "kustomize",
      }),
    );
  }

  // One copy of the plugin for every gateway's ConfigMap (configMapGenerator reads it).
  if (fed.gateways.some(usesDelegatePlugin)) artifacts.push(...pluginArtifacts());
  const kustomization = {
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    namespace: k8s.namespace,
    resources,
    configMapGenerator: configMaps,
    secretGenerator: secrets,
  };
  artifacts.push(file("kustomization.yaml", toYaml(kustomization, header)));
  artifacts.push(file(".gitignore", `# ${header}\n# Tokens and secrets: the federation's .env and each gateway's env file.\n/.env\n/secrets/\n`));
  artifacts.push(file("README.md", kubernetesReadme(fed, k8s)));
  return { target: "kubernetes", artifacts, env, warnings };
}

function kubernetesReadme(fed: Federation, k8s: KubernetesSettings): string {
  return renderTemplate("kubernetes-README.md.hbs", {
    header: generatedHeader(fed.specFile),
    name: fed.name,
    description: fed.description ?? "",
    version: fed.openclawVersion,
    specFile: fed.specFile,
    namespace: k8s.namespace,
    gateways: fed.gateways.map((g) => ({ id: g.id, role: g.role, port: g.port, model: g.model.primary, description: g.description })),
    links: diagramLinks(fed),
    mailbox: fed.routes.some((r) => r.transports.includes("mailbox")),
    first: fed.gateways[0],
  });
}
