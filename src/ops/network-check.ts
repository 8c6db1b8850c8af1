/**
 * Before `up` creates anything: the subnets the compose file asks for must not overlap a Docker
 * network of another project or a route of this host (a LAN, a VPN, another bridge). Docker would
 * refuse an overlap with its own networks only when the network is created, halfway through
 * `compose up`, and would accept one with a host route, silently cutting that route off.
 */
import { RuntimeError } from "../errors.js";
import type { HostRoute } from "../runtime/host-routes.js";
import type { NetworkSummary } from "../runtime/docker/types.js";
import { cidr, formatCidr, overlaps, parseCidr, type Cidr } from "../vocabulary/subnets.js";
import { projectResource } from "../vocabulary/names.js";

/** A network `up` is about to create (or find): its Docker name and subnet. */
export interface PlannedNetwork {
  name: string;
  subnet: string;
}

/** One reason a planned subnet cannot be used. */
export interface SubnetConflict {
  /** Docker name of the planned network. */
  network: string;
  subnet: string;
  /** What it collides with, in words: `Docker network x (172.20.0.0/16)` or `host route 10.0.0.0/8 dev tun0`. */
  with: string;
  /** `changed`: a network of that name exists with another subnet (compose would refuse to reuse it). */
  kind: "network" | "route" | "changed";
}

const v4 = (text: string): Cidr | undefined => {
  const c = parseCidr(text);
  return "problem" in c ? undefined : c;
};

/**
 * Every conflict of `planned` with the engine's networks and the host's routes. A network with
 * the planned name and subnet is this federation's own (from an earlier `up`) and fine; routes to
 * exactly the subnet of a Docker network are that network's bridge and are judged as networks.
 */
export function subnetConflicts(planned: readonly PlannedNetwork[], networks: readonly NetworkSummary[], routes: readonly HostRoute[]): SubnetConflict[] {
  const out: SubnetConflict[] = [];
  const dockerSubnets = new Set(networks.flatMap((n) => n.subnets.map(v4).filter((c): c is Cidr => c !== undefined).map(formatCidr)));
  for (const p of planned) {
    const want = cidr(p.subnet);
    for (const n of networks) {
      const subnets = n.subnets.map(v4).filter((c): c is Cidr => c !== undefined);
      if (n.name === p.name) {
        if (!subnets.some((s) => s.base === want.base && s.prefix === want.prefix)) {
          out.push({ network: p.name, subnet: p.subnet, with: `the existing network of that name (${subnets.map(formatCidr).join(", ") || "no IPv4 subnet"})`, kind: "changed" });
        }
        continue;
      }
      const hit = subnets.find((s) => overlaps(s, want));
      if (hit) out.push({ network: p.name, subnet: p.subnet, with: `Docker network ${n.name} (${formatCidr(hit)})`, kind: "network" });
    }
    for (const r of routes) {
      const dest = v4(r.destination);
      if (!dest || dockerSubnets.has(formatCidr(dest)) || !overlaps(dest, want)) continue;
      out.push({ network: p.name, subnet: p.subnet, with: `host route ${r.destination} dev ${r.iface}`, kind: "route" });
    }
  }
  return out;
}

/**
 * A /16 in 10.200.0.0-10.254.0.0 that no Docker network and no route touches, to suggest as
 * `network.pool`; undefined when all are used.
 */
export function freePool(networks: readonly NetworkSummary[], routes: readonly HostRoute[]): string | undefined {
  const used = [...networks.flatMap((n) => n.subnets), ...routes.map((r) => r.destination)].map(v4).filter((c): c is Cidr => c !== undefined);
  for (let second = 200; second <= 254; second++) {
    const pool = cidr(`10.${second}.0.0/16`);
    if (!used.some((u) => overlaps(u, pool))) return formatCidr(pool);
  }
  return undefined;
}

/**
 * Blocks in use on the host by anything but this federation: the subnets of every Docker network
 * not named `<project>_…`, and every route that is not a Docker network's own bridge route. New
 * networks of the federation avoid them (allocateSubnets `avoid`).
 */
export function occupiedElsewhere(project: string, networks: readonly NetworkSummary[], routes: readonly HostRoute[]): string[] {
  const dockerSubnets = new Set(networks.flatMap((n) => n.subnets.map(v4).filter((c): c is Cidr => c !== undefined).map(formatCidr)));
  const others = networks.filter((n) => !n.name.startsWith(`${project}_`)).flatMap((n) => n.subnets.map(v4).filter((c): c is Cidr => c !== undefined).map(formatCidr));
  const routed = routes.map((r) => v4(r.destination)).filter((c): c is Cidr => c !== undefined).map(formatCidr).filter((c) => !dockerSubnets.has(c));
  return [...new Set([...others, ...routed])].sort();
}

/** The networks a compose file creates: Docker name (`<project>_<key>`) and subnet, from generate's record. */
export function plannedNetworks(project: string, subnets: ReadonlyMap<string, string>): PlannedNetwork[] {
  return [...subnets].map(([key, subnet]) => ({ name: projectResource(project, key), subnet }));
}

/**
 * Refuse to start when a planned subnet is taken.
 * @throws RuntimeError (exit 3) listing every conflict, with the pool to set (or `down` to run)
 */
export function assertSubnetsFree(planned: readonly PlannedNetwork[], networks: readonly NetworkSummary[], routes: readonly HostRoute[], where: { spec: string; pool: string; downCommand: string }): void {
  const conflicts = subnetConflicts(planned, networks, routes);
  if (conflicts.length === 0) return;
  const lines = conflicts.map((c) => `${c.network} ${c.subnet} overlaps ${c.with}`.replace(" overlaps the existing", " differs from the existing"));
  const steps: string[] = [];
  if (conflicts.some((c) => c.kind !== "changed")) {
    steps.push(`set a free pool in ${where.spec}: network: { pool: ${freePool(networks, routes) ?? "<a free IPv4 block, /22 or larger>"} } (now ${where.pool})`);
  }
  if (conflicts.some((c) => c.kind === "changed")) {
    steps.push(`remove the federation's old networks, created with other subnets (before network.pool, or with another pool): ${where.downCommand} (state volumes are kept)`);
  }
  const next = `${steps.join("; ")}; then up again`;
  throw new RuntimeError(`${conflicts.length} planned network subnet(s) cannot be used; nothing was created:\n  ${lines.join("\n  ")}`, { next });
}
