/**
 * The steps of `clawfed add` that both a run (ops/add.ts) and its recovery (ops/add-recover.ts,
 * `clawfed resume` / `clawfed abort`) take: the journal it keeps (ops/journal.ts), bringing the
 * new gateway and its linked gateways up together, and undoing an add.
 *
 * Journal of an add (operation "add"; args: {@link AddJournalArgs}, no secrets: the spec texts
 * only name variables), one step per line, each marked `started` before it runs:
 *   write-spec          the spec gets the new gateway          (undo: the previous text back)
 *   generate            the output is regenerated              (undo: regenerate from the previous
 *                                                               spec, the new tokens forgotten)
 *   <id>:start          the new gateway's container            (undo: remove it)
 *   <peer>:recreate     each linked gateway, with its new peer (undo: recreate it from the previous files)
 * The start and the recreations are one compose call and run at the same time (upServices).
 */
import { readFile } from "node:fs/promises";
import { checkRoot, removeTreeBelow } from "../emit/safe-fs.js";
import type { Federation } from "../federation/normalize.js";
import { COMMS_DIR, egressNetwork, linkNetwork, projectResource, stateVolume, workspaceDir } from "../vocabulary/names.js";
import { begun, stepOf, type Journal, type JsonValue, type PlannedStep } from "../vocabulary/journal.js";
import { openFederation } from "./context.js";
import type { ClawfedDeps } from "./deps.js";
import type { JournalHandle } from "./journal.js";
import { upServices } from "./member-up.js";
import { composeResources, minus, removeContainers, type MemberStart } from "./membership.js";
import { regenerate, writeSpecText } from "./regenerate.js";

/** What an add's journal records as its args: everything resume and abort need. */
export interface AddJournalArgs {
  id: string;
  links: string[];
  specFile: string;
  outDir: string;
  /** The spec text before and after the add. */
  before: string;
  after: string;
  /** The default image of the generation before (generationImage), if any. */
  image: string | null;
  /** `.env` names the add brings (forgotten on undo). */
  newTokens: string[];
  /** Mailbox route folders the add brings (removed on undo). */
  newRoutes: string[];
  /**
   * Docker names of networks and volumes an undo never removes: those the compose file declared
   * before, and those of the new gateway's names that already existed (a state volume kept by
   * `remove --keep-state`, say).
   */
  keep: { networks: string[]; volumes: string[] };
  healthTimeoutMs: number | null;
}

/** The journal key of the new gateway's start, or of a linked gateway's recreation. */
export const startKey = (id: string) => `${id}:start`;
export const recreateKey = (id: string) => `${id}:recreate`;

/** The steps an add plans in its journal (see the file comment). */
export function addJournalSteps(a: Pick<AddJournalArgs, "id" | "links">): PlannedStep[] {
  return [
    { key: "write-spec", action: "write-spec", rollback: "write the previous spec text back" },
    { key: "generate", action: "generate", rollback: "regenerate from the previous spec, forgetting the new tokens" },
    { key: startKey(a.id), gateway: a.id, action: "start", rollback: `remove the container of ${a.id}, its networks and volume` },
    ...a.links.map((l) => ({ key: recreateKey(l), gateway: l, action: "recreate", rollback: `recreate ${l} from the previous files` })),
  ];
}

/** The args of an add journal, checked. @throws Error naming what is missing (a journal clawfed did not write) */
export function addArgsOf(j: Journal): AddJournalArgs {
  const a = j.args as Record<string, JsonValue>;
  const strs = (v: JsonValue | undefined) => (Array.isArray(v) ? v.map(String) : []);
  for (const k of ["id", "specFile", "outDir", "before", "after"]) if (typeof a[k] !== "string") throw new Error(`the add journal has no ${k}`);
  const rb = (a.keep ?? {}) as Record<string, JsonValue>;
  return {
    id: String(a.id),
    links: strs(a.links),
    specFile: String(a.specFile),
    outDir: String(a.outDir),
    before: String(a.before),
    after: String(a.after),
    image: typeof a.image === "string" ? a.image : null,
    newTokens: strs(a.newTokens),
    newRoutes: strs(a.newRoutes),
    keep: { networks: strs(rb.networks), volumes: strs(rb.volumes) },
    healthTimeoutMs: typeof a.healthTimeoutMs === "number" ? a.healthTimeoutMs : null,
  };
}

/** The Docker names of the networks and volume of the new gateway's layout. */
export function addedResourceNames(federation: string, a: Pick<AddJournalArgs, "id" | "links">): { networks: string[]; volumes: string[] } {
  const named = (n: string) => projectResource(federation, n);
  return { networks: [egressNetwork(a.id), ...a.links.map((l) => linkNetwork(l, a.id))].map(named), volumes: [named(stateVolume(a.id))] };
}

/** Networks and volumes an undo removes: those declared now or named by the layout, minus `a.keep`. */
function newResources(federation: string, a: AddJournalArgs, now: { networks: string[]; volumes: string[] }): { networks: string[]; volumes: string[] } {
  const byName = addedResourceNames(federation, a);
  return {
    networks: minus([...new Set([...now.networks, ...byName.networks])], a.keep.networks),
    volumes: minus([...new Set([...now.volumes, ...byName.volumes])], a.keep.volumes),
  };
}

