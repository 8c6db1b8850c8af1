/**
 * Byte-stable serializers. Objects are written in insertion order; every builder inserts keys in
 * a fixed order and sorts id-keyed maps, so the same model always gives the same bytes.
 */
import { stringify } from "yaml";

/** JSON with 2-space indent and a trailing newline; `header` becomes a `//` line (JSON5 files only). */
export function toJson(value: unknown, header?: string): string {
  const body = `${JSON.stringify(value, null, 2)}\n`;
  return header ? `// ${header}\n${body}` : body;
}

/** The options clawfed's YAML is written with: block collections, no line folding, no anchors, sequences indented under their key. */
const YAML_OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false, indentSeq: true } as const;

/**
 * YAML (yaml 2.x `stringify` with {@link YAML_OPTIONS}) with an optional `#` header line. A
 * hand-written block writer was 6× faster (41 vs 262 ms for the 2.4 MB compose file of 1000
 * gateways) and was removed: writing YAML is not what clawfed is for (issue 9, BENCHMARKS.md).
 */
export function toYaml(value: unknown, header?: string): string {
  const body = stringify(value, YAML_OPTIONS);
  return header ? `# ${header}\n${body}` : body;
}

/** A value no `.env` quoting carries unchanged to every reader; `reason` never quotes the value. */
export class DotenvValueError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "DotenvValueError";
  }
}

/** Values every reader takes as they are, unquoted. */
const PLAIN = /^[A-Za-z0-9_./:@+,=-]*$/;
/** python-dotenv 0.x (docker-compose v1) substitutes `${NAME}` / `${NAME:-default}` in every value, quoted or not. */
const PY_DOTENV_VARIABLE = /\$\{[^}:]*(?::-[^}]*)?\}/;
/** Characters no form carries: NUL, CR (dotenv turns CR and CRLF into LF), lone surrogates, BOM and noncharacters (systemd refuses them). */
const NEVER = /[\0\r\p{Cs}\uFEFF\p{Noncharacter_Code_Point}]/u;

/**
 * Write one `.env` value so that every program that reads clawfed's env files gets exactly `v`
 * back: clawfed itself and OpenClaw (npm dotenv `parse`), docker compose v2 (compose-go dotenv:
 * unquoted and double-quoted values are interpolated and unescaped, single-quoted ones are
 * literal), docker-compose v1.29 (python-dotenv 0.x: `\\` and `\'` unescaped in single quotes,
 * escapes in double quotes, `${…}` substituted everywhere) and systemd `EnvironmentFile=`
 * (systemd.exec(5): shell-like, backslash escapes outside single quotes). The first form all of
 * them read the same is used:
 * 1. bare, for `[A-Za-z0-9_./:@+,=-]*` (also the empty value);
 * 2. `'v'`: no `'`, no `\\`, no trailing `\`, no `${…}`; may span lines;
 * 3. bare: no leading quote, no `#`, `$`, `\`, line break or control character, no space at
 *    either end (so `a'b"c` is written as it is);
 * 4. `"v"`: no `"`, `\` or `$`; line breaks written as they are (systemd reads no `\n`).
 * Regenerating is a fixed point: dotenv's `parse` of the output gives `v`, and writing that gives
 * the same bytes.
 * @throws DotenvValueError when no form fits (e.g. `'`, `"` and a line break together, or a CR)
 */
export function dotenvValue(v: string): string {
  if (PLAIN.test(v)) return v;
  if (NEVER.test(v)) throw new DotenvValueError(dotenvReason(v));
  if (!v.includes("'") && !v.includes("\\\\") && !v.endsWith("\\") && !PY_DOTENV_VARIABLE.test(v)) return `'${v}'`;
  if (!/^['"`]/.test(v) && !/[#$\\\n]/.test(v) && !/[\p{Cc}\u2028\u2029]/u.test(v) && !/^\s|\s$/u.test(v)) return v;
  if (!/["\\$]/.test(v)) return `"${v}"`;
  throw new DotenvValueError(dotenvReason(v));
}

/** Why `v` fits no form, in words that name characters, never the value. */
function dotenvReason(v: string): string {
  if (v.includes("\0")) return "it holds a NUL character, which no environment variable can hold";
  if (v.includes("\r")) return "it holds a carriage return, which dotenv reads as a line break";
  if (/\p{Cs}/u.test(v)) return "it is not valid Unicode (a lone surrogate)";
  if (NEVER.test(v)) return "it holds a byte order mark or a Unicode noncharacter, which systemd refuses";
  const has: string[] = [];
  if (v.includes("'")) has.push("'");
  if (v.includes('"')) has.push('"');
  if (v.includes("\\")) has.push("a backslash");
  if (v.includes("$")) has.push(PY_DOTENV_VARIABLE.test(v) ? "${…}" : "$");
  if (v.includes("#")) has.push("#");
  if (v.includes("\n")) has.push("a line break");
  if (/^['"`]/.test(v)) has.push("a leading quote");
  if (/^\s|\s$/u.test(v)) has.push("a leading or trailing space");
  return `it holds ${has.join(", ")} together: no quoting is read back the same by dotenv, docker compose (v1 and v2) and systemd`;
}

/** Stable sort of strings by code point. */
export function sorted<T extends string>(xs: Iterable<T>): T[] {
  return [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
