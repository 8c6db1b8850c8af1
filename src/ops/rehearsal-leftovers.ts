/**
 * What a killed upgrade rehearsal leaves behind (ops/upgrade-rehearse.ts): its scratch container,
 * internal network and state-copy volumes. The rehearsal runs before the upgrade's journal starts
 * (it changes nothing that runs), so a kill there leaves no journal, and the volumes are named
 * after the time (`<project>_<id>-state.rehearsal-<UTC time>`): the next run cannot find them by
 * name. It finds them by label instead: `ai.clawfed.federation=<name>` and
 * `ai.clawfed.kind=rehearsal` on all three, plus `ai.clawfed.scratch-owner=<pid>@<host>`, so the
 * resources of a rehearsal still running in another process are left alone.
 *
 * `clawfed upgrade` removes leftovers before it rehearses; `clawfed doctor` reports them (check
 * `scratch`, a warning with the docker commands that remove them).
 */
import { hostname } from "node:os";
import { LABELS } from "../vocabulary/labels.js";
import type { Engine, Labels } from "../runtime/docker/types.js";
import { writerAlive } from "./journal.js";

/** Value of `ai.clawfed.kind` on every scratch container, network and volume of a rehearsal. */
export const REHEARSAL_KIND = "rehearsal";

/** Docker names of a killed rehearsal's resources. */
export interface RehearsalLeftovers {
  containers: string[];
  networks: string[];
  volumes: string[];
}

/** The labels of this process's scratch resources for gateway `id` of `federation`. */
export function scratchLabels(federation: string, id: string): Labels {
  return { [LABELS.federation]: federation, [LABELS.managed]: "true", [LABELS.gateway]: id, [LABELS.kind]: REHEARSAL_KIND, [LABELS.scratchOwner]: `${process.pid}@${hostname()}` };
}

/** Whether the process named by a scratch-owner label still runs (a missing or odd label: it does not). */
function ownerAlive(labels: Labels): boolean {
  const m = /^(\d+)@(.+)$/.exec(labels[LABELS.scratchOwner] ?? "");
  return !!m && writerAlive({ pid: Number(m[1]), host: m[2]! });
}

/**
 * The rehearsal resources of `federation` whose owner no longer runs (or carries no owner label:
 * an older clawfed's), sorted by name.
 * @throws the engine's RuntimeError when it cannot be reached
 */
export async function findRehearsalLeftovers(engine: Engine, federation: string): Promise<RehearsalLeftovers> {
  const want: Labels = { [LABELS.federation]: federation, [LABELS.kind]: REHEARSAL_KIND };
  const dead = (l: Labels) => !ownerAlive(l);
  const containers = (await engine.listContainers(want)).filter((c) => dead(c.labels)).map((c) => c.name);
  const networks = (await engine.listNetworks()).filter((n) => Object.entries(want).every(([k, v]) => n.labels[k] === v) && dead(n.labels)).map((n) => n.name);
  const volumes = (await engine.listVolumes(want)).filter((v) => dead(v.labels)).map((v) => v.name);
  return { containers: containers.sort(), networks: networks.sort(), volumes: volumes.sort() };
}

/** How many of each, e.g. `1 container, 2 volumes`; empty when none. */
export function countLeftovers(l: RehearsalLeftovers): string {
  const n = (k: number, what: string) => (k ? [`${k} ${what}${k === 1 ? "" : "s"}`] : []);
  return [...n(l.containers.length, "container"), ...n(l.networks.length, "network"), ...n(l.volumes.length, "volume")].join(", ");
}

/** The docker commands that remove them (container first: it holds the network and volumes). */
export function leftoverRemoveCommand(l: RehearsalLeftovers): string {
  const parts: string[] = [];
  if (l.containers.length) parts.push(`docker rm -f ${l.containers.join(" ")}`);
  if (l.networks.length) parts.push(`docker network rm ${l.networks.join(" ")}`);
  if (l.volumes.length) parts.push(`docker volume rm ${l.volumes.join(" ")}`);
  return parts.join(" && ");
}

/**
 * Remove what killed rehearsals of `federation` left (see the file comment).
 * @returns what was removed, and what could not be (named, for a warning)
 */
export async function removeRehearsalLeftovers(engine: Engine, federation: string): Promise<{ removed: RehearsalLeftovers; failed: string[] }> {
  const l = await findRehearsalLeftovers(engine, federation);
  const removed: RehearsalLeftovers = { containers: [], networks: [], volumes: [] };
  const failed: string[] = [];
  const attempt = async (what: keyof RehearsalLeftovers, name: string, fn: () => Promise<void>) => {
    try {
      await fn();
      removed[what].push(name);
    } catch (err) {
      failed.push(`${what.slice(0, -1)} ${name}: ${(err as Error).message.split("\n")[0]}`);
    }
  };
  for (const c of l.containers) await attempt("containers", c, () => engine.remove(c, { force: true }));
  for (const n of l.networks) await attempt("networks", n, () => engine.removeNetwork(n));
  for (const v of l.volumes) await attempt("volumes", v, () => engine.removeVolume(v));
  return { removed, failed };
}
