/**
 * The pure half of `clawfed upgrade`: OpenClaw version order, which image tags a version may have,
 * which gateways move and in which order, and whether that is a downgrade. No I/O: the use case
 * (ops/upgrade.ts) gathers the running images and their versions, then applies the plan.
 */
import { DEFAULT_OPENCLAW_VERSION, OFFICIAL_IMAGE_REPO } from "../federation/schema.js";
import type { Federation } from "../federation/normalize.js";
import { UsageError } from "../errors.js";
import { selectTargets } from "./rollout-plan.js";

/** An OpenClaw release as npm and the image tags spell it: `2026.9.6`, optionally `-beta.1`. */
export const OPENCLAW_VERSION_RE = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/;

/**
 * Order of two OpenClaw versions (semver precedence: numeric parts, then a pre-release sorts
 * before its release, pre-release identifiers compared numerically when both are numbers).
 * @returns negative when a < b, 0 when equal, positive when a > b
 * @throws UsageError when either is not a version
 */
export function compareVersions(a: string, b: string): number {
  const pa = OPENCLAW_VERSION_RE.exec(a);
  const pb = OPENCLAW_VERSION_RE.exec(b);
  if (!pa || !pb) throw new UsageError(`not an OpenClaw version: ${JSON.stringify(pa ? b : a)}`, { hint: `e.g. ${DEFAULT_OPENCLAW_VERSION}` });
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return Math.sign(d);
  }
  const [ra, rb] = [pa[4], pb[4]];
  if (ra === rb) return 0;
  if (ra === undefined) return 1;
  if (rb === undefined) return -1;
  const xa = ra.split(".");
  const xb = rb.split(".");
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    const [sa, sb] = [xa[i], xb[i]];
    if (sa === undefined) return -1;
    if (sb === undefined) return 1;
    const [na, nb] = [/^\d+$/.test(sa), /^\d+$/.test(sb)];
    if (na && nb && Number(sa) !== Number(sb)) return Math.sign(Number(sa) - Number(sb));
    if (na !== nb) return na ? -1 : 1;
    if (sa !== sb) return sa < sb ? -1 : 1;
  }
  return 0;
}

/** Labels an image may state its OpenClaw version in: clawfed's local recipe, then OCI's. */
export const VERSION_LABELS = ["ai.clawfed.openclaw-version", "org.opencontainers.image.version"] as const;

/**
 * The OpenClaw version of an image: its version label, else its tag when the tag is a version
 * (`ghcr.io/openclaw/openclaw:2026.9.5`, `openclaw:2026.9.5-local`); undefined when neither says.
 */
export function imageVersion(ref: string, labels: Record<string, string> = {}): string | undefined {
  for (const l of VERSION_LABELS) if (labels[l] && OPENCLAW_VERSION_RE.test(labels[l]!)) return labels[l];
  const tag = /:([^:/@]+)$/.exec(ref)?.[1];
  if (!tag) return undefined;
  const v = tag.replace(/-local(?:-.*)?$/, "");
  return OPENCLAW_VERSION_RE.test(v) ? v : undefined;
}

/**
 * The image references that would hold OpenClaw `to`, best first: the spec's own image with the
 * version in its tag replaced (`openclaw:2026.9.5-local` → `openclaw:2026.9.6-local`), the
 * official image, then the offline build's tag `openclaw:<to>-local` (the last one is what an
 * offline build makes).
 * @param current images the gateways run now (or the spec names)
 */
export function candidateImages(to: string, current: readonly string[]): string[] {
  const out: string[] = [];
  for (const ref of current) {
    const m = /^(.*):([^:/@]+)$/.exec(ref);
    if (!m) continue;
    const v = imageVersion(ref);
    if (v && m[2]!.startsWith(v)) out.push(`${m[1]}:${to}${m[2]!.slice(v.length)}`);
  }
  out.push(`${OFFICIAL_IMAGE_REPO}:${to}`, localImageTag(to));
  return [...new Set(out)];
}

/** The tag of the offline build of a version (runtime/image/recipe.ts defaultImageTag). */
export function localImageTag(version: string): string {
  return `openclaw:${version}-local`;
}

export interface UpgradeSelection {
  /** Target OpenClaw version. */
  to: string;
  /** Only these gateways (default: all, spokes first, hub last). */
  only?: string[];
  /** Allow a target older than a gateway's current version. */
  allowDowngrade?: boolean;
}

/** What runs now, per gateway (gathered by the use case). */
export interface CurrentGateway {
  id: string;
  /** Image its container runs. */
  image: string;
  /** OpenClaw version of that image; undefined when the image does not say. */
  version?: string;
}

/** One gateway of an upgrade. */
export interface UpgradeStep {
  id: string;
  role: "hub" | "spoke";
  fromImage: string;
  /** Undefined when the current image does not say (then it is not judged a downgrade). */
  fromVersion?: string;
  /** The gateway already runs `to` on the target image: rehearsal and rollout skip it. */
  current: boolean;
}

/** An upgrade plan (pure). */
export interface UpgradePlan {
  federation: string;
  to: string;
  /** Spokes first (spec order), then the hub. */
  steps: UpgradeStep[];
  /** Gateways whose version goes down (allowed only with `allowDowngrade`). */
  downgrades: string[];
  /**
   * How the spec records the result: `federation` sets `openclaw.version` (and `openclaw.image`)
   * when every gateway moves; `gateways` sets `gateways.<id>.image` for a subset (`--only`).
   */
  record: "federation" | "gateways";
}

/**
 * Plan an upgrade (pure).
 * @param current what every selected gateway runs now (a gateway missing here has no container:
 *   applying refuses it, so it is planned from the spec's version)
 * @param image the image chosen for `to` (resolved by the use case), to mark gateways already on it
 * @throws UsageError for a bad version, an unknown `only` id, or a downgrade without `allowDowngrade`
 */
export function planUpgrade(fed: Federation, sel: UpgradeSelection, current: readonly CurrentGateway[], image?: string): UpgradePlan {
  if (!OPENCLAW_VERSION_RE.test(sel.to)) throw new UsageError(`--to ${JSON.stringify(sel.to)} is not an OpenClaw version`, { hint: `e.g. --to ${DEFAULT_OPENCLAW_VERSION}` });
  const selected = selectTargets(fed.gateways, { only: sel.only, includeHub: true }, fed.name);
  const now = new Map(current.map((c) => [c.id, c]));
  const steps = selected.map((g): UpgradeStep => {
    const c = now.get(g.id);
    const fromVersion = c ? c.version : fed.openclawVersion;
    const fromImage = c?.image ?? fed.gateways.find((x) => x.id === g.id)!.image;
    return { id: g.id, role: g.role, fromImage, fromVersion, current: fromVersion === sel.to && (image === undefined || fromImage === image) };
  });
  const downgrades = steps.filter((s) => s.fromVersion !== undefined && compareVersions(sel.to, s.fromVersion) < 0).map((s) => s.id);
  if (downgrades.length && !sel.allowDowngrade) {
    const from = steps.filter((s) => downgrades.includes(s.id)).map((s) => `${s.id} runs ${s.fromVersion}`);
    throw new UsageError(`--to ${sel.to} is a downgrade (${from.join(", ")})`, {
      hint: "OpenClaw's state migrations are one-way: a downgrade may not read the newer state; add --allow-downgrade to do it anyway",
    });
  }
  const record = selected.length === fed.gateways.length ? "federation" : "gateways";
  return { federation: fed.name, to: sel.to, steps, downgrades, record };
}
