// `clawfed rotate`, the pure plan (which tokens, which holders, which routes) and the env writer's
// rotation by name (only the named tokens change; every other value is kept byte for byte).
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import { afterEach, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { loadSpecFile } from "../../src/federation/load.js";
import { generate } from "../../src/ops/generate.js";
import { planRotation } from "../../src/ops/rotate-plan.js";

const SPEC = `name: cfrot
gateways:
  hub: { role: hub, port: 28270, description: Hub., model: anthropic/claude-sonnet-4-6, hooks: true }
  alpha: { role: spoke, port: 28271, description: A., model: anthropic/claude-sonnet-4-6, hooks: true }
  beta: { role: spoke, port: 28272, description: B., model: anthropic/claude-sonnet-4-6 }
  gamma: { role: spoke, port: 28273, description: C., model: anthropic/claude-sonnet-4-6 }
links:
  - { from: hub, to: alpha, transports: [a2a, hooks] }
  - { from: hub, to: beta }
  - { from: hub, to: gamma }
`;

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function setup() {
  const dir = await mkdtemp(path.join(tmpdir(), "cfrot-"));
  dirs.push(dir);
  const spec = path.join(dir, "fed.yaml");
  await writeFile(spec, SPEC);
  return { dir, spec, fed: (await loadSpecFile(spec)).federation };
}

describe("planRotation", () => {
  it("a link: the A2A tokens between its ends; only they are restarted; its routes are proved", async () => {
    const { fed } = await setup();
    const p = planRotation(fed, "hub:beta");
    expect(p.tokens).toEqual(["A2A_BETA__HUB_TOKEN", "A2A_HUB__BETA_TOKEN"]);
    expect(p.gateways).toEqual(["beta", "hub"]);
    expect(p.routes.map((r) => `${r.from}->${r.to} ${r.transport} ${r.token}`).sort()).toEqual(["beta->hub a2a A2A_BETA__HUB_TOKEN", "hub->beta a2a A2A_HUB__BETA_TOKEN"]);
    // Either direction names the same link.
    expect(planRotation(fed, "beta->hub").tokens).toEqual(p.tokens);
  });

  it("a two-way link with hooks: each end's hooks token too (held by that end and its hooks callers)", async () => {
    const { fed } = await setup();
    const p = planRotation(fed, "hub:alpha");
    expect(p.tokens).toEqual(["A2A_ALPHA__HUB_TOKEN", "A2A_HUB__ALPHA_TOKEN", "ALPHA_HOOKS_TOKEN", "HUB_HOOKS_TOKEN"]);
    expect(p.gateways).toEqual(["alpha", "hub"]);
    expect(p.routes.filter((r) => r.transport === "hooks").map((r) => `${r.from}->${r.to}`)).toEqual(["alpha->hub", "hub->alpha"]);
  });

  it("a gateway: what generate --rotate replaces; its peers hold some and are restarted, others not", async () => {
    const { fed } = await setup();
    const p = planRotation(fed, "gamma");
    expect(p.tokens).toEqual(["A2A_GAMMA__HUB_TOKEN", "A2A_HUB__GAMMA_TOKEN", "GAMMA_GATEWAY_TOKEN", "GAMMA_OPERATOR_TOKEN"]);
    expect(p.gateways).toEqual(["gamma", "hub"]);
    expect(planRotation(fed, "all").gateways).toEqual(["alpha", "beta", "gamma", "hub"]);
  });

  it("an unknown target is a usage error listing the valid ones", async () => {
    const { fed } = await setup();
    const err = (() => {
      try {
        planRotation(fed, "beta:gamma");
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toMatch(/"beta:gamma" is not a gateway or a link of cfrot/);
    expect((err as UsageError).hint).toBe("use one of: all, alpha, beta, gamma, hub, alpha:hub, beta:hub, gamma:hub");
  });
});

describe("generate with rotateNames", () => {
  it("replaces exactly the named tokens and keeps every other value", async () => {
    const { dir, spec, fed } = await setup();
    const out = path.join(dir, "out");
    await generate({ spec, outDir: out, image: "img:a" });
    const before = parseDotenv(await readFile(path.join(out, ".env"), "utf8"));
    const names = planRotation(fed, "hub:beta").tokens;
    const res = await generate({ spec, outDir: out, image: "img:a", rotateNames: names });
    expect(res.env.rotated.sort()).toEqual(names);
    const after = parseDotenv(await readFile(path.join(out, ".env"), "utf8"));
    for (const k of Object.keys(before)) {
      if (names.includes(k)) expect(after[k], k).not.toBe(before[k]);
      else expect(after[k], k).toBe(before[k]);
    }
  });
});
