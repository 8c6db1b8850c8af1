/**
 * This host's IPv4 routes, from /proc/net/route (Linux; the same table `ip -4 route` prints for
 * the main table). Used by `up` to refuse subnets that a LAN, VPN or other bridge already routes.
 */
import { readFile } from "node:fs/promises";

/** One route: interface and destination block (`a.b.c.d/n`). */
export interface HostRoute {
  iface: string;
  destination: string;
}

/** /proc/net/route stores addresses as host-order hex of the network-order bytes (little-endian on x86/arm). */
function hexAddress(hex: string): number[] {
  const n = Number.parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];
}

/** Prefix length of a contiguous netmask given as octets. */
function maskPrefix(octets: number[]): number {
  return octets.reduce((bits, o) => bits + o.toString(2).replace(/0/g, "").length, 0);
}

/**
 * Parse the text of /proc/net/route: one route per line after the header, default routes (mask 0)
 * left out since they overlap everything by design.
 */
export function parseProcRoutes(text: string): HostRoute[] {
  const out: HostRoute[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || !/^[0-9A-Fa-f]{8}$/.test(f[1]!) || !/^[0-9A-Fa-f]{8}$/.test(f[7]!)) continue;
    const prefix = maskPrefix(hexAddress(f[7]!));
    if (prefix === 0) continue;
    out.push({ iface: f[0]!, destination: `${hexAddress(f[1]!).join(".")}/${prefix}` });
  }
  return out;
}

/** This host's routes; empty where /proc/net/route does not exist (macOS: Docker runs in a VM there). */
export async function hostRoutes(file = "/proc/net/route"): Promise<HostRoute[]> {
  try {
    return parseProcRoutes(await readFile(file, "utf8"));
  } catch {
    return []; // not Linux: the engine's VM has its own routes, which its networks already reflect
  }
}
