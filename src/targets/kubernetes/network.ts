/**
 * NetworkPolicies: the spec's links, enforced by the cluster's network plugin (Calico, Cilium,
 * and others; a plugin without NetworkPolicy support ignores them, README says so).
 *
 * - `default-deny`: every pod of the namespace, ingress and egress, nothing allowed;
 * - `allow-dns`: the federation's pods may reach the cluster DNS (pods labelled
 *   `k8s-app: kube-dns` in `kube-system`, as kubeadm, kind, k3s, GKE and EKS label CoreDNS) on
 *   port 53;
 * - one policy per gateway, `<id>`: ingress to port 18789 only from the pods of the gateways that
 *   may reach it (one rule per link direction), egress to port 18789 of the gateways it may reach,
 *   and to any address outside the cluster's pod and service ranges (`kubernetes.clusterCidrs`):
 *   model providers and Telegram. Two gateways that share no link cannot connect either way.
 *
 * Policies are allow-lists that add up (a connection passes when the source pod's egress and the
 * destination pod's ingress both allow it), and they see pod addresses after a Service's address
 * translation, so `http://<id>:18789` reaches a peer only through these rules.
 */
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IIoK8sApiNetworkingV1NetworkPolicyPeer as IPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import type { IIoK8sApiNetworkingV1NetworkPolicyPort as INetworkPolicyPort } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort";
import { isIPv4 } from "node:net";
import type { Federation, GatewayModel } from "../../federation/normalize.js";
import { CONTAINER_PORT } from "../../vocabulary/names.js";
import { K8S_LABELS } from "./names.js";
import { selector } from "./workload.js";

/** Where the cluster DNS runs (the labels every common distribution gives CoreDNS / kube-dns). */
export const DNS_PEER: IPeer = {
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
  podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
};

function policyLabels(fed: Federation): Record<string, string> {
  return { [K8S_LABELS.partOf]: fed.name, [K8S_LABELS.managedBy]: "clawfed", [K8S_LABELS.federation]: fed.name };
}

/** Namespace-wide policies: default deny, and DNS for the federation's pods. */
export function baselinePolicies(fed: Federation): INetworkPolicy[] {
  return [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "default-deny", labels: policyLabels(fed) },
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "allow-dns", labels: policyLabels(fed) },
      spec: {
        podSelector: { matchLabels: { [K8S_LABELS.federation]: fed.name } },
        policyTypes: ["Egress"],
        egress: [{ to: [DNS_PEER], ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] }],
      },
    },
  ];
}

/** Internet egress: everything outside the cluster ranges; IPv6 only when IPv6 ranges are listed. */
export function internetPeers(clusterCidrs: string[]): IPeer[] {
  const v4 = clusterCidrs.filter((c) => isIPv4(c.split("/")[0]!));
  const v6 = clusterCidrs.filter((c) => !isIPv4(c.split("/")[0]!));
  const peers: IPeer[] = [{ ipBlock: { cidr: "0.0.0.0/0", ...(v4.length ? { except: v4 } : {}) } }];
  if (v6.length) peers.push({ ipBlock: { cidr: "::/0", except: v6 } });
  return peers;
}

/** The policy of one gateway: its links, in both directions, and internet egress. */
export function gatewayPolicy(fed: Federation, g: GatewayModel, clusterCidrs: string[]): INetworkPolicy {
  const port: INetworkPolicyPort[] = [{ protocol: "TCP", port: CONTAINER_PORT }];
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: g.id, labels: { ...policyLabels(fed), [K8S_LABELS.gateway]: g.id } },
    spec: {
      podSelector: { matchLabels: selector(fed, g.id) },
      policyTypes: ["Ingress", "Egress"],
      ingress: g.inbound.map((r) => ({ from: [{ podSelector: { matchLabels: selector(fed, r.from) } }], ports: port })),
      egress: [
        ...g.outbound.map((r) => ({ to: [{ podSelector: { matchLabels: selector(fed, r.to) } }], ports: port })),
        { to: internetPeers(clusterCidrs) },
      ],
    },
  };
}
