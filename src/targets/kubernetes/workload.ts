/**
 * One gateway's workload: a ClusterIP Service named after the gateway and a one-replica
 * StatefulSet (a gateway is the single writer of its state, facts §1.2), following OpenClaw's own
 * Kustomize deployment (docs install/kubernetes.md) where it fits:
 * - state in a ReadWriteOnce volumeClaimTemplate at /home/node/.openclaw; `/tmp` and the config
 *   folder are emptyDirs, so the root filesystem stays read-only;
 * - an init container copies `openclaw.json` into /etc/clawfed (a regular file: OpenClaw refuses
 *   a symlinked config, and ConfigMap volume files are symlinks) and the generated workspace files
 *   into the state volume, on every start: the spec owns them, like the compose target's bind
 *   mounts. The ConfigMap's hash suffix rolls the pod when any of them changes;
 * - the gateway runs with `OPENCLAW_CONFIG_READONLY=1` (facts §1.1) and receives its secrets one by
 *   one from its own Secret (`secretKeyRef`: a missing value stops the pod with the key's name);
 * - `NODE_COMPILE_CACHE` in the gateway's own state volume (or the local image's read-only cache,
 *   ../../vocabulary/compile-cache.ts), so a recreated pod does not compile OpenClaw again;
 * - `args`, not `command`: the image's ENTRYPOINT is tini (facts §5.1), which must stay PID 1;
 * - probes (facts §4): startup and readiness on `/startupz`, liveness on `/healthz`, each asserting
 *   the JSON body, because unknown paths answer 200 HTML. Readiness is `/startupz`, not `/readyz`:
 *   `/readyz` is 503 while any configured channel account fails its deep check (a Telegram bot
 *   token not filled in yet, Telegram unreachable), and as a readiness gate that would take the
 *   gateway out of its Service endpoints, so its linked peers could no longer reach it over A2A or
 *   hooks because of an unrelated channel. OpenClaw's docs say the same: "`/startupz` is the better
 *   traffic-admission probe because it ignores channel health"; keep `/readyz` for monitoring;
 * - the restricted Pod Security Standard: non-root uid/gid 1000 (the image's `node` user), fsGroup
 *   1000, no privilege escalation, all capabilities dropped, seccomp RuntimeDefault; no service
 *   account token and no service links (their `<SVC>_PORT` variables would land in OpenClaw's env).
 */
import type { IService } from "kubernetes-models/v1/Service";
import type { IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import type { IIoK8sApiCoreV1Container as IContainer } from "kubernetes-models/v1/Container";
import type { IIoK8sApiCoreV1Probe as IProbe } from "kubernetes-models/v1/Probe";
import type { IIoK8sApiCoreV1SecurityContext as ISecurityContext } from "kubernetes-models/v1/SecurityContext";
import type { IIoK8sApiCoreV1Volume as IVolume } from "kubernetes-models/v1/Volume";
import type { IIoK8sApiCoreV1VolumeMount as IVolumeMount } from "kubernetes-models/v1/VolumeMount";
import type { Federation, GatewayModel } from "../../federation/normalize.js";
import { CONTAINER_COMMS_DIR, CONTAINER_CONFIG_DIR, CONTAINER_PORT, CONTAINER_STATE_DIR, CONTAINER_WORKSPACE_DIR, routeDir } from "../../vocabulary/names.js";
import { containerCompileCacheDir } from "../../vocabulary/compile-cache.js";
import { CONTAINER_PLUGIN_DIR } from "../../compile/delegation.js";
import { configMapName, cpuQuantity, K8S_LABELS, mailboxClaim, memoryQuantity, PORT_NAME, secretName, SEED_DIR } from "./names.js";
import type { KubernetesSettings } from "./settings.js";

/** uid and gid of the image's `node` user (facts §5.1). */
export const NODE_UID = 1000;
/** Startup budget: 30 × 10 s = 5 minutes, the budget of OpenClaw's own manifests (docs install/kubernetes.md). */
const STARTUP_PERIOD_S = 10;
const STARTUP_FAILURES = 30;
/** Same grace as the compose target: a clean stop takes well under a second (facts A.5). */
const TERMINATION_GRACE_S = 30;

/**
 * A probe that GETs `path` on the gateway and passes only when the JSON body has `ok: true` and
 * the expected `status` (facts §4: unknown paths return 200 HTML, so a status code proves nothing).
 */
export function probeScript(path: string, status: string): string {
  return (
    `fetch('http://127.0.0.1:${CONTAINER_PORT}${path}').then((r) => r.json())` +
    `.then((b) => process.exit(b.ok === true && b.status === '${status}' ? 0 : 1), () => process.exit(1))`
  );
}

function probe(path: string, status: string, timing: Partial<IProbe>): IProbe {
  return { exec: { command: ["node", "-e", probeScript(path, status)] }, timeoutSeconds: 5, ...timing };
}

export function labels(fed: Federation, g: GatewayModel): Record<string, string> {
  return {
    [K8S_LABELS.name]: "openclaw",
    [K8S_LABELS.instance]: g.id,
    [K8S_LABELS.component]: "gateway",
    [K8S_LABELS.partOf]: fed.name,
    [K8S_LABELS.managedBy]: "clawfed",
    [K8S_LABELS.federation]: fed.name,
    [K8S_LABELS.gateway]: g.id,
    [K8S_LABELS.role]: g.role,
  };
}

/** Pod selector of one gateway (also what the NetworkPolicies select on). */
export function selector(fed: Federation, id: string): Record<string, string> {
  return { [K8S_LABELS.federation]: fed.name, [K8S_LABELS.gateway]: id };
}

const containerSecurity: ISecurityContext = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  privileged: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  runAsUser: NODE_UID,
  runAsGroup: NODE_UID,
  seccompProfile: { type: "RuntimeDefault" },
};

