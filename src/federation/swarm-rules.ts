/**
 * Rules of the swarm target only: Docker's name limits for the objects of a stack, which are named
 * `<federation>_<key>` (targets/swarm/model.ts stackResource). swarmkit refuses a service name
 * longer than 63 characters (a DNS label) and a secret name longer than 64.
 */
import { a2aTokenEnv, gatewayTokenEnv, hooksTokenEnv } from "../vocabulary/names.js";
import type { Federation } from "./normalize.js";
import type { SpecParsed } from "./schema.js";

/** rules.ts's RuleIssue (not imported: rules.ts imports this file). */
interface Issue {
  path: ReadonlyArray<string | number>;
  message: string;
  hint?: string;
  atKey?: boolean;
}

/** Longest Swarm service name (swarmkit: a DNS label). */
export const SWARM_SERVICE_NAME_MAX = 63;
/** Longest Docker secret name (swarmkit). */
export const SWARM_SECRET_NAME_MAX = 64;

export function swarmNames(_spec: SpecParsed, fed: Federation, ctx: { target: string }): Issue[] {
  if (ctx.target !== "swarm") return [];
  const out: Issue[] = [];
  const stack = (key: string) => `${fed.name}_${key}`;
  for (const g of fed.gateways) {
    const name = stack(g.id);
    if (name.length > SWARM_SERVICE_NAME_MAX) {
      out.push({ path: ["gateways", g.id], message: `the Swarm service ${name} would be ${name.length} characters, more than Docker's ${SWARM_SERVICE_NAME_MAX}`, hint: "use a shorter gateway id or federation name", atKey: true });
    }
  }
  const secrets = new Set<string>();
  for (const g of fed.gateways) {
    secrets.add(gatewayTokenEnv(g.id)).add(hooksTokenEnv(g.id));
    for (const s of g.secrets) secrets.add(s);
    if (g.telegram) secrets.add(g.telegram.botTokenEnv);
  }
  for (const r of fed.routes) secrets.add(a2aTokenEnv(r.from, r.to)).add(a2aTokenEnv(r.to, r.from));
  const long = [...secrets].map(stack).filter((n) => n.length > SWARM_SECRET_NAME_MAX).sort();
  if (long.length) {
    out.push({ path: ["name"], message: `Docker secret names would be longer than ${SWARM_SECRET_NAME_MAX} characters: ${long.join(", ")}`, hint: "use a shorter federation name or shorter gateway ids" });
  }
  return out;
}
