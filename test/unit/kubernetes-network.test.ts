// The NetworkPolicies of the kubernetes target, evaluated (test/helpers/netpol.ts): for every
// ordered pair of gateways, port 18789 is reachable iff the spec links them in that direction;
// DNS and the internet are reachable, the cluster's other addresses and pods are not.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { compile } from "../../src/compile/index.js";
import type { Federation } from "../../src/federation/normalize.js";
import { loadSpecFile, loadSpecText } from "../../src/federation/load.js";
import { kubernetesSettings } from "../../src/targets/kubernetes/settings.js";
import { compiledObjects } from "../helpers/k8s-objects.js";
import { allowed, inCidr, sideAllows, namespaceLabels, podsOf, type Endpoint, type Pod, type Policy } from "../helpers/netpol.js";
import { federationArb } from "../helpers/spec-arb.js";

const PORT = 18789;

/** Every ordered pair's verdict against the spec's routes, plus the non-gateway checks. */
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

describe("the evaluator itself", () => {
  const a: Pod = { name: "a", namespace: "n", labels: { app: "a" }, ip: "10.244.0.2", ports: { web: 80 } };
  const b: Pod = { name: "b", namespace: "n", labels: { app: "b" }, ip: "10.244.0.3", ports: { web: 80 } };
  const ns = namespaceLabels([]);
  it("allows everything without policies, nothing under a default deny, and what a rule names", () => {
    expect(allowed([], ns, a, b, 80)).toBe(true);
    const deny: Policy = { metadata: { name: "d", namespace: "n" }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } };
    expect(allowed([deny], ns, a, b, 80)).toBe(false);
    const inB: Policy = { metadata: { name: "i", namespace: "n" }, spec: { podSelector: { matchLabels: { app: "b" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "a" } } }], ports: [{ port: "web" }] }] } };
    const outA: Policy = { metadata: { name: "o", namespace: "n" }, spec: { podSelector: { matchLabels: { app: "a" } }, policyTypes: ["Egress"], egress: [{ to: [{ podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["b"] }] } }] }] } };
    expect(allowed([deny, inB], ns, a, b, 80)).toBe(false); // egress of a still denied
    expect(allowed([deny, inB, outA], ns, a, b, 80)).toBe(true);
    expect(allowed([deny, inB, outA], ns, a, b, 81)).toBe(false);
    expect(allowed([deny, inB, outA], ns, b, a, 80)).toBe(false);
    expect(inCidr("10.244.1.1", "10.0.0.0/8")).toBe(true);
    expect(inCidr("11.0.0.1", "10.0.0.0/8")).toBe(false);
    expect(inCidr("10.1.2.3", "::/0")).toBe(false);
  });
});

describe.each(["federations/korax.yaml", "federations/lab.yaml"])("NetworkPolicies of %s", (spec) => {
  it("port 18789 is reachable for every ordered pair iff the spec links them in that direction", async () => {
    const fed = (await loadSpecFile(spec, { target: "kubernetes" })).federation;
    const { namespace } = kubernetesSettings(fed);
    checkReachability(fed, compiledObjects(compile(fed, "kubernetes"), namespace), namespace, "10.244.0.0/16");
  });
});

it("property: for random federations, reachability equals the spec's links", async () => {
  await fc.assert(
    fc.asyncProperty(federationArb, async (shape) => {
      const fed = (await loadSpecText(stringify(shape), "fed.yaml", { target: "kubernetes" })).federation;
      checkReachability(fed, compiledObjects(compile(fed, "kubernetes"), fed.name), fed.name, "10.244.0.0/16");
    }),
    { numRuns: 60 },
  );
});
