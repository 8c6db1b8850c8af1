// Argument parsers shared by the runtime commands (up, status, logs, rollout, down). Bad values
// are usage errors (exit 2), reported by commander before anything runs.
import { InvalidArgumentError } from "commander";
import { parseDuration } from "../../runtime/clock.js";

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
