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

/** YAML (no line folding, no anchors) with an optional `#` header line. */
export function toYaml(value: unknown, header?: string): string {
  const body = stringify(value, { lineWidth: 0, aliasDuplicateObjects: false, indentSeq: true });
  return header ? `# ${header}\n${body}` : body;
}

/** Quote a dotenv value only when it needs it (dotenv parses unquoted values up to a `#`). */
export function dotenvValue(v: string): string {
  if (/^[A-Za-z0-9_./:@+,=-]*$/.test(v)) return v;
  if (!v.includes("'") && !v.includes("\n")) return `'${v}'`;
  return JSON.stringify(v);
}

/** Stable sort of strings by code point. */
export function sorted<T extends string>(xs: Iterable<T>): T[] {
  return [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
