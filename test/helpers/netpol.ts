// A small NetworkPolicy evaluator (networking.k8s.io/v1 semantics, as the Kubernetes docs
// "Network Policies" state them), to prove which connections a set of policies allows without a
// cluster. Deliberately small: IPv4 only, TCP/UDP/SCTP, no CNI-specific extensions.
//
// Model
// - An endpoint is a pod `{ namespace, labels, ip, ports }` (ports: container port names → numbers)
//   or an outside address `{ ip }`.
// - A pod is isolated for ingress (egress) when at least one policy of its namespace selects it
//   with that type in `policyTypes` (when `policyTypes` is absent: Ingress, plus Egress if the
//   policy has egress rules). A non-isolated direction allows everything.
// - An isolated direction allows a connection when some selecting policy has a rule whose peers
//   match the other end (no `from`/`to` = every peer) and whose ports match (no `ports` = every
//   port; a named port is looked up in the destination pod's container ports; `endPort` ranges).
// - Peers: `podSelector` alone = pods of the policy's namespace; `namespaceSelector` alone = every
//   pod of the matching namespaces; both = matching pods in matching namespaces; `ipBlock` =
//   addresses in `cidr` and not in `except`, pod addresses included (the strict reading: a policy
//   that would let a gateway reach a pod through an ipBlock is counted as a leak).
// - Selectors: `matchLabels` and `matchExpressions` (In, NotIn, Exists, DoesNotExist); `{}` matches all.
// - A connection is allowed when the source's egress and the destination's ingress both allow it.
// Namespace labels come from Namespace objects plus `kubernetes.io/metadata.name`, which the API
// server sets on every namespace.

export interface Pod {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  ip: string;
  ports: Record<string, number>;
}
export type Endpoint = Pod | { name: string; ip: string };

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}
interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
}
interface PortRule {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: PortRule[];
}
export interface Policy {
  metadata: { name: string; namespace?: string };
  spec: { podSelector: Selector; policyTypes?: string[]; ingress?: Rule[]; egress?: Rule[] };
}

const isPod = (e: Endpoint): e is Pod => "namespace" in e;

export function selects(sel: Selector | undefined, labels: Record<string, string>): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const ok =
      e.operator === "In" ? has && (e.values ?? []).includes(labels[e.key]!)
      : e.operator === "NotIn" ? !has || !(e.values ?? []).includes(labels[e.key]!)
      : e.operator === "Exists" ? has
      : e.operator === "DoesNotExist" ? !has
      : (() => { throw new Error(`unsupported selector operator ${e.operator}`); })();
    if (!ok) return false;
  }
  return true;
}

function ipv4(ip: string): number | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** `ip` lies in `cidr` (IPv4; an IPv6 CIDR never contains an IPv4 address). */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split("/");
  const a = ipv4(ip);
  const b = ipv4(base!);
  if (a === undefined || b === undefined) return false;
  const size = 2 ** (32 - Number(bitsText));
  return Math.floor(a / size) === Math.floor(b / size);
}

function peerMatches(peer: Peer, policyNs: string, other: Endpoint, nsLabels: (ns: string) => Record<string, string>): boolean {
  if (peer.ipBlock) return inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(other.ip, c));
  if (!isPod(other)) return false;
  const nsOk = peer.namespaceSelector ? selects(peer.namespaceSelector, nsLabels(other.namespace)) : other.namespace === policyNs;
  return nsOk && selects(peer.podSelector, other.labels);
}

function portMatches(rules: PortRule[] | undefined, protocol: string, port: number, dst: Endpoint): boolean {
  if (!rules || rules.length === 0) return true;
  return rules.some((r) => {
    if ((r.protocol ?? "TCP") !== protocol) return false;
    if (r.port === undefined) return true;
    const n = typeof r.port === "number" ? r.port : isPod(dst) ? dst.ports[r.port] : undefined;
    if (n === undefined) return false;
    return r.endPort ? port >= n && port <= r.endPort : port === n;
  });
}

function types(p: Policy): string[] {
  return p.spec.policyTypes ?? ["Ingress", ...(p.spec.egress ? ["Egress"] : [])];
}

/**
 * Whether the policies of `pod`'s namespace let it send (`Egress`) to, or receive (`Ingress`) from,
 * `other`, on `port` of the destination `dst`.
 */
export function sideAllows(policies: Policy[], nsLabels: (ns: string) => Record<string, string>, pod: Endpoint, kind: "Ingress" | "Egress", other: Endpoint, dst: Endpoint, port: number, protocol = "TCP"): boolean {
  if (!isPod(pod)) return true; // outside addresses have no policies
  const selecting = policies.filter((p) => (p.metadata.namespace ?? "") === pod.namespace && types(p).includes(kind) && selects(p.spec.podSelector, pod.labels));
  if (selecting.length === 0) return true;
  return selecting.some((p) =>
    ((kind === "Ingress" ? p.spec.ingress : p.spec.egress) ?? []).some((rule) => {
      const peers = kind === "Ingress" ? rule.from : rule.to;
      const peerOk = !peers || peers.length === 0 || peers.some((peer) => peerMatches(peer, pod.namespace, other, nsLabels));
      return peerOk && portMatches(rule.ports, protocol, port, dst);
    }),
  );
}

/** Whether the policies let `src` open a `protocol` connection to `dst` on `port`: both sides must allow it. */
export function allowed(policies: Policy[], nsLabels: (ns: string) => Record<string, string>, src: Endpoint, dst: Endpoint, port: number, protocol = "TCP"): boolean {
  return sideAllows(policies, nsLabels, src, "Egress", dst, dst, port, protocol) && sideAllows(policies, nsLabels, dst, "Ingress", src, dst, port, protocol);
}

/** Namespace labels from Namespace objects, plus the label the API server sets on every namespace. */
export function namespaceLabels(objects: Array<{ kind?: string; metadata?: { name?: string; labels?: Record<string, string> } }>): (ns: string) => Record<string, string> {
  const byName = new Map(objects.filter((o) => o.kind === "Namespace").map((o) => [o.metadata!.name!, o.metadata!.labels ?? {}]));
  return (ns) => ({ ...(byName.get(ns) ?? {}), "kubernetes.io/metadata.name": ns });
}

/**
 * The pods of the StatefulSets among `objects` (one replica each), with addresses handed out in
 * order from `podRange` (an IPv4 /16 or larger, e.g. "10.244.0.0/16").
 */
export function podsOf(objects: any[], namespace: string, podRange: string): Pod[] {
  const base = ipv4(podRange.split("/")[0]!)!;
  return objects
    .filter((o) => o.kind === "StatefulSet")
    .map((o, i) => {
      const n = base + 256 + i * 7 + 2;
      const ports: Record<string, number> = {};
      for (const c of o.spec.template.spec.containers) for (const p of c.ports ?? []) if (p.name) ports[p.name] = p.containerPort;
      return {
        name: o.metadata.name,
        namespace: o.metadata.namespace ?? namespace,
        labels: o.spec.template.metadata.labels,
        ip: [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join("."),
        ports,
      };
    });
}
