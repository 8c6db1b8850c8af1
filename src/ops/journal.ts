/**
 * The operation journal, as operations use it (shape: vocabulary/journal.ts; file: emit/journal-file.ts).
 *
 * Adopting it in a multi-step operation (add, remove, upgrade, rotate …):
 *  1. before changing anything, `assertNoJournal(ctx, "<command>")` (createClawfed does this for
 *     every operation that changes a federation), then
 *     `const j = await startJournal(ctx, { operation: "add", args, steps })` with every step planned
 *     (`key` unique, `gateway`, `action`, `rollback` in words, `data` recovery needs; no secrets);
 *  2. wrap each step: `await j.step(key, () => doIt(), data?)` (or `j.begin(key, data)` … `j.end(key, data)`
 *     when the step learns something recovery needs, e.g. a new container id): the journal says
 *     `started` on disk BEFORE the step runs and `done` after it;
 *  3. when the operation is over and the federation consistent (success, or a rollback that
 *     worked), `await j.finish()` deletes the file; after a failed rollback leave it: the next
 *     command refuses and points at `clawfed resume` / `clawfed abort`;
 *  4. register `{ resume, abort }` for the operation name in ops/recover.ts: both get the parsed
 *     journal and must be idempotent (they may themselves be killed and run again), judging
 *     what really happened from Docker and the disk, not only from the step statuses (a step
 *     marked `started` may or may not have taken effect).
 *
 * Test-only hook: with `NODE_ENV=test` AND `CLAWFED_TEST_STOP_AT_STEP=<n>` the process SIGKILLs
 * itself at the n-th step boundary (1-based; each step has two: right after `started` is on disk,
 * before the step runs; and right after the step ran, before `done` is written). Without
 * NODE_ENV=test the variable is ignored, so it cannot fire by accident in production.
 */
import { writeSync } from "node:fs";
import { hostname } from "node:os";
import { RuntimeError } from "../errors.js";
import { readJournal, removeJournal, writeJournal } from "../emit/journal-file.js";
import { appendSteps, describeJournal, markStep, newJournal, type Journal, type JsonValue, type PlannedStep } from "../vocabulary/journal.js";
import { outFlag, type FederationContext } from "./context.js";

export type { Journal, JsonValue, PlannedStep } from "../vocabulary/journal.js";

/** What the journal functions need of a federation. */
export type JournalCtx = Pick<FederationContext, "outDir" | "fed" | "loaded">;

/** A journal being kept: every method writes the file before it returns. */
export interface JournalHandle {
  /** The journal as last written. */
  readonly current: Journal;
  /** Mark `key` started (with `data` merged in) on disk; then the step may run. */
  begin(key: string, data?: Record<string, JsonValue>): Promise<void>;
  /** Mark `key` done (with `data` merged in) on disk. */
  end(key: string, data?: Record<string, JsonValue>): Promise<void>;
  /** `begin`, run `fn`, `end`: a step whose failure leaves it `started` (the caller rolls back). */
  step<T>(key: string, fn: () => Promise<T>, data?: Record<string, JsonValue>): Promise<T>;
  /** Plan more steps (e.g. found while running). */
  add(steps: PlannedStep[]): Promise<void>;
  /** The operation is over and the federation consistent: delete the journal. */
  finish(): Promise<void>;
}

/** Environment variable of the test-only stop hook (see the file comment). */
export const TEST_STOP_ENV = "CLAWFED_TEST_STOP_AT_STEP";

/** Step boundaries passed in this process (the test hook counts them across journals). */
let boundaries = 0;
/** In-process seam for unit tests (see {@link setBoundaryHook}). */
let inProcessHook: ((n: number, what: string) => Promise<void> | void) | undefined;

/**
 * For unit tests only: call `hook` at every step boundary (numbered from 1 from this call on);
 * a promise it returns is awaited, so a promise that never settles freezes the operation exactly
 * there, as a SIGKILL would. `undefined` removes it.
 */
export function setBoundaryHook(hook: ((n: number, what: string) => Promise<void> | void) | undefined): void {
  inProcessHook = hook;
  boundaries = 0;
}

/** The test-only hooks: the in-process one, or SIGKILL this process at boundary n when NODE_ENV=test and the variable say so. */
function boundary(what: string): Promise<void> | void {
  boundaries++;
  if (inProcessHook) return inProcessHook(boundaries, what);
  const want = process.env[TEST_STOP_ENV];
  if (process.env.NODE_ENV !== "test" || !want || !/^[1-9][0-9]*$/.test(want) || Number(want) !== boundaries) return;
  writeSync(2, `clawfed test hook: SIGKILL at step boundary ${boundaries} (${what})\n`);
  process.kill(process.pid, "SIGKILL");
}

