// createClawfed with fakes (in-memory engine, fake compose): every operation's result shape, and
// one exit-code policy: an unknown gateway id is a UsageError (exit 2) in every command, reported
// before anything is touched. The same codes through the real CLI at the end.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { LABELS } from "../../src/vocabulary/labels.js";
import { RuntimeError, UsageError } from "../../src/errors.js";
import { createClawfed, type ClawfedDeps } from "../../src/index.js";
import { reportError } from "../../src/cli/output.js";
import { generate, previousSubnets } from "../../src/ops/generate.js";
import { COMPOSE_PROJECT_LABEL } from "../../src/runtime/containers.js";
import { runCli } from "../helpers/cli.js";
import { MemoryEngine } from "../helpers/memory-engine.js";
import { tempDir } from "../helpers/tmp.js";

const SPEC = `name: cfops
gateways:
  hub: { role: hub, port: 28250, description: Hub., model: anthropic/claude-sonnet-4-6 }
  alpha: { port: 28400, description: Alpha., model: anthropic/claude-sonnet-4-6 }
  beta: { port: 28550, description: Beta., model: anthropic/claude-sonnet-4-6 }
links:
  - { from: hub, to: alpha }
  - { from: hub, to: beta }
`;

let spec: string;
let out: string;
let dir: string;

beforeAll(async () => {
  dir = await tempDir("ops");
  spec = path.join(dir, "cfops.yaml");
  out = path.join(dir, "out");
  await writeFile(spec, SPEC);
  await generate({ spec, outDir: out, image: "img:a" });
});

function world() {
  const eng = new MemoryEngine();
  eng.addImage("img:a");
  eng.addImage("img:b");
  for (const [id, port] of [["hub", 28250], ["alpha", 28400], ["beta", 28550]] as const) {
    eng.addContainer({
      name: `cfops_${id}_1`,
      image: "img:a",
      labels: { [LABELS.federation]: "cfops", [LABELS.managed]: "true", [LABELS.gateway]: id, [COMPOSE_PROJECT_LABEL]: "cfops" },
      port,
      state: { kind: "volume", name: `cfops_${id}-state` },
    });
  }
  const composeCalls: string[][] = [];
  const deps: ClawfedDeps = {
    engine: eng,
    get: eng.get,
    clock: eng.clock,
    wallNow: () => Date.UTC(2026, 10, 30, 12, 0, 0),
    compose: async (_p, args) => (composeCalls.push(args), { code: 0, stdout: "", stderr: "" }),
    configHash: async (_p, _text, service) => `hash-${service}`,
    configHashes: async () => new Map(),
  };
  return { eng, composeCalls, deps, ops: createClawfed(deps) };
}

describe("createClawfed: an unknown gateway id is a usage error (exit 2) in every operation, and nothing is touched", () => {
  const cases: Array<[string, (ops: ReturnType<typeof world>["ops"]) => Promise<unknown>]> = [
    ["generate --rotate", (ops) => ops.generate(spec, { out, rotate: ["nope"] })],
    ["status --only", (ops) => ops.status(spec, { out, only: ["nope"] })],
    ["logs <gateway>", (ops) => ops.logs(spec, { out, gateway: "nope", sink: { stdout: () => undefined, stderr: () => undefined } })],
    ["rollout --only", (ops) => ops.rollout(spec, { out, only: ["nope"], image: "img:b" })],
    ["planRollout --only", (ops) => ops.planRollout(spec, { out, only: ["nope"] })],
    ["backup --only", (ops) => ops.backup(spec, { out, only: ["nope"] })],
    ["restore --only", (ops) => ops.restore(spec, { out, from: path.join(dir, "missing.tar.gz"), only: ["nope"] })],
    ["native restart", (ops) => ops.native.restart(spec, { out: path.join(dir, "native"), gateways: ["nope"] })],
  ];
  for (const [name, call] of cases) {
    it(name, async () => {
      const w = world();
      const err = await call(w.ops).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toMatch(/"nope", which is not a gateway of cfops \(use one of: alpha, beta, hub\)/);
      expect(w.eng.calls).toEqual([]);
      expect(w.composeCalls).toEqual([]);
      const write = process.stderr.write;
      process.stderr.write = (() => true) as typeof process.stderr.write;
      try {
        expect(reportError(err, false)).toBe(2);
      } finally {
        process.stderr.write = write;
      }
    });
  }
});

