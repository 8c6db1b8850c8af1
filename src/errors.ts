/**
 * The few error classes clawfed throws. CLI code maps them to exit codes:
 * SpecError → 1, UsageError → 2, RuntimeError → 3, anything else → 70 (internal).
 */
import { redactCredentials } from "./spec/credentials.js";

/** One problem found in a spec file, with where it is and how to fix it. */
export interface SpecIssue {
  /** Path of the spec file as the user gave it (e.g. `federations/korax.yaml`). */
  file: string;
  /** 1-based line and column; 0 when the problem has no place in the file (e.g. a missing file). */
  line: number;
  col: number;
  /** Dotted key path inside the spec (`gateways.goreos.port`); empty for whole-file problems. */
  path: string;
  /** What is wrong, in one sentence. */
  message: string;
  /** How to fix it, in a few words. */
  hint?: string;
}

/** `file:line:col key.path: message (hint)` — the one format every spec problem is printed in. */
export function formatIssue(issue: SpecIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.col}` : issue.file;
  const key = issue.path ? ` ${issue.path}:` : "";
  const hint = issue.hint ? ` (${issue.hint})` : "";
  return `${where}${key} ${issue.message}${hint}`;
}

/**
 * A spec that cannot be compiled. Carries every problem found, not just the first. Any credential
 * in an issue's key path, message or hint (a key pasted as a gateway id, echoed by a message) is
 * replaced by `<redacted: KIND>` (spec/credentials.ts), so the error never repeats a secret.
 */
export class SpecError extends Error {
  readonly issues: SpecIssue[];
  constructor(raw: SpecIssue[]) {
    const issues = raw.map((i) => ({
      ...i,
      path: redactCredentials(i.path),
      message: redactCredentials(i.message),
      ...(i.hint !== undefined ? { hint: redactCredentials(i.hint) } : {}),
    }));
    super(
      `${issues.length} problem${issues.length === 1 ? "" : "s"} in the federation spec:\n` +
        issues.map((i) => `  ${formatIssue(i)}`).join("\n"),
    );
    this.name = "SpecError";
    this.issues = issues;
  }
}

/**
 * A failure while talking to Docker, processes or the file system. The message ends with the
 * next command the user should run; `cause` keeps the underlying error.
 */
export class RuntimeError extends Error {
  readonly next?: string;
  constructor(message: string, opts: { next?: string; cause?: unknown } = {}) {
    super(opts.next ? `${message}\nNext: ${opts.next}` : message, { cause: opts.cause });
    this.name = "RuntimeError";
    this.next = opts.next;
  }
}

/**
 * A command-line mistake the user can fix by changing the flags or arguments (an unknown gateway
 * id, a conflicting flag, an output folder that needs `--force`). Exit code 2.
 */
export class UsageError extends Error {
  readonly hint?: string;
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(opts.hint ? `${message} (${opts.hint})` : message, { cause: opts.cause });
    this.name = "UsageError";
    this.hint = opts.hint;
  }
}

/** A broken invariant inside clawfed itself (a bug, not bad input). */
export class InternalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InternalError";
  }
}
