/**
 * IPv4 subnets of the generated Docker networks: CIDR arithmetic and the allocation of one small
 * subnet per network from the federation's pool (`network.pool` in the spec).
 *
 * Why explicit subnets: without them the Engine takes a whole /20 (or /16) of its default address
 * pools (172.17-31.0.0/16 and 192.168.0.0/16 in /20s) per user-defined network, so about 30
 * networks exist per host; the compose layout needs one per link plus one per gateway (a hub with
 * 49 spokes: 99). A network with `ipam.config[].subnet` does not draw from the default pools.
 *
 * Size: a /29 is 8 addresses; Docker's IPAM reserves the network and broadcast addresses and the
 * bridge gateway takes the first host address (libnetwork ipams/defaultipam), which leaves 5 for
 * containers. A link network holds 2 containers and an egress network 1.
 *
 * Pure: no fs, env, clock or randomness (compile uses it).
 */

/** Prefix length of every generated network: a /29 (5 container addresses, see above). */
export const SUBNET_PREFIX = 29;
/** Addresses in one generated network. */
export const SUBNET_SIZE = 2 ** (32 - SUBNET_PREFIX);
/**
 * Default pool: outside Docker's default pools (172.17.0.0/12 range, 192.168.0.0/16), the usual
 * home and office LANs (192.168.x, 10.0-10.10.x), VPN defaults (10.8.0.0/24) and Kubernetes
 * defaults (10.96.0.0/12 services, 10.244.0.0/16 pods, 10.42-43 k3s). 8192 networks.
 */
export const DEFAULT_NETWORK_POOL = "10.213.0.0/16";
/** Largest pool accepted (a /8): the allocator probes slots linearly in it. */
export const MIN_POOL_PREFIX = 8;

/** An IPv4 CIDR block: first address as an unsigned 32-bit integer, prefix length. */
export interface Cidr {
  base: number;
  prefix: number;
}

