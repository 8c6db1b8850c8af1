// Subnets of the generated Docker networks: CIDR parsing, the allocation from network.pool
// (property tests), the pool-size rule, and the check `up` makes against existing networks and
// host routes before it creates anything.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadSpecText } from "../../src/federation/load.js";
import { SpecError, RuntimeError } from "../../src/errors.js";
import { compile } from "../../src/targets/registry.js";
import { composeSubnets } from "../../src/targets/compose/index.js";
import {
  allocateSubnets,
  cidr,
  contains,
  DEFAULT_NETWORK_POOL,
  formatCidr,
  overlaps,
  parseCidr,
  poolCapacity,
  poolPrefixFor,
  SUBNET_PREFIX,
} from "../../src/vocabulary/subnets.js";
import { assertSubnetsFree, freePool, occupiedElsewhere, subnetConflicts } from "../../src/ops/network-check.js";
import { parseProcRoutes } from "../../src/runtime/host-routes.js";
import { federationArb } from "../helpers/spec-arb.js";

const cidrSizeOf = (c: { prefix: number }) => 2 ** (32 - c.prefix);
const namesArb = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), { minLength: 1, maxLength: 120 });
/** Pools from a /8 to a /22 anywhere in the IPv4 space, aligned. */
const poolArb = fc.record({ addr: fc.integer({ min: 0, max: 2 ** 32 - 1 }), prefix: fc.integer({ min: 8, max: 22 }) }).map(({ addr, prefix }) => ({
  base: (addr & (~0 << (32 - prefix))) >>> 0,
  prefix,
}));

function hubSpec(spokes: number, network?: { pool: string }): string {
  const gateways: Record<string, unknown> = { hub: { role: "hub", port: 20000, description: "the hub", model: "anthropic/claude-sonnet-4-6" } };
  for (let i = 1; i <= spokes; i++) gateways[`s${i}`] = { port: 20000 + i, description: `spoke ${i}`, model: "anthropic/claude-sonnet-4-6" };
  const links = Array.from({ length: spokes }, (_, i) => ({ from: "hub", to: `s${i + 1}` }));
  return stringify({ name: "wide", gateways, links, ...(network ? { network } : {}) });
}

describe("CIDR parsing", () => {
  it("round-trips every aligned block and refuses host bits, bad octets and prefixes", () => {
    fc.assert(
      fc.property(poolArb, (c) => {
        const back = parseCidr(formatCidr(c));
        expect(back).toEqual(c);
      }),
    );
    expect(parseCidr("10.213.0.1/16")).toEqual({ problem: "10.213.0.1/16 has host bits set; the block is 10.213.0.0/16" });
    for (const bad of ["10.213.0.0", "256.1.1.1/8", "10.01.0.0/16", "10.0.0.0/33", " 10.0.0.0/8", "fd00::/8"]) expect(parseCidr(bad)).toHaveProperty("problem");
  });

  it("poolPrefixFor gives the smallest pool that holds n networks", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1 << 20 }), (n) => {
        const p = poolPrefixFor(n);
        expect(poolCapacity({ base: 0, prefix: p })).toBeGreaterThanOrEqual(n);
        if (p < SUBNET_PREFIX) expect(poolCapacity({ base: 0, prefix: p + 1 })).toBeLessThan(n);
      }),
    );
    expect(poolPrefixFor(99)).toBe(22);
  });
});

