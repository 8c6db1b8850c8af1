/**
 * The few error classes clawfed throws. CLI code maps them to exit codes:
 * SpecError → 1, UsageError → 2, RuntimeError → 3, anything else → 70 (internal).
 */
import { redactCredentials } from "./federation/credentials.js";

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

/**
 * Characters that must never reach a terminal (or a one-line comment) raw: C0 controls (newline,
 * ESC, NUL…), DEL, C1 controls (U+0080-U+009F, which include the 8-bit CSI U+009B), the Arabic
 * letter mark, zero-width and directional marks (U+200B-U+200F), line/paragraph separators
 * (U+2028/U+2029), bidirectional embeddings and overrides (U+202A-U+202E) and isolates
 * (U+2066-U+2069), the byte order mark U+FEFF, and unpaired surrogates.
 */
const UNSAFE_REST = "\\u007f-\\u009f\\u061c\\u200b-\\u200f\\u2028-\\u202e\\u2066-\\u2069\\ufeff";
const LONE_SURROGATE = "[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]";
const UNSAFE_TEXT = new RegExp(`[\\u0000-\\u001f${UNSAFE_REST}]|${LONE_SURROGATE}`, "g");
const UNSAFE_TEXT_KEEP_NEWLINE = new RegExp(`[\\u0000-\\u0009\\u000b-\\u001f${UNSAFE_REST}]|${LONE_SURROGATE}`, "g");

function escapeChar(c: string): string {
  if (c === "\n") return "\\n";
  if (c === "\r") return "\\r";
  if (c === "\t") return "\\t";
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * `s` with every character of {@link UNSAFE_TEXT} written as a visible escape (`\n`, `\t`,
 * `\x1b`, `\u202e`…), so text taken from a spec (ids, descriptions, file names) can neither move
 * the cursor, recolour or retitle a terminal, nor fake a second line, nor reorder what is shown.
 * Printable text, including non-ASCII letters, is left as it is. With `keepNewlines`, `\n` stays
 * (for messages whose lines clawfed itself joined).
 */
export function escapeControls(s: string, opts: { keepNewlines?: boolean } = {}): string {
  return s.replace(opts.keepNewlines ? UNSAFE_TEXT_KEEP_NEWLINE : UNSAFE_TEXT, escapeChar);
}

/**
 * `file:line:col key.path: message (hint)` — the one format every spec problem is printed in.
 * Every part is passed through {@link escapeControls}: the result is one line free of control
 * and bidirectional characters, whatever the spec or its file name holds. (`--json` output keeps
 * the raw strings; JSON escapes them.)
 */
export function formatIssue(issue: SpecIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.col}` : issue.file;
  const key = issue.path ? ` ${issue.path}:` : "";
  const hint = issue.hint ? ` (${issue.hint})` : "";
  return escapeControls(`${where}${key} ${issue.message}${hint}`);
}

/**
 * A spec that cannot be compiled. Carries every problem found, not just the first. Any credential
 * in an issue's key path, message or hint (a key pasted as a gateway id, echoed by a message) is
 * replaced by `<redacted: KIND>` (federation/credentials.ts), so the error never repeats a secret.
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
