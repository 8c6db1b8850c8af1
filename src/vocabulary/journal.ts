/**
 * The operation journal, pure half: the record a multi-step operation (rollout, restore; later
 * add, remove, upgrade, rotate) keeps in its output folder at {@link JOURNAL_PATH} so that a run
 * killed at any point (SIGKILL, a power cut) can be finished (`clawfed resume`) or rolled back
 * (`clawfed abort`) by the next one. The writer is emit/journal-file.ts; the handle operations
 * use is ops/journal.ts (read its docstring to adopt the journal in a new operation).
 *
 * Shape (JSON, 0600, never holds a secret: args are what the user typed minus secrets, data are
 * container ids, volume names, paths and image references):
 *   { format: 1, operation, federation, spec, pid, host, startedAt, args, steps: [{ key, gateway?,
 *     action, status: pending|started|done, rollback, data? }] }
 * A step is marked `started` BEFORE it runs and `done` after; a journal whose file exists is
 * unfinished (a finished operation deletes it). Every step names what undoing it means
 * (`rollback`), for the person reading the file and for `clawfed status`.
 *
 * Pure: no fs, env, clock or process here; the caller passes pid, host and times.
 */
import { z } from "zod";

/** The journal's place in the output folder (next to the writer's manifest). */
export const JOURNAL_PATH = ".clawfed/journal.json";

/** JSON values a journal's args and step data may hold (no functions, no undefined). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
const jsonValue: z.ZodType<JsonValue> = z.lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]));

export const StepStatus = z.enum(["pending", "started", "done"]);
export type StepStatus = z.infer<typeof StepStatus>;

export const JournalStep = z.object({
  /** Unique within the journal, e.g. `goreos:stop`. */
  key: z.string().min(1),
  /** The gateway the step acts on, when one. */
  gateway: z.string().optional(),
  /** What the step does, one word or two: `stop`, `snapshot`, `swap`, `gate`, `record`, `cleanup`. */
  action: z.string().min(1),
  status: StepStatus,
  /** What rolling this step back means, in words (e.g. "start the previous container again"). */
  rollback: z.string(),
  /** What recovery needs to know (container ids, volume names, images); never a secret. */
  data: z.record(z.string(), jsonValue).optional(),
});
export type JournalStep = z.infer<typeof JournalStep>;

export const Journal = z.object({
  format: z.literal(1),
  /** The operation (`rollout`, `restore`, …): which recovery handler finishes or undoes it. */
  operation: z.string().min(1),
  federation: z.string().min(1),
  /** The spec file the operation ran on (as given). */
  spec: z.string(),
  /** Process id and host name of the run that wrote it (a live pid on the same host means: still running). */
  pid: z.number().int(),
  host: z.string(),
  /** ISO 8601 wall time the operation started. */
  startedAt: z.string(),
  /** The operation's options as given (no secrets): what `resume` runs again with. */
  args: z.record(z.string(), jsonValue),
  steps: z.array(JournalStep),
});
export type Journal = z.infer<typeof Journal>;

/** A step as an operation plans it (status starts `pending`). */
export type PlannedStep = Omit<JournalStep, "status">;

/** A new journal with every step pending. @throws Error when two steps share a key (a bug). */
export function newJournal(o: { operation: string; federation: string; spec: string; pid: number; host: string; startedAt: string; args: Record<string, JsonValue>; steps: PlannedStep[] }): Journal {
  const keys = new Set<string>();
  for (const s of o.steps) {
    if (keys.has(s.key)) throw new Error(`journal step key ${s.key} is used twice`);
    keys.add(s.key);
  }
  return { format: 1, operation: o.operation, federation: o.federation, spec: o.spec, pid: o.pid, host: o.host, startedAt: o.startedAt, args: o.args, steps: o.steps.map((s) => ({ ...s, status: "pending" })) };
}

/**
 * The journal with step `key` moved to `status` (and `data` merged in). Steps only move forward
 * (pending → started → done).
 * @throws Error for an unknown key or a move backwards (bugs in the operation)
 */
