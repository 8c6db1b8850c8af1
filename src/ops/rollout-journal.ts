/**
 * The rollout's journal (see ops/journal.ts): the steps it plans per gateway, and how an
 * interrupted rollout is finished (`clawfed resume`) or rolled back (`clawfed abort`).
 *
 * Steps per gateway, in order, and what rolling each back means:
 *   stop      start the previous container again
 *   snapshot  remove the snapshot volume (the state itself was only read)
 *   swap      remove the new container, put the state back from the snapshot, give the previous
 *             container its name back
 *   gate      as swap (the new container ran and may have changed the state)
 *   record    the point of no return: once the spec records the new image the gateway counts as
 *             updated; recovery only finishes the cleanup
 *   cleanup   nothing to undo (removes the previous container and the snapshot)
 *
 * Recovery judges what really happened from Docker, not only from step statuses (a step marked
 * `started` may or may not have taken effect), and is idempotent: it may itself be killed and run
 * again. Per gateway:
 *   - nothing begun: resume updates it (abort leaves it);
 *   - begun, gate not passed: roll it back (both); resume then updates it again;
 *   - gate passed, record not begun: resume checks the new container still reports `started`,
 *     records it and cleans up (else rolls back and retries); abort rolls it back;
 *   - record begun (the spec may name the new image already): both finish it as resume does; if
 *     the new container no longer reports `started`, it is rolled back and the spec records the
 *     previous image, so the spec and the container agree either way;
 *   - recorded: both finish the cleanup. Gateways an interrupted rollout already finished stay on
 *     their new image (the spec records it): abort undoes only the step in progress.
 */
import { begun, isDone, type Journal, type JsonValue, type PlannedStep } from "../vocabulary/journal.js";
import type { MountSource } from "../runtime/docker/types.js";
import { ROLLOUT_ACTIONS, stepKey, type RolloutOptions, type Target } from "./rollout-step.js";

/** Words per step for the journal's `rollback` field. */
const ROLLBACK_TEXT: Record<(typeof ROLLOUT_ACTIONS)[number], string> = {
  stop: "start the previous container again",
  snapshot: "remove the snapshot volume (the state was only read)",
  swap: "remove the new container, put the state back from the snapshot, give the previous container its name back and start it",
  gate: "as swap: the new container ran and may have changed the state",
  record: "none: once the spec records the new image the gateway counts as updated; recovery finishes the cleanup",
  cleanup: "none (removes the previous container and the snapshot)",
};

/** The options a rollout journal keeps (what `resume` runs again with). */
export function rolloutJournalArgs(opts: RolloutOptions): Record<string, JsonValue> {
  const a: Record<string, JsonValue> = { record: !!opts.record, keepSnapshots: !!opts.keepSnapshots, pull: opts.pull ?? "missing" };
  if (opts.image) a.image = opts.image;
  if (opts.only) a.only = opts.only;
  if (opts.includeHub) a.includeHub = true;
  if (opts.healthTimeoutMs !== undefined) a.healthTimeoutMs = opts.healthTimeoutMs;
  if (opts.stableMs !== undefined) a.stableMs = opts.stableMs;
  return a;
}

/** Every step of the targets that change, with what recovery needs to know about each gateway. */
export function rolloutSteps(targets: Target[]): PlannedStep[] {
  return targets
    .filter((t) => !t.unchanged)
    .flatMap((t) => {
      const data: Record<string, JsonValue> = { name: t.info.name, oldId: t.info.id, oldImage: t.info.image, oldImageId: t.info.imageId, image: t.image, state: { ...t.state } };
      return ROLLOUT_ACTIONS.map((a, i): PlannedStep => ({ key: stepKey(t.id, a), gateway: t.id, action: a, rollback: ROLLBACK_TEXT[a], ...(i === 0 ? { data } : {}) }));
    });
}

/** What recovery knows of one gateway of the journal. */
export interface GatewayEntry {
  id: string;
  name: string;
  oldId: string;
  oldImage: string;
  oldImageId: string;
  image: string;
  state: MountSource;
  snapshot?: string;
  newId?: string;
  phase: "untouched" | "in-progress" | "passed" | "recorded" | "done";
}

/** The gateways of a rollout journal, in order, with their phase. */
export function rolloutEntries(j: Journal): GatewayEntry[] {
  const ids = [...new Set(j.steps.map((s) => s.gateway).filter((g): g is string => !!g))];
  return ids.map((id) => {
    const d = (a: string) => j.steps.find((s) => s.key === stepKey(id, a as never))?.data ?? {};
    const first = d("stop");
    const k = (a: (typeof ROLLOUT_ACTIONS)[number]) => stepKey(id, a);
    const phase = isDone(j, k("cleanup"))
      ? "done"
      : isDone(j, k("record"))
        ? "recorded"
        : isDone(j, k("gate"))
          ? "passed"
          : begun(j, k("stop"))
            ? "in-progress"
            : "untouched";
    return {
      id,
      name: String(first.name),
      oldId: String(first.oldId),
      oldImage: String(first.oldImage),
      oldImageId: String(first.oldImageId),
      image: String(first.image),
      state: first.state as unknown as MountSource,
      snapshot: typeof d("snapshot").snapshot === "string" ? String(d("snapshot").snapshot) : undefined,
      newId: typeof d("swap").newId === "string" ? String(d("swap").newId) : undefined,
      phase,
    };
  });
}

