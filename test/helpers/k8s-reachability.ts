// The reachability check shared by the compile-level and the `kubectl kustomize`-level tests.
import { expect } from "vitest";
import type { Federation } from "../../src/federation/normalize.js";
import { allowed, namespaceLabels, podsOf, sideAllows, type Endpoint, type Pod, type Policy } from "./netpol.js";

const PORT = 18789;

/** Every ordered pair of gateways: port 18789 reachable (both sides, and each side alone) iff linked; DNS and the internet reachable; nothing else. */
export function checkReachability(fed: Federation, objects: any[], namespace: string, podRange: string): void {
  const policies = objects.filter((o) => o.kind === "NetworkPolicy") as Policy[];
  const ns = namespaceLabels(objects);
  const pods = podsOf(objects, namespace, podRange);
  expect(pods.map((p) => p.name).sort()).toEqual(fed.gateways.map((g) => g.id).sort());
  const routes = new Set(fed.routes.map((r) => `${r.from}>${r.to}`));
  for (const a of pods) {
    for (const b of pods) {
      if (a === b) continue;
      const linked = routes.has(`${a.name}>${b.name}`);
      expect(allowed(policies, ns, a, b, PORT), `${a.name} → ${b.name}:${PORT} (linked: ${linked})`).toBe(linked);
      // Each side enforces the link on its own (defence in depth): a's egress and b's ingress.
      expect(sideAllows(policies, ns, a, "Egress", b, b, PORT), `egress of ${a.name} to ${b.name}`).toBe(linked);
      expect(sideAllows(policies, ns, b, "Ingress", a, b, PORT), `ingress of ${b.name} from ${a.name}`).toBe(linked);
      // Only the gateway port, even between linked gateways.
      expect(allowed(policies, ns, a, b, 22), `${a.name} → ${b.name}:22`).toBe(false);
    }
  }
  const dns: Pod = { name: "coredns", namespace: "kube-system", labels: { "k8s-app": "kube-dns" }, ip: "10.96.0.10", ports: {} };
  const stranger: Pod = { name: "stranger", namespace, labels: { app: "other" }, ip: podRange.replace(/\.0\/\d+$/, ".250"), ports: {} };
  const otherNs: Pod = { name: "elsewhere", namespace: "default", labels: pods[0]!.labels, ip: "10.244.9.9", ports: { gateway: PORT } };
  const internet: Endpoint = { name: "api.anthropic.com", ip: "160.79.104.10" };
  for (const p of pods) {
    expect(allowed(policies, ns, p, dns, 53, "UDP"), `${p.name} → DNS`).toBe(true);
    expect(allowed(policies, ns, p, internet, 443), `${p.name} → internet`).toBe(true);
    expect(allowed(policies, ns, internet, p, PORT), `internet → ${p.name}`).toBe(false);
    expect(allowed(policies, ns, p, stranger, 80), `${p.name} → a pod of the namespace`).toBe(false);
    expect(allowed(policies, ns, stranger, p, PORT), `a pod of the namespace → ${p.name}`).toBe(false);
    expect(allowed(policies, ns, otherNs, p, PORT), `a look-alike pod of another namespace → ${p.name}`).toBe(false);
    expect(allowed(policies, ns, p, otherNs, PORT), `${p.name} → a look-alike pod of another namespace`).toBe(false);
    expect(allowed(policies, ns, p, { name: "kube-apiserver", ip: "10.96.0.1" }, 443), `${p.name} → a service address`).toBe(false);
  }
}