export function markStep(j: Journal, key: string, status: StepStatus, data?: Record<string, JsonValue>): Journal {
  const order: StepStatus[] = ["pending", "started", "done"];
  const i = j.steps.findIndex((s) => s.key === key);
  if (i < 0) throw new Error(`journal has no step ${key}`);
  const s = j.steps[i]!;
  if (order.indexOf(status) < order.indexOf(s.status)) throw new Error(`journal step ${key} cannot go from ${s.status} back to ${status}`);
  const steps = [...j.steps];
  steps[i] = { ...s, status, ...(data || s.data ? { data: { ...s.data, ...data } } : {}) };
  return { ...j, steps };
}

/** The journal with more steps appended (all pending), e.g. a gateway found to need work. */
export function appendSteps(j: Journal, more: PlannedStep[]): Journal {
  const keys = new Set(j.steps.map((s) => s.key));
  for (const s of more) {
    if (keys.has(s.key)) throw new Error(`journal step key ${s.key} is used twice`);
    keys.add(s.key);
  }
  return { ...j, steps: [...j.steps, ...more.map((s) => ({ ...s, status: "pending" as const }))] };
}

/** The step of `key`, if any. */
export function stepOf(j: Journal, key: string): JournalStep | undefined {
  return j.steps.find((s) => s.key === key);
}

/** Whether the step of `key` has at least begun (`started` or `done`). */
export function begun(j: Journal, key: string): boolean {
  const s = stepOf(j, key);
  return !!s && s.status !== "pending";
}

/** Whether the step of `key` is done. */
export function isDone(j: Journal, key: string): boolean {
  return stepOf(j, key)?.status === "done";
}

/** The first step that is not done (where the operation stopped), if any. */
export function stoppedAt(j: Journal): JournalStep | undefined {
  return j.steps.find((s) => s.status !== "done");
}

/**
 * Parse a journal file's text.
 * @returns the journal, or an error text naming what is wrong (a journal clawfed cannot read is
 *   still an unfinished operation: the caller refuses, it never ignores it)
 */
export function parseJournal(text: string): { ok: true; journal: Journal } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `not JSON (${(err as Error).message})` };
  }
  const r = Journal.safeParse(raw);
  if (!r.success) return { ok: false, error: r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ") };
  return { ok: true, journal: r.data };
}

/** The journal as its file holds it: stable key order (as built), two-space JSON, final newline. */
export function journalText(j: Journal): string {
  return `${JSON.stringify(j, null, 2)}\n`;
}

/**
 * Where an unfinished journal stopped, in words, judged from its step statuses:
 *  - no step at all: the operation was killed right after its journal started, before it planned
 *    a step (an upgrade's journal starts empty; its rollout appends the steps): it changed nothing;
 *  - a step `started`: "stopped at <gateway>: <action> (started)" (it may or may not have taken effect);
 *  - every step pending: "stopped at <first> (pending), before any step began: it changed nothing";
 *  - else after the last `done` step, before the next pending one; pending steps before it are
 *    steps the operation passes over (an upgrade leaves each gateway's own rollout `record`
 *    pending), not where it stopped;
 *  - nothing pending after the last done step: only the journal's own cleanup is left.
 */
export function whereStopped(j: Journal): string {
  const name = (s: JournalStep) => `${s.gateway ? `${s.gateway}: ` : ""}${s.action}`;
  if (j.steps.length === 0) return "it stopped before its first step: no step was planned or begun yet, so it changed nothing";
  const started = j.steps.find((s) => s.status === "started");
  if (started) return `stopped at ${name(started)} (started)`;
  const lastDone = j.steps.map((s) => s.status).lastIndexOf("done");
  if (lastDone < 0) return `stopped at ${name(j.steps[0]!)} (pending), before any step began: it changed nothing`;
  const next = j.steps.slice(lastDone + 1).find((s) => s.status === "pending");
  if (next) return `stopped after ${name(j.steps[lastDone]!)} (done), before ${name(next)} (pending)`;
  return "every step done, only the cleanup of the journal is left";
}

/** One line describing an unfinished journal: "an unfinished rollout of korax, started 2026-12-01T03:00:00Z by process 7 on h; stopped at goreos: stop (started)". */
export function describeJournal(j: Journal): string {
  return `an unfinished ${j.operation} of ${j.federation}, started ${j.startedAt} by process ${j.pid} on ${j.host}; ${whereStopped(j)}`;
}