/** The new gateway and the linked gateways after {@link bringUp}. */
export interface BroughtUp {
  started?: MemberStart;
  recreated: MemberStart[];
  /** The first that did not report started, if any: the new gateway before the linked ones. */
  failed?: MemberStart;
}

/**
 * Start the new gateway and recreate the linked ones in one compose call, every health gate at
 * once; the journal marks each `started` before the call and `done` once it reports started.
 * Gateways whose step is already done (a resumed add) are left alone.
 * @throws RuntimeError when compose fails (every step then stays `started`)
 */
export async function bringUp(a: AddJournalArgs, deps: ClawfedDeps, j: JournalHandle, say: (l: string) => void): Promise<BroughtUp> {
  const ctx = await openFederation(a.specFile, { outDir: a.outDir });
  const todo = [{ id: a.id, key: startKey(a.id) }, ...a.links.map((l) => ({ id: l, key: recreateKey(l) }))].filter((s) => stepOf(j.current, s.key)?.status !== "done");
  for (const s of todo) if (stepOf(j.current, s.key)?.status === "pending") await j.begin(s.key);
  const peers = todo.filter((s) => s.id !== a.id).map((s) => s.id);
  if (peers.length) say(`${todo[0]?.id === a.id ? `starting ${a.id} and ` : ""}recreating ${peers.join(", ")} with the new peer (one compose call; ${peers.join(", ")} does not serve until it has started again)`);
  else if (todo.length) say(`starting ${a.id}`);
  const results = await upServices(ctx, deps, todo.map((s) => s.id), say, a.healthTimeoutMs ?? undefined);
  for (const [i, r] of results.entries()) if (r.ok) await j.end(todo[i]!.key);
  const out: BroughtUp = { recreated: [] };
  for (const r of results) {
    if (r.id === a.id) out.started = r;
    else out.recreated.push(r);
  }
  out.failed = results.find((r) => !r.ok);
  return out;
}

/**
 * Undo an add as far as journal `j` says it got (both a failed run and `clawfed abort`):
 * the previous spec text back, the output regenerated from it (new tokens forgotten), the new
 * container removed, the linked gateways whose recreation began recreated from the previous files
 * (together, health-gated), the networks and volume the add brought removed, its folders removed.
 * Idempotent: each part checks the disk and Docker first, so a killed undo can run again.
 * @returns what could not be undone (empty: the federation is as before the add)
 */
export async function undoAdd(a: AddJournalArgs, deps: ClawfedDeps, j: Journal, say: (l: string) => void): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      problems.push(`${what}: ${(err as Error).message.split("\n")[0]}`);
      return undefined;
    }
  };
  // What the add's compose file declares (read before it is regenerated), plus the names the
  // layout gives the new gateway's networks and volume (so an undo killed after the regeneration
  // still finds them), minus what was there before.
  const now = await composeResources(a.outDir, j.federation).catch(() => ({ networks: [], volumes: [] }));
  const { networks, volumes } = newResources(j.federation, a, now);
  if (begun(j, "write-spec") && (await readFile(a.specFile, "utf8")) !== a.before) await attempt(`write back ${a.specFile}`, () => writeSpecText(a.specFile, a.before));
  const old = await attempt("read the previous spec", () => openFederation(a.specFile, { outDir: a.outDir }));
  if (!old) return problems;
  if (begun(j, "generate")) await attempt("regenerate from the previous spec", () => regenerate(old, a.image ?? undefined, { forget: a.newTokens }));
  await attempt(`remove the container of ${a.id}`, () => removeContainers(old, deps, a.id));
  const peers = a.links.filter((l) => begun(j, recreateKey(l)));
  if (peers.length) {
    say(`rollback: recreating ${peers.join(", ")} from the previous files`);
    const back = await attempt(`recreate ${peers.join(", ")}`, () => upServices(old, deps, peers, say, a.healthTimeoutMs ?? undefined));
    for (const r of back ?? []) if (!r.ok) problems.push(`recreate ${r.id}: ${r.reason}`);
  }
  for (const n of networks) await attempt(`remove network ${n}`, () => deps.engine.removeNetwork(n));
  for (const v of volumes) await attempt(`remove volume ${v}`, () => deps.engine.removeVolume(v));
  await attempt("remove the new gateway's folders", () => removeGatewayFolders(a.outDir, a.id, a.newRoutes, old.fed.comms));
  return problems;
}

/**
 * Remove a gateway's workspace folder (unless `id` is undefined) and the given mailbox route folders from the output (files
 * the gateway wrote there are not in the writer's manifest, so regenerating leaves them).
 */
export async function removeGatewayFolders(outDir: string, id: string | undefined, routes: string[], comms?: Federation["comms"]): Promise<string[]> {
  const root = await checkRoot(outDir);
  const removed: string[] = [];
  if (id !== undefined && (await removeTreeBelow(root, workspaceDir(id)))) removed.push(workspaceDir(id));
  for (const r of routes) {
    const base = comms?.hostPath ? await checkRoot(comms.hostPath, "mailbox folder") : root;
    const rel = comms?.hostPath ? r : `${COMMS_DIR}/${r}`;
    if (await removeTreeBelow(base, rel)) removed.push(comms?.hostPath ? `${comms.hostPath}/${r}` : rel);
  }
  return removed;
}