describe("allocateSubnets", () => {
  it("gives every name a /29 inside the pool, no two overlapping, the same on every run", () => {
    fc.assert(
      fc.property(namesArb, poolArb, fc.string(), (names, pool, seed) => {
        const a = allocateSubnets(names, pool, { seed });
        expect([...a.keys()].sort()).toEqual([...new Set(names)].sort());
        const blocks = [...a.values()].map(cidr);
        for (const b of blocks) {
          expect(b.prefix).toBe(SUBNET_PREFIX);
          expect(contains(pool, b)).toBe(true);
        }
        expect(new Set(a.values()).size).toBe(blocks.length); // aligned /29s: distinct means disjoint
        for (let i = 0; i < blocks.length; i++) for (let j = i + 1; j < blocks.length; j++) expect(overlaps(blocks[i]!, blocks[j]!)).toBe(false);
        expect(allocateSubnets([...names].reverse(), pool, { seed })).toEqual(a);
      }),
      { numRuns: 150 },
    );
  });

  it("fills a pool exactly and refuses one network more", () => {
    const pool = cidr("10.1.2.0/26"); // 8 slots
    const names = Array.from({ length: 8 }, (_, i) => `n${i}`);
    expect(new Set(allocateSubnets(names, pool, { seed: "x" }).values()).size).toBe(8);
    expect(() => allocateSubnets([...names, "n8"], pool, { seed: "x" })).toThrow(/9 networks do not fit in 10.1.2.0\/26 \(8 \/29 subnets\); it must be a \/25 or larger/);
  });

  it("keeps the previous allocation: adding names never moves an existing network, removing frees", () => {
    fc.assert(
      fc.property(namesArb, namesArb, poolArb, (before, added, pool) => {
        const all = [...new Set([...before, ...added])];
        fc.pre(all.length <= poolCapacity(pool));
        const first = allocateSubnets(before, pool, { seed: "fed" });
        const second = allocateSubnets(all, pool, { seed: "fed", previous: first });
        for (const [name, subnet] of first) expect(second.get(name)).toBe(subnet);
        const blocks = new Set(second.values());
        expect(blocks.size).toBe(all.length);
        // Removing the added ones again gives back exactly the first allocation.
        expect(allocateSubnets(before, pool, { seed: "fed", previous: second })).toEqual(first);
      }),
      { numRuns: 150 },
    );
  });

  it("steers clear of blocks in use elsewhere while there is room, and still places every name when there is none", () => {
    const blockArb = fc.record({ addr: fc.integer({ min: 0, max: 2 ** 32 - 1 }), prefix: fc.integer({ min: 16, max: 32 }) }).map(({ addr, prefix }) => ({ base: (addr & (prefix === 0 ? 0 : ~0 << (32 - prefix))) >>> 0, prefix }));
    fc.assert(
      fc.property(namesArb, poolArb, fc.array(blockArb, { maxLength: 6 }), (names, pool, avoid) => {
        const within = avoid.map((a) => ({ base: pool.base + (a.base % cidrSizeOf(pool)), prefix: Math.max(a.prefix, pool.prefix) })).map((a) => ({ base: (a.base & (~0 << (32 - a.prefix))) >>> 0, prefix: a.prefix }));
        const out = allocateSubnets(names, pool, { seed: "s", avoid: within });
        expect(new Set(out.values()).size).toBe(new Set(names).size);
        // Slots left clear of `avoid` (a lower bound: overlapping blocks are counted twice).
        const room = poolCapacity(pool) - within.reduce((n, a) => n + Math.max(1, 2 ** (SUBNET_PREFIX - a.prefix)), 0);
        if (room >= names.length) for (const v of out.values()) expect(within.some((a) => overlaps(a, cidr(v))), v).toBe(false);
      }),
      { numRuns: 150 },
    );
    // A previous subnet now in use elsewhere moves; the others stay.
    const pool = cidr("10.9.0.0/24");
    const first = allocateSubnets(["a", "b", "c"], pool, { seed: "s" });
    const moved = allocateSubnets(["a", "b", "c"], pool, { seed: "s", previous: first, avoid: [cidr(first.get("b")!)] });
    expect(moved.get("a")).toBe(first.get("a"));
    expect(moved.get("c")).toBe(first.get("c"));
    expect(moved.get("b")).not.toBe(first.get("b"));
    // No room at all: every name still gets a distinct subnet (up's check then reports the overlap).
    const full = allocateSubnets(["a", "b"], pool, { seed: "s", avoid: [pool] });
    expect(new Set(full.values()).size).toBe(2);
  });

  it("drops previous subnets outside the pool, of another size, or taken twice", () => {
    const pool = cidr("10.9.0.0/24");
    const previous = new Map([
      ["a", "10.10.0.0/29"], // outside
      ["b", "10.9.0.0/28"], // not a /29
      ["c", "10.9.0.8/29"],
      ["d", "10.9.0.8/29"], // c has it (sorted first)
      ["e", "nonsense"],
    ]);
    const out = allocateSubnets(["a", "b", "c", "d", "e"], pool, { seed: "s", previous });
    expect(out.get("c")).toBe("10.9.0.8/29");
    expect(new Set(out.values()).size).toBe(5);
    for (const v of out.values()) expect(contains(pool, cidr(v))).toBe(true);
  });
});

