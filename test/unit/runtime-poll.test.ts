// pollUntil: the one polling loop of the runtime, on a manual clock (time moves only by sleeping).
import { describe, expect, it } from "vitest";
import { RuntimeError } from "../../src/errors.js";
import { PollError, pollUntil } from "../../src/runtime/poll.js";
import { manualClock } from "../helpers/clock.js";

describe("pollUntil", () => {
  it("returns the first final value, checking at once and then every interval", async () => {
    const clock = manualClock();
    const seen: number[] = [];
    const v = await pollUntil((elapsed) => (seen.push(elapsed), seen.length), (n) => n === 4, { clock, timeoutMs: 10_000, intervalMs: 250, description: "four" });
    expect(v).toBe(4);
    expect(seen).toEqual([0, 250, 500, 750]);
    expect(clock.now()).toBe(750);
  });

  it("does not sleep when the first answer is final", async () => {
    const clock = manualClock(1_000);
    expect(await pollUntil(async () => "up", () => true, { clock, timeoutMs: 0, intervalMs: 500, description: "x" })).toBe("up");
    expect(clock.now()).toBe(1_000);
  });

  it("fails after the timeout with the last value, the elapsed time and the description", async () => {
    const clock = manualClock();
    let n = 0;
    const err = await pollUntil(() => ++n, () => false, { clock, timeoutMs: 1_000, intervalMs: 300, description: "korax to start" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PollError);
    expect(err).toBeInstanceOf(RuntimeError);
    const p = err as PollError<number>;
    expect(p.reason).toBe("timeout");
    // checks at 0, 300, 600, 900, 1200: the last one is past the timeout
    expect(p.last).toBe(5);
    expect(p.elapsedMs).toBe(1_200);
    expect(p.message).toBe("timed out after 1.0 s waiting for korax to start");
  });

  it("lets a final answer win over the timeout", async () => {
    const clock = manualClock();
    // The check itself takes 5 s (longer than the timeout) but succeeds.
    const v = await pollUntil(async () => (clock.advance(5_000), "slow but fine"), (x) => x === "slow but fine", { clock, timeoutMs: 1_000, intervalMs: 100, description: "x" });
    expect(v).toBe("slow but fine");
  });

  it("stops when the signal aborts, after the current check", async () => {
    const clock = manualClock();
    const ac = new AbortController();
    let n = 0;
    const err = (await pollUntil(() => (++n === 3 && ac.abort(), n), () => false, { clock, timeoutMs: 60_000, intervalMs: 100, description: "x", signal: ac.signal }).catch((e: unknown) => e)) as PollError<number>;
    expect(err.reason).toBe("aborted");
    expect(err.last).toBe(3);
    expect(err.message).toBe("interrupted while waiting for x");
    const already = (await pollUntil(() => 1, () => false, { clock, timeoutMs: 1, intervalMs: 1, description: "y", signal: ac.signal }).catch((e: unknown) => e)) as PollError<number>;
    expect(already.reason).toBe("aborted");
    expect(already.last).toBeUndefined();
  });

  it("passes errors of the check through unchanged", async () => {
    const boom = new Error("probe crashed");
    await expect(pollUntil(() => Promise.reject(boom), () => true, { clock: manualClock(), timeoutMs: 1_000, intervalMs: 10, description: "x" })).rejects.toBe(boom);
  });

  it("waits on the real clock too", async () => {
    const { systemClock } = await import("../../src/runtime/clock.js");
    const t0 = performance.now();
    let n = 0;
    expect(await pollUntil(() => ++n, (x) => x === 3, { clock: systemClock, timeoutMs: 5_000, intervalMs: 20, description: "x" })).toBe(3);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(35);
  });
});