const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const CIDR_PATTERN = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}/(3[0-2]|[12]?\\d)$`);

/** Number of addresses in a block. */
export const cidrSize = (c: Cidr): number => 2 ** (32 - c.prefix);

/** `a.b.c.d/n` of a block. */
export function formatCidr(c: Cidr): string {
  const b = c.base;
  return `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}/${c.prefix}`;
}

/**
 * Parse `a.b.c.d/n` (decimal octets without leading zeros). Host bits must be zero.
 * @returns the block, or a one-sentence problem (with the aligned form when only the host bits are wrong).
 */
export function parseCidr(text: string): Cidr | { problem: string } {
  const m = CIDR_PATTERN.exec(text);
  if (!m) return { problem: `${JSON.stringify(text)} is not an IPv4 block like 10.213.0.0/16` };
  const prefix = Number(m[5]);
  const addr = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const base = prefix === 0 ? 0 : (addr & (~0 << (32 - prefix))) >>> 0;
  if (base !== addr) return { problem: `${text} has host bits set; the block is ${formatCidr({ base, prefix })}` };
  return { base, prefix };
}

/** Parse or throw (for values already validated by the schema). */
export function cidr(text: string): Cidr {
  const c = parseCidr(text);
  if ("problem" in c) throw new Error(c.problem);
  return c;
}

/** True when the two blocks share an address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + cidrSize(b) && b.base < a.base + cidrSize(a);
}

/** True when `inner` lies wholly inside `outer`. */
export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && inner.base + cidrSize(inner) <= outer.base + cidrSize(outer);
}

/** How many /{@link SUBNET_PREFIX} networks a pool holds (0 when the pool is smaller than one). */
export function poolCapacity(pool: Cidr): number {
  return pool.prefix > SUBNET_PREFIX ? 0 : 2 ** (SUBNET_PREFIX - pool.prefix);
}

/** Longest prefix (smallest pool) that holds `networks` /29 networks, e.g. 99 → 22. */
export function poolPrefixFor(networks: number): number {
  let prefix = SUBNET_PREFIX;
  while (prefix > 0 && 2 ** (SUBNET_PREFIX - prefix) < networks) prefix--;
  return prefix;
}

/** 32-bit FNV-1a of a string's UTF-16 code units: stable across runs and platforms. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export interface AllocateOptions {
  /** Mixed into every hash, so federations sharing a pool spread differently (the federation name). */
  seed: string;
  /**
   * Subnets of a previous allocation by network name (read from the compose file generate wrote
   * before). Each one that is still a /29 inside the pool and does not overlap an earlier kept
   * one is kept as it is.
   */
  previous?: ReadonlyMap<string, string>;
  /**
   * Blocks in use elsewhere on the host (other Docker networks, routes), known only where `up`
   * can ask the engine. A previous subnet that overlaps one is dropped (its network was not
   * created yet, or it would not be in use elsewhere) and new names probe past them. When they
   * leave no free slot, they are ignored for the rest, and `up`'s check reports the overlap.
   */
  avoid?: readonly Cidr[];
}

/**
 * One /29 per network name, inside `pool`, no two overlapping.
 *
 * How, and why this way: each name has a home slot, `fnv1a(seed + "/" + name) mod slots`, and
 * takes the first free slot from there on (linear probing, wrapping). Names are placed in sorted
 * order, so the result depends only on the set of names, the pool and the seed: the same spec gives
 * the same subnets on every run and host. A pure function of the set cannot promise that adding
 * a name never moves another (the new name may sort first and take a slot another name had
 * probed into), and compose v1 refuses to `up` a network whose ipam changed ("needs to be
 * recreated"). So the previous allocation (`opts.previous`, the subnets in the compose file of
 * the last generate) is kept first and only new names probe: adding a gateway never renumbers an
 * existing network, removing one frees its slots, and a new pool renumbers what falls outside it.
 * Hashing (rather than numbering networks in sorted order) keeps the probing short and makes the
 * result without a previous allocation almost the same as with one. `opts.avoid` (what `up` finds
 * in use on the host) steers new networks around other federations sharing the pool.
 *
 * @throws Error when there are more names than /29 slots in the pool (the spec rule
 *   `networkPool` reports that first, as a SpecError naming `network.pool`).
 */
export function allocateSubnets(names: readonly string[], pool: Cidr, opts: AllocateOptions): Map<string, string> {
  const slots = poolCapacity(pool);
  const sorted = [...new Set(names)].sort();
  if (sorted.length > slots) {
    throw new Error(`${sorted.length} networks do not fit in ${formatCidr(pool)} (${slots} /${SUBNET_PREFIX} subnets); it must be a /${poolPrefixFor(sorted.length)} or larger`);
  }
  const taken = new Set<number>();
  const out = new Map<string, string>();
  const avoid = (opts.avoid ?? []).filter((a) => overlaps(a, pool));
  const block = (slot: number): Cidr => ({ base: pool.base + slot * SUBNET_SIZE, prefix: SUBNET_PREFIX });
  const inUse = (slot: number) => avoid.some((a) => overlaps(a, block(slot)));
  for (const name of sorted) {
    const text = opts.previous?.get(name);
    const prev = text === undefined ? undefined : parseCidr(text);
    if (!prev || "problem" in prev || prev.prefix !== SUBNET_PREFIX || !contains(pool, prev)) continue;
    const slot = (prev.base - pool.base) / SUBNET_SIZE;
    if (taken.has(slot) || inUse(slot)) continue;
    taken.add(slot);
    out.set(name, text!);
  }
  let freeOfAvoid = true; // until a full probe round finds no slot clear of `avoid`
  for (const name of sorted) {
    if (out.has(name)) continue;
    const home = fnv1a(`${opts.seed}/${name}`) % slots;
    let slot = home;
    let probes = 0;
    while (taken.has(slot) || (freeOfAvoid && inUse(slot))) {
      slot = (slot + 1) % slots;
      if (++probes === slots) {
        freeOfAvoid = false; // every free slot is in use elsewhere: place the rest, up reports it
        slot = home;
        probes = 0;
      }
    }
    taken.add(slot);
    out.set(name, formatCidr(block(slot)));
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