/** A handle that keeps writing `j` into `outDir`. */
export function journalHandle(outDir: string, j: Journal): JournalHandle {
  let current = j;
  // Writes are serialized: two steps never race on the file.
  let chain: Promise<void> = Promise.resolve();
  const save = (next: Journal) => (chain = chain.then(() => writeJournal(outDir, (current = next))));
  const h: JournalHandle = {
    get current() {
      return current;
    },
    async begin(key, data) {
      await save(markStep(current, key, "started", data));
      await boundary(`${key} started`);
    },
    async end(key, data) {
      await boundary(`${key} ran`);
      await save(markStep(current, key, "done", data));
    },
    async step(key, fn, data) {
      await h.begin(key, data);
      const r = await fn();
      await h.end(key);
      return r;
    },
    async add(steps) {
      await save(appendSteps(current, steps));
    },
    async finish() {
      await chain;
      await removeJournal(outDir);
    },
  };
  return h;
}

/**
 * Start the journal of an operation (written before this returns; every step pending).
 * @throws RuntimeError when the output folder cannot be written
 */
export async function startJournal(ctx: JournalCtx, o: { operation: string; args: Record<string, JsonValue>; steps: PlannedStep[]; wallNow?: () => number }): Promise<JournalHandle> {
  const j = newJournal({
    operation: o.operation,
    federation: ctx.fed.name,
    spec: ctx.loaded.file,
    pid: process.pid,
    host: hostname(),
    startedAt: new Date((o.wallNow ?? Date.now)()).toISOString(),
    args: o.args,
    steps: o.steps,
  });
  await writeJournal(ctx.outDir, j);
  return journalHandle(ctx.outDir, j);
}

/** Whether the process that wrote `j` (or made a scratch resource: its pid and host) still runs (same host, pid alive; never this process). */
export function writerAlive(j: Pick<Journal, "pid" | "host">): boolean {
  if (j.host !== hostname() || j.pid === process.pid) return false;
  try {
    process.kill(j.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The unfinished journal of a federation, if any: the parsed journal, or why it cannot be read. */
export async function findJournal(ctx: JournalCtx): Promise<{ journal?: Journal; unreadable?: string; file?: string } | undefined> {
  const found = await readJournal(ctx.outDir);
  if (found.kind === "none") return undefined;
  if (found.kind === "unreadable") return { unreadable: found.error, file: found.file };
  return { journal: found.journal, file: found.file };
}

/** The two commands that end an unfinished operation, for messages. */
export function recoveryCommands(ctx: JournalCtx): { resume: string; abort: string } {
  const out = outFlag(ctx);
  return { resume: `clawfed resume ${ctx.loaded.file}${out}`, abort: `clawfed abort ${ctx.loaded.file}${out}` };
}

/**
 * Refuse to run `command` while an operation on this federation is unfinished.
 * @throws RuntimeError (exit 3) naming the operation, where it stopped, and both ways out
 *   (`clawfed resume`, `clawfed abort`); or, when the operation is still running in another
 *   process, saying so
 */
export async function assertNoJournal(ctx: JournalCtx, command: string): Promise<void> {
  const text = await journalWarning(ctx);
  if (text) throw new RuntimeError(`${command} refused: ${text.message}`, { next: text.next });
}

/**
 * The warning read-only commands (status, logs, plan, doctor) print about an unfinished operation.
 * @returns undefined when there is none
 */
export async function journalWarning(ctx: JournalCtx): Promise<{ message: string; next: string } | undefined> {
  const found = await findJournal(ctx);
  if (!found) return undefined;
  const { resume, abort } = recoveryCommands(ctx);
  if (!found.journal) {
    return { message: `${found.file} records an unfinished operation but cannot be read (${found.unreadable})`, next: `look at it, then either ${abort} or move it away` };
  }
  if (writerAlive(found.journal)) {
    return { message: `a ${found.journal.operation} of ${ctx.fed.name} is running right now (process ${found.journal.pid})`, next: `wait for it to end (or stop it with Ctrl-C), then run the command again` };
  }
  return { message: `${describeJournal(found.journal)}`, next: `finish it: ${resume}; or roll it back: ${abort}` };
}