export function service(fed: Federation, g: GatewayModel): IService {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: g.id, labels: labels(fed, g) },
    spec: {
      type: "ClusterIP",
      selector: selector(fed, g.id),
      ports: [{ name: PORT_NAME, port: CONTAINER_PORT, targetPort: PORT_NAME, protocol: "TCP" }],
    },
  };
}

/**
 * Where the init container puts the federation-delegate plugin: an emptyDir of its own, read-only
 * for the gateway, at the path compose mounts it (so both targets write the same openclaw.json).
 */
export const K8S_PLUGIN_DIR = CONTAINER_PLUGIN_DIR;
/** The plugin's emptyDir volume: present only when the gateway loads the plugin. */
const pluginVolume = (files: SeedFiles) => (files.plugin.length > 0 ? [{ name: "plugin", emptyDir: { sizeLimit: "1Mi" } }] : []);
const pluginMount = (files: SeedFiles, readOnly: boolean) => (files.plugin.length > 0 ? [{ name: "plugin", mountPath: K8S_PLUGIN_DIR, ...(readOnly ? { readOnly } : {}) }] : []);

/** ConfigMap files the init container copies: workspace files (below the workspace) and plugin files (below {@link K8S_PLUGIN_DIR}). */
export interface SeedFiles {
  workspace: Array<{ key: string; rel: string }>;
  plugin: Array<{ key: string; rel: string }>;
}

/** The init container's script: fixed text and paths derived from ids and fixed file names only. */
function seedScript(files: SeedFiles): string {
  const lines = ["set -eu", `install -D -m 0644 ${SEED_DIR}/openclaw.json ${CONTAINER_CONFIG_DIR}/openclaw.json`];
  for (const f of files.workspace) lines.push(`install -D -m 0644 ${SEED_DIR}/${f.key} ${CONTAINER_WORKSPACE_DIR}/${f.rel}`);
  for (const f of files.plugin) lines.push(`install -D -m 0644 ${SEED_DIR}/${f.key} ${K8S_PLUGIN_DIR}/${f.rel}`);
  return `${lines.join("\n")}\n`;
}

/** Volumes and mounts of knowledge claims (read-only) and mailbox claims (read-write). */
function sharedVolumes(fed: Federation, g: GatewayModel, k8s: KubernetesSettings): { volumes: IVolume[]; mounts: IVolumeMount[] } {
  const volumes: IVolume[] = [];
  const mounts: IVolumeMount[] = [];
  g.knowledge.forEach((k, i) => {
    const name = `knowledge-${i}`;
    volumes.push({ name, persistentVolumeClaim: { claimName: k8s.knowledgeClaims[k.name] ?? k.name, readOnly: true } });
    mounts.push({ name, mountPath: k.mountPath, readOnly: true });
  });
  // This gateway's own routes (not all of fed.routes: that made large federations quadratic), in
  // fed.routes order (from, then to).
  [...g.outbound, ...g.inbound]
    .filter((r) => r.transports.includes("mailbox"))
    .sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : a.to > b.to ? 1 : 0))
    .forEach((r, i) => {
      const name = `mailbox-${i}`;
      volumes.push({ name, persistentVolumeClaim: { claimName: mailboxClaim(r.from, r.to) } });
      mounts.push({ name, mountPath: `${CONTAINER_COMMS_DIR}/${routeDir(r.from, r.to)}` });
    });
  return { volumes, mounts };
}

