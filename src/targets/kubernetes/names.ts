/**
 * Names, labels and paths of the Kubernetes target. Object names are built from ids (1-40
 * characters of a-z, 0-9 and single '-', never starting with a digit: rules "gateway-ids"), so:
 * - a gateway's Service and StatefulSet are named `<id>` (a DNS-1035 label ≤ 40 characters: the
 *   StatefulSet limit is 52, because its pods get a `controller-revision-hash` label of
 *   `<name>-<10 characters>`), which keeps every generated peer URL `http://<id>:18789`;
 * - the generators' names (`<id>-config`, `<id>-secrets`) and policies (`<id>`) end in a fixed
 *   suffix no id-derived name shares within their kind;
 * - a mailbox claim is `mailbox-<from>--to--<to>` (≤ 92 characters, a DNS-1123 subdomain), unique
 *   because `--` splits it back into the two ids (compile/names.ts); the pod-local volume names
 *   are `mailbox-<n>` and `knowledge-<n>` by position, since a volume name is a DNS-1123 label of
 *   at most 63 characters.
 */
import { routeDir } from "../../vocabulary/names.js";

/** Label keys on every generated object; selectors use `federation` and `gateway`. */
export const K8S_LABELS = {
  name: "app.kubernetes.io/name",
  instance: "app.kubernetes.io/instance",
  component: "app.kubernetes.io/component",
  partOf: "app.kubernetes.io/part-of",
  managedBy: "app.kubernetes.io/managed-by",
  federation: "clawfed.dev/federation",
  gateway: "clawfed.dev/gateway",
  role: "clawfed.dev/role",
} as const;

/** The gateway container's named port (Service targetPort, NetworkPolicy rules resolve it too). */
export const PORT_NAME = "gateway";

/** Mount path of the seed ConfigMap in the init container. */
export const SEED_DIR = "/clawfed/seed";

/** ConfigMap (from configMapGenerator) with a gateway's openclaw.json and workspace files. */
export function configMapName(id: string): string {
  return `${id}-config`;
}

/** Secret (from secretGenerator) with exactly the variables this gateway receives. */
export function secretName(id: string): string {
  return `${id}-secrets`;
}

/** ReadWriteMany claim of one mailbox direction. */
export function mailboxClaim(from: string, to: string): string {
  return `mailbox-${routeDir(from, to)}`;
}

/** Env file a secretGenerator reads (0600, git-ignored). */
export function secretEnvFile(id: string): string {
  return `secrets/${id}.env`;
}

/** Folder of a gateway's manifests and ConfigMap sources in the output. */
export function gatewayDir(id: string): string {
  return `gateways/${id}`;
}

/**
 * ConfigMap key of a workspace file: its path below the workspace with `/` as `.`
 * (`skills/federation-delegate/SKILL.md` → `skills.federation-delegate.SKILL.md`). Injective on
 * the files clawfed generates, whose folder and file names hold no `.` except the file extension.
 */
export function workspaceKey(rel: string): string {
  return rel.replace(/\//g, ".");
}

/**
 * Compose-style memory size (`2g`, `1536m`, `512k`; facts §5) as a Kubernetes quantity in whole
 * MiB or GiB (`2Gi`, `1536Mi`): compose reads g/m/k as binary units, like Gi/Mi/Ki.
 */
export function memoryQuantity(size: string): string {
  const m = /^(\d+(?:\.\d+)?)([kmg])$/i.exec(size);
  if (!m) throw new Error(`not a memory size: ${size}`);
  const mib = Number(m[1]) * ({ k: 1 / 1024, m: 1, g: 1024 } as const)[m[2]!.toLowerCase() as "k" | "m" | "g"];
  const whole = Math.ceil(mib);
  return whole % 1024 === 0 ? `${whole / 1024}Gi` : `${whole}Mi`;
}

/** CPU cores as a Kubernetes quantity in millicores (`1.5` → `1500m`, `2` → `2`). */
export function cpuQuantity(cores: number): string {
  const milli = Math.round(cores * 1000);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}
