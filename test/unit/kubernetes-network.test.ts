// The NetworkPolicies of the kubernetes target, evaluated (test/helpers/netpol.ts): for every
// ordered pair of gateways, port 18789 is reachable iff the spec links them in that direction;
// DNS and the internet are reachable, the cluster's other addresses and pods are not.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { compile } from "../../src/targets/registry.js";
import { loadSpecFile, loadSpecText } from "../../src/federation/load.js";
import { kubernetesSettings } from "../../src/targets/kubernetes/settings.js";
import { compiledObjects } from "../helpers/k8s-objects.js";
import { allowed, inCidr, namespaceLabels, type Pod, type Policy } from "../helpers/netpol.js";
import { checkReachability } from "../helpers/k8s-reachability.js";
import { federationArb } from "../helpers/spec-arb.js";

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