/** The gateway container: OpenClaw with its env, port, probes and mounts. */
function gatewayContainer(g: GatewayModel, envNames: string[], sharedMounts: IVolumeMount[], seedFiles: SeedFiles): IContainer {
  const memory = memoryQuantity(g.resources.memory);
  return {
    name: "gateway",
    image: g.image,
    args: ["node", "dist/index.js", "gateway", "--port", String(CONTAINER_PORT)],
    env: [
      // Explicit, or OpenClaw puts media and plugin-skill folders next to the (read-only) config.
      { name: "OPENCLAW_STATE_DIR", value: CONTAINER_STATE_DIR },
      { name: "OPENCLAW_CONFIG_PATH", value: `${CONTAINER_CONFIG_DIR}/openclaw.json` },
      { name: "OPENCLAW_CONFIG_READONLY", value: "1" },
      { name: "OPENCLAW_NO_AUTO_UPDATE", value: "1" },
      // Node's module compile cache: the image's read-only one, or one in this gateway's own state.
      { name: "NODE_COMPILE_CACHE", value: containerCompileCacheDir(g.image) },
      ...envNames.map((name) => ({ name, valueFrom: { secretKeyRef: { name: secretName(g.id), key: name } } })),
    ],
    ports: [{ name: PORT_NAME, containerPort: CONTAINER_PORT, protocol: "TCP" }],
    // Memory request = limit: a gateway needs its memory from the start (about 700 MiB, README),
    // and a node short of memory would otherwise evict it first.
    resources: { requests: { cpu: cpuQuantity(Math.min(g.resources.cpus, 0.5)), memory }, limits: { cpu: cpuQuantity(g.resources.cpus), memory } },
    startupProbe: probe("/startupz", "started", { periodSeconds: STARTUP_PERIOD_S, failureThreshold: STARTUP_FAILURES }),
    readinessProbe: probe("/startupz", "started", { periodSeconds: 10, failureThreshold: 3 }),
    livenessProbe: probe("/healthz", "live", { periodSeconds: 30, failureThreshold: 3 }),
    securityContext: containerSecurity,
    volumeMounts: [
      { name: "state", mountPath: CONTAINER_STATE_DIR },
      { name: "config", mountPath: CONTAINER_CONFIG_DIR, readOnly: true },
      { name: "tmp", mountPath: "/tmp" },
      ...pluginMount(seedFiles, true),
      ...sharedMounts,
    ],
  };
}

/** The init container that copies the ConfigMap's files into place (see the file's docstring). */
function seedContainer(g: GatewayModel, seedFiles: SeedFiles): IContainer {
  return {
    name: "seed",
    image: g.image,
    command: ["sh", "-c", seedScript(seedFiles)],
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
    securityContext: containerSecurity,
    volumeMounts: [
      { name: "state", mountPath: CONTAINER_STATE_DIR },
      { name: "config", mountPath: CONTAINER_CONFIG_DIR },
      { name: "seed", mountPath: SEED_DIR, readOnly: true },
      ...pluginMount(seedFiles, false),
    ],
  };
}

/**
 * The gateway's StatefulSet. `envNames` are the variables it receives (env plan), all from its
 * own Secret; `seedFiles` are the ConfigMap keys and paths the init container copies.
 */
export function statefulSet(
  fed: Federation,
  g: GatewayModel,
  k8s: KubernetesSettings,
  envNames: string[],
  seedFiles: SeedFiles,
): IStatefulSet {
  const shared = sharedVolumes(fed, g, k8s);
  const storage = k8s.storage;
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: g.id, labels: labels(fed, g) },
    spec: {
      serviceName: g.id,
      replicas: 1,
      selector: { matchLabels: selector(fed, g.id) },
      // Keep state claims when the StatefulSet is deleted or scaled: they hold the gateway's memory.
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      template: {
        metadata: { labels: labels(fed, g) },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: TERMINATION_GRACE_S,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: NODE_UID,
            runAsGroup: NODE_UID,
            fsGroup: NODE_UID,
            fsGroupChangePolicy: "OnRootMismatch",
            seccompProfile: { type: "RuntimeDefault" },
          },
          initContainers: [seedContainer(g, seedFiles)],
          containers: [gatewayContainer(g, envNames, shared.mounts, seedFiles)],
          volumes: [
            { name: "config", emptyDir: { sizeLimit: "16Mi" } },
            { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
            { name: "seed", configMap: { name: configMapName(g.id) } },
            ...pluginVolume(seedFiles),
            ...shared.volumes,
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: "state", labels: labels(fed, g) },
          spec: {
            accessModes: ["ReadWriteOnce"],
            ...(storage.class ? { storageClassName: storage.class } : {}),
            resources: { requests: { storage: storage.size } },
          },
        },
      ],
    },
  };
}
