/**
 * The `kubernetes:` block of the spec: settings only the Kubernetes target reads (other targets
 * ignore it). Shape only; the cross-field checks (known gateway and knowledge names, sandbox mode
 * `all`) live in kubernetes-rules.ts.
 *
 * Name rules are Kubernetes' own (k8s.io/apimachinery validation): a namespace is a DNS-1123
 * label (≤ 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit);
 * claim and storage-class names are DNS-1123 subdomains (≤ 253 characters, labels joined by '.').
 */
import { isIP } from "node:net";
import { z } from "zod";

/** DNS-1123 label (namespaces). */
export const DNS_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** DNS-1123 subdomain (PersistentVolumeClaim and StorageClass names). */
export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Default cluster ranges excluded from a gateway's internet egress: the RFC 1918 private ranges,
 * which hold the pod and service CIDRs of kubeadm (10.244.0.0/16, 10.96.0.0/12), kind, k3s
 * (10.42.0.0/16, 10.43.0.0/16), GKE and EKS defaults. A cluster using other ranges (e.g. EKS
 * custom networking in 100.64.0.0/10) must list them, or its gateways could reach every pod.
 */
export const DEFAULT_CLUSTER_CIDRS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

/** Why `cidr` is not an IPv4 or IPv6 CIDR with its host bits zero, or undefined when it is one. */
export function cidrProblem(cidr: string): string | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  const family = m ? isIP(m[1]!) : 0;
  if (!m || family === 0) return `"${cidr}" is not a CIDR like 10.244.0.0/16 or fd00::/8`;
  const bits = Number(m[2]);
  if (bits > (family === 4 ? 32 : 128)) return `"${cidr}" has a prefix longer than ${family === 4 ? 32 : 128} bits`;
  if (family === 4) {
    const n = m[1]!.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
    const hostBits = 32 - bits;
    if (hostBits > 0 && n % 2 ** hostBits !== 0) return `"${cidr}" has host bits set (NetworkPolicy ipBlock needs the network address)`;
  }
  return undefined;
}

const Cidr = z.string().superRefine((c, ctx) => {
  const problem = cidrProblem(c);
  if (problem) ctx.addIssue({ code: "custom", message: problem, params: { hint: "write the network address and prefix, e.g. 10.244.0.0/16" } });
});

const Subdomain = (what: string) =>
  z.string().regex(DNS_SUBDOMAIN, { message: `${what} must be a Kubernetes name: lower-case a-z, 0-9, '-' and '.', at most 253 characters` });

/** Storage size, a Kubernetes quantity with a binary suffix (10Gi, 512Mi). */
const StorageSize = z
  .string()
  .regex(/^[1-9][0-9]*(Ki|Mi|Gi|Ti|Pi)$/, { message: "must be a Kubernetes size like 10Gi or 512Mi" });

const Claim = (defaultSize: string, what: string) =>
  z
    .object({
      size: StorageSize.default(defaultSize).describe(`Requested size (resources.requests.storage), default ${defaultSize}.`),
      class: Subdomain("the storage class").optional().describe(`StorageClass of ${what}; default: the cluster's default class.`),
    })
    .strict();

export const Kubernetes = z
  .object({
    namespace: z
      .string()
      .regex(DNS_LABEL, { message: "must be a Kubernetes namespace name: 1-63 characters of a-z, 0-9 and '-'" })
      .optional()
      .describe("Namespace of the federation; default the federation name. `clawfed generate --namespace` overrides it."),
    clusterCidrs: z
      .array(Cidr)
      .min(1)
      .default(DEFAULT_CLUSTER_CIDRS)
      .describe(
        "The cluster's pod and service ranges. Gateways may reach the internet (model providers, Telegram) except these, so inside the cluster they reach only DNS and their linked peers. Default: the RFC 1918 ranges. List IPv6 ranges too on a dual-stack cluster (IPv6 egress is allowed only then).",
      ),
    storage: Claim("10Gi", "each gateway's state volume")
      .default({ size: "10Gi" })
      .describe("Each gateway's state claim (a StatefulSet volumeClaimTemplate, ReadWriteOnce)."),
    mailbox: Claim("1Gi", "the mailbox claims (it must offer ReadWriteMany, e.g. NFS, CephFS, EFS, Azure Files)")
      .default({ size: "1Gi" })
      .describe("The mailbox: one ReadWriteMany claim per route with the mailbox transport, mounted by its two gateways."),
    knowledgeClaims: z
      .record(z.string(), Subdomain("the claim name"))
      .default({})
      .describe("Existing PersistentVolumeClaim of each knowledge base, by knowledge name; default a claim named like the knowledge base. Mounted read-only."),
    unsandboxed: z
      .array(z.string())
      .default([])
      .describe(
        "Gateways whose sandbox (mode non-main or all) is turned off on Kubernetes, where no pod gets a Docker socket: the pod's restricted security context is then their only confinement. Without this, sandbox mode all is refused for this target.",
      ),
  })
  .strict()
  .describe("Settings of the Kubernetes target (`clawfed generate --target kubernetes`); other targets ignore them.");

export type KubernetesParsed = z.output<typeof Kubernetes>;
