/**
 * The Kubernetes target's settings: the spec's `kubernetes:` block with its defaults, and the
 * namespace (`--namespace` beats `kubernetes.namespace`, which beats the federation name).
 */
import { DEFAULT_CLUSTER_CIDRS, DNS_LABEL, type KubernetesParsed } from "../../federation/kubernetes-schema.js";
import type { Federation } from "../../federation/normalize.js";
import { UsageError } from "../../errors.js";

export interface KubernetesCompileOptions {
  /** Namespace of every object (`clawfed generate --namespace`); a DNS-1123 label. */
  namespace?: string;
}

export interface KubernetesSettings extends KubernetesParsed {
  namespace: string;
}

/**
 * @throws UsageError when `opts.namespace` is not a DNS-1123 label (1-63 characters of a-z, 0-9
 *   and '-', starting and ending with a letter or digit).
 */
export function kubernetesSettings(fed: Federation, opts: KubernetesCompileOptions = {}): KubernetesSettings {
  if (opts.namespace !== undefined && !DNS_LABEL.test(opts.namespace)) {
    throw new UsageError(`--namespace ${JSON.stringify(opts.namespace)} is not a Kubernetes namespace name`, {
      hint: "1-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit, e.g. --namespace korax",
    });
  }
  const k = fed.kubernetes;
  return {
    clusterCidrs: k?.clusterCidrs ?? DEFAULT_CLUSTER_CIDRS,
    storage: k?.storage ?? { size: "10Gi" },
    mailbox: k?.mailbox ?? { size: "1Gi" },
    knowledgeClaims: k?.knowledgeClaims ?? {},
    unsandboxed: k?.unsandboxed ?? [],
    namespace: opts.namespace ?? k?.namespace ?? fed.name,
  };
}
