// Properties of the ecs target over random valid federations (test/helpers/spec-arb.ts: adversarial
// ids, any links, one-way or not, any transports): who reads which secret, who may reach whom,
// which access points each gateway mounts. The CDK stack only maps these fields to constructs
// (ecs-synth.test.ts checks that mapping on the example specs).
import fc from "fast-check";
import { expect, it } from "vitest";
import { loadSpecText } from "../../src/federation/load.js";
import { describeEcs } from "../../src/targets/ecs/describe.js";
import { stateRoot } from "../../src/targets/ecs/names.js";
import { envFor, planEnv } from "../../src/vocabulary/env-plan.js";
import { federationArb } from "../helpers/spec-arb.js";

it("secrets, reachability and mounts follow the links exactly (property)", async () => {
  await fc.assert(
    fc.asyncProperty(federationArb, async (spec) => {
      const fed = (await loadSpecText(JSON.stringify(spec), "fed.yaml", { target: "ecs" })).federation;
      const d = describeEcs(fed, "h");
      const slots = planEnv(fed);
      const names = new Set(d.secrets.map((s) => s.name));
      expect(names.size).toBe(d.secrets.length);
      for (const g of d.gateways) {
        // Exactly the variables the env plan gives this gateway, each from a secret it may read.
        expect(Object.keys(g.secrets).sort()).toEqual(envFor(slots, g.id).sort());
        for (const [env, name] of Object.entries(g.secrets)) {
          const s = d.secrets.find((x) => x.name === name)!;
          expect(s.env).toBe(env);
          expect(s.readers).toContain(g.id);
          if (!s.generated) expect(name).toBe(`/openclaw/${fed.name}/${g.id}/${env}`);
        }
        // Reachability is the routes, nothing more.
        expect(g.egressTo).toEqual(fed.routes.filter((r) => r.from === g.id).map((r) => r.to).sort());
        expect(g.ingressFrom).toEqual(fed.routes.filter((r) => r.to === g.id).map((r) => r.from).sort());
        // Its own state, and mailbox access points only of routes it is an end of.
        const aps = g.mounts.map((m) => d.accessPoints.find((a) => a.id === m.accessPoint)!);
        expect(aps.filter((a) => a.kind === "state").map((a) => a.rootDirectory)).toEqual([stateRoot(fed.name, g.id)]);
        for (const a of aps) {
          if (a.kind === "mailbox" || a.kind === "state") expect(a.writers, a.id).toContain(g.id);
          if (a.kind === "knowledge") expect(a.readers).toContain(g.id);
        }
        for (const m of g.mounts) expect(m.readOnly).toBe(d.accessPoints.find((a) => a.id === m.accessPoint)!.kind === "knowledge");
      }
      // Every secret is read by someone, and a generated one only by gateways whose plan names it.
      for (const s of d.secrets) {
        expect(s.readers.length).toBeGreaterThan(0);
        for (const r of s.readers) expect(envFor(slots, r)).toContain(s.env);
      }
    }),
    { numRuns: 60 },
  );
});
