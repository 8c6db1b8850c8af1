/**
 * The pure half of `clawfed rotate`: which tokens a target names, which gateways hold them (and so
 * are restarted, spokes first, the hub last), and which routes prove the change. No I/O.
 *
 * Targets (the same token sets `generate --rotate` uses, plus links):
 *  - `<gateway>`: every token that rotates with it (env-plan `rotateWith`): its gateway token, its
 *    hooks token, the A2A tokens of all its links, both directions;
 *  - `<from>:<to>` (a link of the spec, either direction named): the A2A tokens between the two
 *    (both directions), and the hooks token of each end the link's hooks transport calls (that
 *    token is shared by every hooks caller of that gateway, so they are restarted too);
 *  - `all`: every generated token.
 * Sources: env-plan.ts (who receives which token), OpenClaw gateway/configuration/hot-reload.md
 * (a token in the container env is only read at start: the container is recreated).
 */
import { UsageError } from "../errors.js";
import type { Federation } from "../federation/normalize.js";
import { planEnv } from "../vocabulary/env-plan.js";
import { a2aTokenEnv, hooksTokenEnv } from "../vocabulary/names.js";

/** A route whose token changes: proved with the new token (200) and the old one (401). */
export interface RotatedRoute {
  from: string;
  to: string;
  transport: "a2a" | "hooks";
  /** The env variable NAME of the token (never its value). */
  token: string;
}

export interface RotationPlan {
  /** What the user named. */
  target: string;
  /** Env variable names of the tokens replaced, sorted. */
  tokens: string[];
  /** Gateways that hold one of them, in restart order: spokes (spec order), then the hub. */
  gateways: string[];
  routes: RotatedRoute[];
}

/**
 * Plan a rotation (pure).
 * @throws UsageError for a target that is no gateway, no link of the spec and not `all`
 */
export function planRotation(fed: Federation, target: string): RotationPlan {
  const slots = planEnv(fed).filter((s) => s.kind === "token");
  const ids = fed.gateways.map((g) => g.id);
  let names: Set<string>;
  if (target === "all") names = new Set(slots.map((s) => s.name));
  else if (ids.includes(target)) names = new Set(slots.filter((s) => s.rotateWith.includes(target)).map((s) => s.name));
  else {
    const m = /^([^:]+)(?::|->)([^:]+)$/.exec(target);
    const [a, b] = m ? [m[1]!, m[2]!] : ["", ""];
    const pair = fed.routes.filter((r) => (r.from === a && r.to === b) || (r.from === b && r.to === a));
    if (!pair.length) {
      const links = [...new Set(fed.routes.map((r) => [r.from, r.to].sort().join(":")))];
      throw new UsageError(`${JSON.stringify(target)} is not a gateway or a link of ${fed.name}`, { hint: `use one of: all, ${[...ids, ...links].join(", ")}` });
    }
    const known = new Set(slots.map((s) => s.name));
    names = new Set();
    for (const r of pair) {
      if (r.transports.includes("a2a")) for (const n of [a2aTokenEnv(r.from, r.to), a2aTokenEnv(r.to, r.from)]) if (known.has(n)) names.add(n);
      if (r.transports.includes("hooks") && known.has(hooksTokenEnv(r.to))) names.add(hooksTokenEnv(r.to));
    }
  }
  const holders = new Set(slots.filter((s) => names.has(s.name)).flatMap((s) => s.consumers));
  const order = [...fed.gateways.filter((g) => g.role === "spoke"), ...fed.gateways.filter((g) => g.role === "hub")];
  const routes: RotatedRoute[] = [];
  for (const r of fed.routes) {
    if (r.transports.includes("a2a") && names.has(a2aTokenEnv(r.from, r.to))) routes.push({ from: r.from, to: r.to, transport: "a2a", token: a2aTokenEnv(r.from, r.to) });
    if (r.transports.includes("hooks") && names.has(hooksTokenEnv(r.to))) routes.push({ from: r.from, to: r.to, transport: "hooks", token: hooksTokenEnv(r.to) });
  }
  return { target, tokens: [...names].sort(), gateways: order.filter((g) => holders.has(g.id)).map((g) => g.id), routes };
}
