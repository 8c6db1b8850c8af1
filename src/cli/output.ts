/**
 * Shared CLI plumbing: exit codes, error printing (text or --json), progress lines on stderr,
 * deprecated flag spellings. Everything the CLI prints — results, progress, errors, JSON — goes
 * through {@link clean}: the one redaction of secrets (runtime/redact.ts) and, for text, the
 * escaping of control characters.
 *
 * Exit codes: 0 success; 1 the spec (or another input file) is invalid; 2 bad command-line usage
 * (an unknown gateway id in every command); 3 a runtime operation failed (Docker, processes,
 * health); 4 the federation is not healthy (status); 70 an internal error (a bug: please report it).
 */
import { escapeControls, formatIssue, InternalError, RuntimeError, SpecError, UsageError } from "../errors.js";
import { redactKnown } from "../runtime/redact.js";

/** The one redaction every printed byte passes through (secrets of the federations opened). */
export const clean = redactKnown;

/** Write result text to stdout, redacted. */
export function write(text: string): void {
  process.stdout.write(clean(text));
}

export const EXIT = { ok: 0, spec: 1, usage: 2, runtime: 3, unhealthy: 4, internal: 70 } as const;

export interface JsonFlag {
  json?: boolean;
}

/**
 * Characters JSON.stringify leaves raw that a terminal may still act on or display misleadingly:
 * DEL, C1 controls, directional/zero-width marks, line separators, bidi overrides and isolates, BOM.
 * They can only occur inside JSON strings, where `\uXXXX` means the same character.
 */
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

/**
 * One JSON document as text: `JSON.stringify` (which escapes C0 controls and unpaired
 * surrogates), plus `\uXXXX` escapes for {@link JSON_UNSAFE}. The parsed value is exactly `value`:
 * `--json` keeps the raw strings, while the bytes on stdout carry no control sequence.
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Write one JSON document to stdout (see {@link jsonText}). */
export function printJson(value: unknown): void {
  process.stdout.write(`${clean(jsonText(value))}\n`);
}

/** A progress line on stderr (never stdout, which --json keeps machine-readable); control characters escaped. */
export function progress(line: string): void {
  process.stderr.write(`${escapeControls(clean(line), { keepNewlines: true })}\n`);
}

/** Error text for the terminal: clawfed's own line breaks kept, every other control character escaped. */
function safe(text: string): string {
  return escapeControls(clean(text), { keepNewlines: true });
}

/**
 * A deprecated flag spelling: warn on stderr and return the value under its new name.
 * @example opts.out = deprecated(opts.dir, "--dir", "--out") ?? opts.out
 */
export function deprecated<T>(value: T | undefined, old: string, now: string): T | undefined {
  if (value !== undefined) progress(`warning: ${old} is deprecated; use ${now} (the old spelling will be removed)`);
  return value;
}

/**
 * Print an error the way the command was asked to, and return its exit code. Text output passes
 * through escapeControls for every error class (spec issues one line each via formatIssue; other
 * messages keep their `\n` line breaks), so nothing from a spec, a file name or a subprocess can
 * send terminal control sequences; `--json` keeps raw strings in escaped JSON (jsonText).
 */
export function reportError(err: unknown, json: boolean): number {
  if (err instanceof SpecError) {
    if (json) printJson({ ok: false, error: "spec", issues: err.issues });
    else {
      const n = err.issues.length;
      process.stderr.write(clean(`${n} problem${n === 1 ? "" : "s"} in the federation spec:\n${err.issues.map((i) => `  ${formatIssue(i)}\n`).join("")}`));
    }
    return EXIT.spec;
  }
  // ArchiveError (runtime/backup/archive.ts), matched by name so every command need not load tar code.
  if (err instanceof Error && err.name === "ArchiveError") {
    const member = (err as Error & { member?: string }).member;
    if (json) printJson({ ok: false, error: "archive", message: err.message, member: member ?? null });
    else process.stderr.write(`error: the archive is refused: ${safe(err.message)}\n`);
    return EXIT.spec;
  }
  if (err instanceof UsageError) {
    if (json) printJson({ ok: false, error: "usage", message: err.message, next: null });
    else process.stderr.write(`error: ${safe(err.message)}\n`);
    return EXIT.usage;
  }
  if (err instanceof RuntimeError) {
    if (json) printJson({ ok: false, error: "runtime", message: err.message, next: err.next ?? null });
    else process.stderr.write(`error: ${safe(err.message)}\n`);
    return EXIT.runtime;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (json) printJson({ ok: false, error: "internal", message: clean(message) });
  else {
    process.stderr.write(`internal error: ${safe(message)}\n`);
    if (!(err instanceof InternalError) && err instanceof Error && err.stack) process.stderr.write(`${safe(err.stack.split("\n").slice(1, 6).join("\n"))}\n`);
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