describe("createClawfed: every result has ok, gateways, ms (and next when not ok)", () => {
  it("status, logs and down", async () => {
    const w = world();
    const st = await w.ops.status(spec, { out });
    expect(st).toMatchObject({ ok: true, healthy: true, federation: "cfops" });
    expect(st.gateways.map((g) => g.id)).toEqual(["alpha", "beta", "hub"]);
    expect(typeof st.ms).toBe("number");
    expect(st.next).toBeUndefined();
    await w.eng.stop("cfops_beta_1");
    const bad = await w.ops.status(spec, { out });
    expect(bad).toMatchObject({ ok: false, next: expect.stringMatching(/^clawfed logs .*cfops\.yaml beta --out /) });

    let text = "";
    const logs = await w.ops.logs(spec, { out, gateway: "hub", sink: { stdout: (t) => (text += t), stderr: (t) => (text += t) } });
    expect(logs).toMatchObject({ ok: true, gateways: [{ id: "hub" }], container: "cfops_hub_1" });

    const down = await w.ops.down(spec, { out });
    expect(down).toMatchObject({ ok: true, gateways: [{ id: "alpha" }, { id: "beta" }, { id: "hub" }] });
    expect(w.composeCalls[0]).toEqual(["down", "--remove-orphans"]);
  });

  it("up: generate (nothing changed), compose up, every gateway started", async () => {
    const w = world();
    const res = await w.ops.up(spec, { out, image: "img:a", timeoutMs: 60_000 });
    expect(res).toMatchObject({ ok: true, federation: "cfops", generated: [] });
    expect(res.gateways.map((g) => [g.id, g.ok])).toEqual([
      ["alpha", true],
      ["beta", true],
      ["hub", true],
    ]);
    expect(typeof res.ms).toBe("number");
    expect(w.composeCalls).toEqual([["up", "-d", "--remove-orphans"]]);
  });

  it("up gives new networks subnets clear of other Docker networks and host routes", async () => {
    const w = world();
    const own = path.join(dir, "out-steer");
    await generate({ spec, outDir: own, image: "img:a" });
    const before = await previousSubnets(own, "cfops");
    w.eng.networks = [{ name: "vpn-lab", subnets: [before.get("link-alpha--hub")!.replace(/\d+\/29$/, "0/24")], labels: {} }];
    const deps = { ...w.deps, hostRoutes: async () => [{ iface: "tun0", destination: before.get("beta-egress")!.replace(/\/29$/, "/32") }] };
    const res = await createClawfed(deps).up(spec, { out: own, image: "img:a", timeoutMs: 60_000 });
    expect(res.ok).toBe(true);
    const after = await previousSubnets(own, "cfops");
    expect(after.get("link-alpha--hub")).not.toBe(before.get("link-alpha--hub"));
    expect(after.get("beta-egress")).not.toBe(before.get("beta-egress"));
    for (const key of ["hub-egress", "alpha-egress", "link-beta--hub"]) expect(after.get(key), key).toBe(before.get(key));
    expect(w.composeCalls).toEqual([["up", "-d", "--remove-orphans"]]);
  });

  it("up refuses, before compose creates anything, subnets it cannot move: the pool is taken, or its own network has another subnet", async () => {
    const w = world();
    const own = path.join(dir, "out-refuse");
    await generate({ spec, outDir: own, image: "img:a" });
    const planned = await previousSubnets(own, "cfops");
    w.eng.networks = [
      { name: "cfops_hub-egress", subnets: ["172.30.0.0/16"], labels: {} }, // created before network.pool
      { name: "vpn-lab", subnets: ["10.213.0.0/16"], labels: {} }, // the whole default pool
    ];
    const deps = { ...w.deps, hostRoutes: async () => [{ iface: "tun0", destination: "10.200.0.0/16" }] };
    const err = await createClawfed(deps).up(spec, { out: own, image: "img:a", timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    const msg = (err as Error).message;
    expect(msg).toContain(`cfops_link-alpha--hub ${planned.get("link-alpha--hub")} overlaps Docker network vpn-lab (10.213.0.0/16)`);
    expect(msg).toContain(`cfops_hub-egress ${planned.get("hub-egress")} differs from the existing network of that name (172.30.0.0/16)`);
    expect(msg).toMatch(/Next: set a free pool in .*cfops\.yaml: network: \{ pool: 10\.201\.0\.0\/16 \} \(now 10\.213\.0\.0\/16\); remove the federation's old networks.*clawfed down .*cfops\.yaml --out .*\(state volumes are kept\); then up again/);
    expect(w.composeCalls).toEqual([]);
  });

  it("rollout plans, applies, and leaves the spec to the explicit record step", async () => {
    const w = world();
    const plan = await w.ops.planRollout(spec, { out, image: "img:b" });
    expect(plan.steps.map((s) => s.id)).toEqual(["alpha", "beta"]);
    expect(w.eng.calls).toEqual([]);
    const res = await w.ops.rollout(spec, { out, image: "img:b", only: ["beta"] });
    expect(res).toMatchObject({ ok: true, updated: [{ id: "beta", image: "img:b" }], plan: { steps: [{ id: "beta", image: "img:b" }] } });
    expect(typeof res.ms).toBe("number");
    const rec = await w.ops.recordRollout(spec, res.updated, { out });
    expect(rec).toMatchObject({ ok: true, gateways: [{ id: "beta", image: "img:b" }] });
  });
});

describe("the CLI: exit 2 for an unknown gateway in every command", () => {
  const cmds: Array<[string, () => string[]]> = [
    ["generate", () => ["generate", spec, "--out", out, "--rotate", "nope"]],
    ["status", () => ["status", spec, "--out", out, "--only", "nope"]],
    ["logs", () => ["logs", spec, "nope", "--out", out]],
    ["rollout", () => ["rollout", spec, "--out", out, "--only", "nope"]],
    ["backup", () => ["backup", spec, "--out", out, "--only", "nope"]],
    ["restore", () => ["restore", spec, path.join(dir, "missing.tar.gz"), "--out", out, "--only", "nope"]],
    ["native restart", () => ["native", "restart", spec, "nope", "--out", path.join(dir, "native")]],
  ];
  for (const [name, args] of cmds) {
    it(name, async () => {
      const r = await runCli(args());
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^error: .*"nope", which is not a gateway of cfops \(use one of: alpha, beta, hub\)/m);
      const j = await runCli([...args(), "--json"]);
      if (name !== "logs") {
        expect(j.code).toBe(2);
        expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, error: "usage" });
      }
    });
  }
});