describe("network.pool in the spec", () => {
  it("a pool too small is a SpecError at network.pool saying how big it must be", async () => {
    const err = await loadSpecText(hubSpec(16, { pool: "10.50.0.0/27" }), "wide.yaml").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpecError);
    const text = (err as SpecError).message;
    expect(text).toMatch(/wide\.yaml:\d+:\d+ network\.pool: network\.pool 10\.50\.0\.0\/27 holds 4 \/29 subnet\(s\), but this federation needs 33 \(17 egress network\(s\) and 16 link network\(s\)\)/);
    expect(text).toContain("to a /23 or larger");
  });

  it("a malformed pool is a SpecError at network.pool", async () => {
    for (const [pool, says] of [["10.50.0.1/16", /host bits set; the block is 10\.50\.0\.0\/16/], ["10.0.0.0/30", /must be from a \/8 to a \/29/], ["16.0.0.0/4", /must be from a \/8/]] as const) {
      const err = await loadSpecText(hubSpec(1, { pool }), "p.yaml").catch((e: unknown) => e);
      expect(err, pool).toBeInstanceOf(SpecError);
      expect((err as SpecError).message).toMatch(/p\.yaml:\d+:\d+ network\.pool: /);
      expect((err as SpecError).message).toMatch(says);
    }
  });

  it("every compose network carries its subnet, inside the pool, none overlapping (any federation)", async () => {
    await fc.assert(
      fc.asyncProperty(federationArb, fc.constantFrom(DEFAULT_NETWORK_POOL, "192.0.2.0/24", "10.99.0.0/20"), async (shape, pool) => {
        const { federation: fed } = await loadSpecText(stringify({ ...shape, network: { pool } }), "f.yaml");
        const file = compile(fed, "compose").artifacts.find((a) => a.kind === "file" && a.path === "docker-compose.yml");
        const doc = (await import("yaml")).parse((file as { content: string }).content) as { networks: Record<string, { ipam: { config: Array<{ subnet: string }> } }> };
        const subnets = Object.values(doc.networks).map((n) => n.ipam.config[0]!.subnet);
        expect(subnets.length).toBe(fed.gateways.length + fed.pairs.length);
        expect(new Set(subnets).size).toBe(subnets.length);
        for (const s of subnets) expect(contains(cidr(pool), cidr(s))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it("adding a spoke keeps every existing network on its subnet (with the previous compose file's record)", async () => {
    const { federation: small } = await loadSpecText(hubSpec(30), "w.yaml");
    const { federation: big } = await loadSpecText(hubSpec(31), "w.yaml");
    const before = composeSubnets(small);
    const after = composeSubnets(big, before);
    for (const [k, v] of before) expect(after.get(k)).toBe(v);
    expect(after.size).toBe(before.size + 2);
  });
});

describe("up's subnet check", () => {
  const planned = [{ name: "wide_hub-egress", subnet: "10.213.4.8/29" }, { name: "wide_link-hub--s1", subnet: "10.213.9.0/29" }];

  it("what the host uses elsewhere: other projects' networks and non-Docker routes, not the federation's own", () => {
    const networks = [
      { name: "wide_hub-egress", subnets: ["10.213.4.8/29"], labels: {} },
      { name: "other_net", subnets: ["10.213.0.0/24", "fd00::/64"], labels: {} },
    ];
    const routes = [
      { iface: "br-1", destination: "10.213.4.8/29" },
      { iface: "br-2", destination: "10.213.0.0/24" },
      { iface: "tun0", destination: "10.8.0.0/24" },
    ];
    expect(occupiedElsewhere("wide", networks, routes)).toEqual(["10.213.0.0/24", "10.8.0.0/24"]);
  });

  it("accepts the federation's own networks and unrelated ones", () => {
    const networks = [
      { name: "bridge", subnets: ["172.17.0.0/16"], labels: {} },
      { name: "wide_hub-egress", subnets: ["10.213.4.8/29"], labels: {} },
      { name: "v6", subnets: ["fd00::/64"], labels: {} },
    ];
    const routes = parseProcRoutes("Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\n docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\n");
    expect(routes).toEqual([{ iface: "docker0", destination: "172.17.0.0/16" }]);
    expect(subnetConflicts(planned, networks, routes)).toEqual([]);
  });

  it("names the overlapping Docker network and host route, suggests a free pool, and tells to down for changed networks", () => {
    const networks = [
      { name: "other_net", subnets: ["10.213.0.0/20"], labels: {} },
      { name: "wide_link-hub--s1", subnets: ["172.20.0.0/16"], labels: {} },
    ];
    // 10.200.0.0/16 via a VPN (tun0): little-endian hex as in /proc/net/route.
    const routes = parseProcRoutes("Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\ntun0\t0000C80A\t00000000\t0001\t0\t0\t0\t0000FFFF\n");
    expect(routes).toEqual([{ iface: "tun0", destination: "10.200.0.0/16" }]);
    const conflicts = subnetConflicts([...planned, { name: "wide_x-egress", subnet: "10.200.3.0/29" }], networks, routes);
    expect(conflicts.map((c) => [c.network, c.kind, c.with])).toEqual([
      ["wide_hub-egress", "network", "Docker network other_net (10.213.0.0/20)"],
      ["wide_link-hub--s1", "network", "Docker network other_net (10.213.0.0/20)"],
      ["wide_link-hub--s1", "changed", "the existing network of that name (172.20.0.0/16)"],
      ["wide_x-egress", "route", "host route 10.200.0.0/16 dev tun0"],
    ]);
    expect(freePool(networks, routes)).toBe("10.201.0.0/16");
    let err: unknown;
    try {
      assertSubnetsFree(planned, networks, routes, { spec: "w.yaml", pool: DEFAULT_NETWORK_POOL, downCommand: "clawfed down w.yaml" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RuntimeError);
    const e = err as RuntimeError;
    expect(e.message).toContain("wide_hub-egress 10.213.4.8/29 overlaps Docker network other_net (10.213.0.0/20)");
    expect(e.message).toContain("nothing was created");
    expect(String(e.next)).toContain("network: { pool: 10.201.0.0/16 }");
    expect(String(e.next)).toContain("clawfed down w.yaml");
  });
});
