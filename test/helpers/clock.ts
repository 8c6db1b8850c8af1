// A manual clock for unit tests (moved out of src/runtime/clock.ts: test tooling stays out of dist/).
import type { Clock } from "../../src/runtime/clock.js";

/**
 * A clock for tests: time moves only when someone sleeps (each sleep advances it by its duration),
 * so loops with timeouts finish at once and deterministically.
 */
export function manualClock(start = 0): Clock & { advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    sleep: async (ms) => {
      t += Math.max(0, ms);
      await Promise.resolve();
    },
    advance: (ms) => {
      t += ms;
    },
  };
}
