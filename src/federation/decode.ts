/**
 * The bytes and characters a spec may be made of, checked before YAML parsing:
 * at most SPEC_MAX_BYTES, UTF-8 (a UTF-8 byte order mark is fine and dropped; UTF-16/UTF-32 are
 * refused), and only the characters YAML 1.2 calls printable (c-printable, YAML 1.2.2 §5.1: tab,
 * LF, CR, U+0020-U+007E, U+0085, U+00A0-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF), so no NUL, ESC
 * or other control character can be written raw into a spec (a double-quoted `"\e"` escape is still
 * YAML; such values are refused or escaped where they are used).
 */

/** Largest spec accepted (bytes): a 2000-gateway spec is about 0.6 MiB. Checked before parsing. */
export const SPEC_MAX_BYTES = 2 * 1024 * 1024;

/** A problem with the text of a spec, at a 1-based line and column (0/0 for the whole file). */
export interface TextProblem {
  line: number;
  col: number;
  message: string;
  hint: string;
}

/** The size problem of a spec of `bytes` bytes, or undefined. */
export function sizeProblem(bytes: number): TextProblem | undefined {
  if (bytes <= SPEC_MAX_BYTES) return undefined;
  return {
    line: 0,
    col: 0,
    message: `is ${bytes > 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${bytes} bytes`}; a federation spec may be at most ${SPEC_MAX_BYTES / 1024 / 1024} MiB`,
    hint: "a spec describes gateways, not their data: keep large texts in knowledge folders",
  };
}

/**
 * Offset of the first byte that does not start or continue a well-formed UTF-8 sequence
 * (Unicode §3.9 table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF), or -1.
 */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    const n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (n === 0 || i + n >= b.length) return i;
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    if (b[i + 1]! < lo || b[i + 1]! > hi) return i;
    for (let k = 2; k <= n; k++) if (b[i + k]! < 0x80 || b[i + k]! > 0xbf) return i;
    i += n + 1;
  }
  return -1;
}

/** 1-based line and column (UTF-16 units, as yaml's LineCounter counts) of `index` in `text`. */
export function lineCol(text: string, index: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < index; i = text.indexOf("\n", i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: index - start + 1 };
}

/**
 * Spec bytes → text.
 * @returns the text (a leading UTF-8 BOM dropped), or the problem: too large, UTF-16/UTF-32 (by
 * their byte order marks), or not UTF-8 at a line and column (of the first bad byte).
 */
export function decodeSpec(bytes: Uint8Array): { text: string } | { problem: TextProblem } {
  const size = sizeProblem(bytes.length);
  if (size) return { problem: size };
  const bom16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0xfe && bytes[3] === 0xff);
  if (bom16) return { problem: { line: 1, col: 1, message: "is UTF-16 or UTF-32 (it starts with that byte order mark); clawfed reads UTF-8", hint: "save the file as UTF-8" } };
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    // Everything before the bad byte is valid UTF-8: its text gives the line and column.
    const before = new TextDecoder("utf-8").decode(bytes.subarray(0, bad));
    const pos = lineCol(before, before.length);
    return {
      problem: {
        ...pos,
        message: `is not valid UTF-8: byte 0x${bytes[bad]!.toString(16).padStart(2, "0")} does not start or continue a UTF-8 character`,
        hint: "save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)",
      },
    };
  }
  return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
}

/** Characters outside YAML 1.2's c-printable set (a lone surrogate is one too). */
const NON_PRINTABLE = /[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

/** Names of the C0 controls people meet, for messages. */
const CONTROL_NAMES: Record<number, string> = { 0: "NUL", 7: "BEL", 8: "BS", 0x0b: "VT", 0x0c: "FF", 0x1b: "ESC", 0x7f: "DEL" };

/**
 * The first character of `text` YAML 1.2 does not allow (see the module comment), with its line
 * and column, or undefined. Also refuses text longer than SPEC_MAX_BYTES in UTF-8.
 */
export function textProblem(text: string): TextProblem | undefined {
  const size = sizeProblem(Buffer.byteLength(text, "utf8"));
  if (size) return size;
  const m = NON_PRINTABLE.exec(text);
  if (!m) return undefined;
  const code = m[0].codePointAt(0)!;
  const u = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  const name = CONTROL_NAMES[code] ? `${u} (${CONTROL_NAMES[code]})` : u;
  const pos = lineCol(text, m.index);
  if (code === 0) {
    return { ...pos, message: "contains a NUL byte; YAML text cannot", hint: "if the file is UTF-16, save it as UTF-8; otherwise remove the byte" };
  }
  if (code >= 0xd800 && code <= 0xdfff) {
    return { ...pos, message: `contains an unpaired surrogate ${u}, which is not a character`, hint: "remove it" };
  }
  return {
    ...pos,
    message: `contains the control character ${name}; YAML allows only printable characters`,
    hint: "remove it",
  };
}
