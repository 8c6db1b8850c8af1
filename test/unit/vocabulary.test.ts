// The shared vocabulary: the env plan's list of secret variables (what the runtime redacts) and the
// per-gateway route indexes the compile uses instead of scanning every route per gateway.
import fc from "fast-check";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { loadSpecFile, loadSpecText } from "../../src/federation/load.js";
import { gatewayIndex, routesOf, type Federation } from "../../src/federation/normalize.js";
import { compile } from "../../src/targets/registry.js";
import { a2aPeers, envFor, planEnv, secretEnvNames, secretNamesOf } from "../../src/vocabulary/env-plan.js";
import { a2aTokenEnv, gatewayTokenEnv, hooksTokenEnv } from "../../src/vocabulary/names.js";
import { federationArb } from "../helpers/spec-arb.js";

/** Every `${NAME}` the compose file hands to a gateway's environment. */
function composeEnvRefs(fed: Federation): Set<string> {
  const text = compile(fed, "compose").artifacts.find((a) => a.path === "docker-compose.yml");
  const compose = parseYaml(text?.kind === "file" ? text.content : "") as { services: Record<string, { environment: Record<string, string> }> };
  const refs = new Set<string>();
  for (const s of Object.values(compose.services)) for (const [k, v] of Object.entries(s.environment)) if (v === `\${${k}}`) refs.add(k);
  return refs;
}

describe("secretEnvNames", () => {
  it("korax: every token and user secret, nothing else", async () => {
    const { federation } = await loadSpecFile("federations/korax.yaml");
    const names = secretEnvNames(federation);
    expect(names).toEqual([...names].sort());
    for (const g of federation.gateways) expect(names).toContain(gatewayTokenEnv(g.id));
    expect(names).toEqual(expect.arrayContaining(["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "TG_TOKEN_KORAX", "TG_TOKEN_MEDICO", hooksTokenEnv("korax")]));
    expect(names).not.toContain("COMPOSE_PROJECT_NAME");
    expect(names).not.toContain("CLAWFED_DOCKER_GID");
  });

  it("equals, for any federation, exactly the variables compose hands to gateways (every one of them a secret)", async () => {
    await fc.assert(
      fc.asyncProperty(federationArb, async (spec) => {
        const { federation } = await loadSpecText(JSON.stringify(spec), "fed.yaml");
        const names = secretEnvNames(federation);
        expect(names).toEqual([...composeEnvRefs(federation)].sort());
        // The compose plan adds only non-secret slots to the federation's plan.
        expect(secretNamesOf(compile(federation, "compose").env)).toEqual(names);
      }),
      { numRuns: 60 },
    );
  });
});

describe("per-gateway route indexes", () => {
  it("routesOf, a2aPeers and envFor agree with a scan of every route, for any federation", async () => {
    await fc.assert(
      fc.asyncProperty(federationArb, async (spec) => {
        const { federation: fed } = await loadSpecText(JSON.stringify(spec), "fed.yaml");
        const plan = planEnv(fed);
        for (const g of fed.gateways) {
          expect(routesOf(g)).toEqual(fed.routes.filter((r) => r.from === g.id || r.to === g.id));
          expect(gatewayIndex(fed).get(g.id)).toBe(g);
          const scan = new Map<string, { peer: string; inbound: boolean; outbound: boolean }>();
          for (const r of fed.routes) {
            if (!r.transports.includes("a2a")) continue;
            if (r.from === g.id) scan.set(r.to, { peer: r.to, inbound: scan.get(r.to)?.inbound ?? false, outbound: true });
            if (r.to === g.id) scan.set(r.from, { peer: r.from, outbound: scan.get(r.from)?.outbound ?? false, inbound: true });
          }
          expect(a2aPeers(g)).toEqual([...scan.keys()].sort().map((p) => scan.get(p)));
          for (const p of a2aPeers(g)) expect(envFor(plan, g.id)).toContain(a2aTokenEnv(p.peer, g.id));
          expect(envFor(plan, g.id)).toEqual(plan.filter((s) => s.consumers.includes(g.id)).map((s) => s.name));
        }
      }),
      { numRuns: 60 },
    );
  });
});
