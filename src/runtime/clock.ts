/**
 * Time, injectable: every wait in runtime/ (health polling, rollout gates) reads the time and
 * sleeps through a `Clock`, so unit tests can run hours of timeouts in microseconds (the manual
 * clock of test/helpers/clock.ts).
 */

export interface Clock {
  /** Milliseconds since an arbitrary origin (monotonic for the system clock). */
  now(): number;
  /** Resolve after `ms` milliseconds (or earlier when `signal` aborts). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: `performance.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    }),
};

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parse a duration: `250ms`, `90s`, `2m`, `1h`, `1m30s`, or a bare number of seconds (`120`).
 * @returns milliseconds
 * @throws Error naming the accepted forms for anything else (zero and negative included).
 */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return ok(Number(s) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== s.length) throw new Error(`"${text}" is not a duration (use e.g. 500ms, 90s, 2m, 1m30s, or seconds as a number)`);
  return ok(total);

  function ok(ms: number): number {
    if (!(ms > 0)) throw new Error(`"${text}" must be longer than zero`);
    return Math.round(ms);
  }
}

/** `12345` → `12.3 s`; `450` → `450 ms`. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Bytes in words: `812 MiB`, `4.2 GiB` (binary units). */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 || v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}
