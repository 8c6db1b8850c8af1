/**
 * The pure half of a rollout: which gateways, which image each, in which order, and the compose
 * file text the federation has once the new images are recorded (compiled from the model, never
 * read back from disk). No I/O: the same inputs give the same plan; `clawfed rollout` prints it,
 * applies it (ops/rollout.ts), then records the images in the spec (ops/record.ts).
 */
import { compile } from "../targets/registry.js";
import { serviceName } from "../vocabulary/names.js";
import { InternalError, UsageError } from "../errors.js";
import type { Federation } from "../federation/normalize.js";
import { pickGateways } from "./context.js";
import { checkImageFlag } from "./generate.js";

export interface RolloutSelection {
  /** Image for every selected gateway; default: the image the spec gives each (see {@link planRollout}). */
  image?: string;
  /** Only these gateways (a hub named here is included). @throws UsageError for an unknown id. */
  only?: string[];
  /** Also update the hub, after every spoke. */
  includeHub?: boolean;
}

/** One gateway of the plan. */
export interface RolloutStep {
  id: string;
  role: "hub" | "spoke";
  /** The image it is to run. */
  image: string;
  /** compose's service name of the gateway. */
  service: string;
}

/** A rollout plan (pure): the steps in order and the compose text with their images. */
export interface RolloutPlan {
  federation: string;
  /** Spokes first (spec order), then the hub when selected. */
  steps: RolloutStep[];
  /**
   * The generated `docker-compose.yml` with every step's image: what compose's config hash of a
   * replaced container is computed from, so a later `compose up -d` leaves it alone.
   */
  composeText: string;
}

/** Gateways to update, in order: selected spokes, then the hub if asked or named. @throws UsageError for unknown ids. */
export function selectTargets(gateways: Array<{ id: string; role: "hub" | "spoke" }>, opts: Pick<RolloutSelection, "only" | "includeHub">, fedName: string): Array<{ id: string; role: "hub" | "spoke" }> {
  pickGateways({ name: fedName, gateways: gateways as Federation["gateways"] }, opts.only, "--only");
  const chosen = gateways.filter((g) => (opts.only ? opts.only.includes(g.id) : g.role === "spoke" || opts.includeHub));
  return [...chosen.filter((g) => g.role === "spoke"), ...chosen.filter((g) => g.role === "hub")];
}

/**
 * Plan a rollout (pure).
 * @param fed the loaded federation
 * @param specImages the image the spec itself names for each gateway (`gateways.<id>.image`, else
 *   `openclaw.image`), undefined when it names none
 * @param running the image each gateway's container runs now: the target of a gateway the spec
 *   names no image for, without `image` (it stays where it is)
 * @param previousSubnets the networks' subnets in the compose file on disk (generate's previousSubnets), so the text matches it
 * @throws UsageError for an unknown `only` id, an `image` that is not a Docker reference, or
 *   nothing to roll out (no spokes and no `includeHub`)
 */
export function planRollout(fed: Federation, sel: RolloutSelection, specImages: ReadonlyMap<string, string | undefined>, running: ReadonlyMap<string, string>, previousSubnets?: ReadonlyMap<string, string>): RolloutPlan {
  checkImageFlag(sel.image);
  const selected = selectTargets(fed.gateways, sel, fed.name);
  if (selected.length === 0) throw new UsageError(`nothing to roll out: ${fed.name} has no spokes`, { hint: "add --include-hub" });
  const steps = selected.map((s): RolloutStep => {
    // A gateway without a container keeps the model's image; applying the plan refuses it anyway.
    const image = sel.image ?? specImages.get(s.id) ?? running.get(s.id) ?? fed.gateways.find((g) => g.id === s.id)!.image;
    return { id: s.id, role: s.role, image, service: serviceName(s.id) };
  });
  const images = new Map(steps.map((s) => [s.id, s.image]));
  const next: Federation = { ...fed, gateways: fed.gateways.map((g) => (images.has(g.id) ? { ...g, image: images.get(g.id)! } : g)) };
  const composeFile = compile(next, "compose", previousSubnets ? { previousSubnets } : {}).artifacts.find((a) => a.kind === "file" && a.path === "docker-compose.yml");
  if (!composeFile || composeFile.kind !== "file") throw new InternalError("the compose target produced no docker-compose.yml");
  return { federation: fed.name, steps, composeText: composeFile.content };
}
