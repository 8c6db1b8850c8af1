/**
 * Shared CLI plumbing: exit codes, error printing (text or --json), progress lines on stderr.
 *
 * Exit codes: 0 success; 1 the spec (or another input file) is invalid; 2 bad command-line usage;
 * 3 a runtime operation failed (Docker, processes, health); 4 the federation is not healthy
 * (status); 70 an internal error (a bug: please report it).
 */
import { InternalError, RuntimeError, SpecError, UsageError } from "../errors.js";

export const EXIT = { ok: 0, spec: 1, usage: 2, runtime: 3, unhealthy: 4, internal: 70 } as const;

export interface JsonFlag {
  json?: boolean;
}

/** Write one JSON document to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A progress line on stderr (never stdout, which --json keeps machine-readable). */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Print an error the way the command was asked to, and return its exit code. */
export function reportError(err: unknown, json: boolean): number {
  if (err instanceof SpecError) {
    if (json) printJson({ ok: false, error: "spec", issues: err.issues });
    else process.stderr.write(`${err.message}\n`);
    return EXIT.spec;
  }
  if (err instanceof UsageError) {
    if (json) printJson({ ok: false, error: "usage", message: err.message });
    else process.stderr.write(`error: ${err.message}\n`);
    return EXIT.usage;
  }
  if (err instanceof RuntimeError) {
    if (json) printJson({ ok: false, error: "runtime", message: err.message, next: err.next ?? null });
    else process.stderr.write(`error: ${err.message}\n`);
    return EXIT.runtime;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (json) printJson({ ok: false, error: "internal", message });
  else {
    process.stderr.write(`internal error: ${message}\n`);
    if (!(err instanceof InternalError) && err instanceof Error && err.stack) process.stderr.write(`${err.stack.split("\n").slice(1, 6).join("\n")}\n`);
    process.stderr.write("This is a bug in clawfed; please report it with the command you ran.\n");
  }
  return EXIT.internal;
}

/** Run a command body; set process.exitCode from its result or its error. */
export function action<A extends unknown[]>(body: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const opts = args.find((a) => a && typeof a === "object" && !Array.isArray(a) && "json" in (a as object)) as JsonFlag | undefined;
    try {
      const code = await body(...args);
      process.exitCode = code ?? EXIT.ok;
    } catch (err) {
      process.exitCode = reportError(err, Boolean(opts?.json));
    }
  };
}
