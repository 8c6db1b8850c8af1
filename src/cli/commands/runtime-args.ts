// Argument parsers shared by the runtime commands (up, status, logs, rollout, down). Bad values
// are usage errors (exit 2), reported by commander before anything runs.
import { InvalidArgumentError } from "commander";
import { parseDuration } from "../../runtime/clock.js";
import { reporter } from "../format.js";
import { clean } from "../output.js";

/** `120s`, `2m`, `500ms` or seconds → milliseconds. */
export function durationArg(value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** A positive integer. */
export function countArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a positive whole number`);
  return n;
}

/** `a,b` → ["a","b"] (empty items dropped). */
export function listArg(value: string): string[] {
  const list = value.split(",").map((s) => s.trim()).filter(Boolean);
  if (!list.length) throw new InvalidArgumentError("give at least one gateway id");
  return list;
}

/**
 * An AbortSignal that fires on the first Ctrl-C (SIGINT) or SIGTERM; a second one exits at once
 * with 130. `dispose` removes the handlers.
 */
export function interruptSignal(onFirst?: () => void): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const handler = () => {
    if (ac.signal.aborted) process.exit(130);
    onFirst?.();
    ac.abort();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signal: ac.signal,
    dispose: () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}

/**
 * Run one slow operation with its progress lines on stderr (a spinner on a TTY, plain lines with
 * --json or in CI) and Ctrl-C as its AbortSignal: `interrupted` is printed at the first Ctrl-C,
 * a second one exits 130 (see interruptSignal).
 */
export async function withProgress<T>(
  json: boolean | undefined,
  interrupted: string,
  run: (p: { onProgress: (line: string) => void; signal: AbortSignal }) => Promise<T>,
): Promise<T> {
  const report = await reporter({ plain: json, clean });
  const intr = interruptSignal(() => report.line(interrupted));
  try {
    return await run({ onProgress: report.line, signal: intr.signal });
  } finally {
    report.done();
    intr.dispose();
  }
}
