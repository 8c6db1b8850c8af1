/**
 * The one polling loop of the runtime: call `check` until `done` says its answer is final, sleeping
 * `intervalMs` between calls on an injectable {@link Clock} (so unit tests run minutes of timeouts
 * in microseconds with a manual clock, test/helpers/clock.ts).
 *
 * Order: check at once; if not done and `timeoutMs` has passed since the start, fail; else sleep
 * `intervalMs` (woken early when `signal` aborts) and check again. A `done` answer always wins over
 * the timeout, so a check that is slow but succeeds is never reported as a timeout.
 */
import { RuntimeError } from "../errors.js";
import { formatMs, type Clock } from "./clock.js";

export interface PollOptions {
  clock: Clock;
  /** Give up after this many milliseconds (measured from the first check). */
  timeoutMs: number;
  /** Milliseconds slept between two checks. */
  intervalMs: number;
  /** What is awaited, in words, for the error (e.g. "korax to answer /startupz"). */
  description: string;
  /** Ends the wait early: the poll fails with `reason: "aborted"` after the current check. */
  signal?: AbortSignal;
}

/**
 * The wait ended without a final answer. `last` is the last value `check` returned (undefined only
 * when the signal was already aborted before the first check).
 */
export class PollError<T> extends RuntimeError {
  constructor(
    readonly reason: "timeout" | "aborted",
    readonly last: T | undefined,
    /** Milliseconds from the first check until the wait gave up. */
    readonly elapsedMs: number,
    description: string,
    timeoutMs: number,
  ) {
    super(reason === "timeout" ? `timed out after ${formatMs(timeoutMs)} waiting for ${description}` : `interrupted while waiting for ${description}`);
    this.name = "PollError";
  }
}

/**
 * Poll `check` until `done(value)` holds, then return that value.
 * @param check called with the milliseconds elapsed since the start; may be async.
 * @param done true when the value is final (success, or a failure the caller handles itself).
 * @throws PollError (a RuntimeError) with `reason` "timeout" or "aborted" and the last value;
 *   whatever `check` throws is passed through unchanged.
 */
export async function pollUntil<T>(check: (elapsedMs: number) => T | Promise<T>, done: (value: T) => boolean, o: PollOptions): Promise<T> {
  const t0 = o.clock.now();
  const elapsed = () => o.clock.now() - t0;
  let last: T | undefined;
  for (;;) {
    if (o.signal?.aborted) throw new PollError("aborted", last, elapsed(), o.description, o.timeoutMs);
    last = await check(elapsed());
    if (done(last)) return last;
    if (o.signal?.aborted) throw new PollError("aborted", last, elapsed(), o.description, o.timeoutMs);
    if (elapsed() >= o.timeoutMs) throw new PollError("timeout", last, elapsed(), o.description, o.timeoutMs);
    await o.clock.sleep(o.intervalMs, o.signal);
  }
}
