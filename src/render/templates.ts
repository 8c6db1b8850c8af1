/**
 * Handlebars templates shipped in templates/ (strict: a missing variable is an error). Reading the
 * packaged templates is the only I/O; it happens once per process and the result is cached, so
 * compiling stays deterministic.
 *
 * Escaping is the default, as in HTML templates, but for Markdown: every `{{expr}}` is rewritten
 * at compile time to `{{md expr}}` ({@link inlineMarkdown}), so text from the spec (descriptions,
 * names) stays inline text wherever a template puts it: in a table cell, a list item or a
 * paragraph. Only `{{{expr}}}` is written raw; templates use it for values clawfed serialized
 * itself (e.g. SKILL.md's front matter, {@link frontMatter}).
 */
import { readFileSync } from "node:fs";
import Handlebars from "handlebars";

const TEMPLATE_DIR = new URL("../../templates/", import.meta.url);
const MD_HELPER = "md";
const CODE_HELPER = "code";

/** Characters that end a line or hide text (controls, DEL, U+2028/2029, bidi overrides and isolates). */
const LINE_BREAKING = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069\s]+/gu;

/**
 * `text` as one line of inline Markdown (CommonMark + GFM tables) that renders as the same text
 * and cannot change the structure around it:
 * - line breaks, tabs, other control characters and direction overrides become one space, so it
 *   never starts a new line (no new heading, list item, table row or front-matter key);
 * - `\`, `|` and `` ` `` are backslash-escaped (no cell split in a table, no code span that could
 *   swallow the rest of the line), `<` and `>` become `&lt;` and `&gt;` (no HTML, no `<!--`
 *   comment that hides what follows, no `-->` that closes clawfed's own header comment);
 * - a block marker at its start (`#`, `- `, `+ `, `* `, `1. `, `1) `, a rule/fence such as `---`,
 *   `***`, `===`, `~~~`, or the `[` of a link reference definition) is escaped, so at a line
 *   start or right after a list marker (`- {{text}}`) it cannot open a heading, a list, a rule
 *   or a code block, nor vanish as a definition.
 */
export function inlineMarkdown(text: string): string {
  let s = text.replace(LINE_BREAKING, " ").trim();
  s = s.replace(/[\\|`]/g, "\\$&").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  // Block markers count only at the start and only in the forms CommonMark reads as one.
  if (/^(?:#|\[|[-+*](?: |$)|\d{1,9}[.)](?: |$))|^([-*_=~])(?: *\1){2}/.test(s)) s = s.replace(/^(\d*)(.)/, "$1\\$2");
  return s;
}

/** YAML 1.2 plain scalars that would not read back as the same string. */
const NOT_PLAIN = /^(?:true|false|yes|no|on|off|y|n|null|~)$/i;

/**
 * YAML front matter (`---` … `---`) of a Markdown file, one `key: value` line per field. Values are
 * written as JSON, which YAML reads as a double-quoted scalar or a flow mapping; simple lower-case
 * words stay plain. JSON leaves DEL, C1 controls and U+2028/2029 unescaped, so they are escaped as
 * well: whatever a value holds, it stays on its line, so no text can end the front matter or add a
 * key. OpenClaw parses skill front matter as YAML (docs tools/skills.md).
 * @throws Error when a key is not a plain lower-case identifier.
 */
export function frontMatter(fields: Record<string, unknown>): string {
  const lines = Object.entries(fields).map(([key, value]) => {
    if (!/^[a-z][a-z0-9_-]*$/.test(key)) throw new Error(`front-matter key ${JSON.stringify(key)} is not an identifier`);
    const plain = typeof value === "string" && /^[a-z][a-z0-9-]*$/.test(value) && !NOT_PLAIN.test(value);
    const json = plain ? (value as string) : JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    return `${key}: ${json}`;
  });
  return ["---", ...lines, "---"].join("\n");
}

const hb = Handlebars.create();
hb.registerHelper("join", (xs: unknown, sep: unknown) => (Array.isArray(xs) ? xs.join(typeof sep === "string" ? sep : ", ") : ""));
hb.registerHelper("eq", (a: unknown, b: unknown) => a === b);
hb.registerHelper("upper", (s: unknown) => String(s).toUpperCase());
/**
 * Handlebars' strict mode does not cover helper arguments, so the escaping helpers keep templates
 * strict: printing a value that is not in the data is a bug in clawfed, not an empty string.
 */
function defined(value: unknown, options: { loc?: hbs.AST.SourceLocation }): string {
  if (value === undefined || value === null) {
    throw new Error(`template value at line ${options.loc?.start.line ?? "?"}, column ${options.loc?.start.column ?? "?"} is not defined`);
  }
  return String(value);
}
hb.registerHelper(MD_HELPER, (value: unknown, options: Handlebars.HelperOptions & { loc?: hbs.AST.SourceLocation }) =>
  inlineMarkdown(defined(value, options)),
);

/** Text inside code (an inline code span or a fenced block): one line, no backtick. */
export function codeText(text: string): string {
  return text.replace(LINE_BREAKING, " ").trim().replace(/`/g, "'");
}
hb.registerHelper(CODE_HELPER, (value: unknown, options: Handlebars.HelperOptions & { loc?: hbs.AST.SourceLocation }) =>
  codeText(defined(value, options)),
);

type Node = hbs.AST.Node;
const pathTo = (name: string, loc: hbs.AST.SourceLocation): hbs.AST.PathExpression =>
  ({ type: "PathExpression", data: false, depth: 0, parts: [name], original: name, loc }) as hbs.AST.PathExpression;

/** Where the template text around a mustache is, as CommonMark sees it. */
interface TextState {
  atLineStart: boolean;
  inFence: boolean;
  /** Backticks seen on the current line outside fences (odd: inside an inline code span). */
  ticks: number;
}

function scanContent(text: string, st: TextState): void {
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    const lineStart = i > 0 || st.atLineStart;
    if (i > 0) st.ticks = 0;
    if (lineStart && /^ {0,3}(?:```|~~~)/.test(line)) {
      st.inFence = !st.inFence;
      return;
    }
    if (!st.inFence) st.ticks += (line.match(/`/g) ?? []).length;
  });
  st.atLineStart = text.endsWith("\n");
}

/**
 * Rewrite every escaped mustache `{{expr}}` of `program` (and of nested blocks, in source order) to
 * `{{md expr}}`, or `{{code expr}}` when it stands inside a fenced code block or an inline code span.
 */
function escapeMustaches(program: hbs.AST.Program | undefined, st: TextState): void {
  for (const node of program?.body ?? ([] as Node[])) {
    if (node.type === "ContentStatement") {
      scanContent((node as hbs.AST.ContentStatement).value, st);
    } else if (node.type === "MustacheStatement") {
      const m = node as hbs.AST.MustacheStatement;
      st.atLineStart = false;
      if (!m.escaped) continue;
      const isCall = m.params.length > 0 || (m.hash?.pairs.length ?? 0) > 0;
      const inner = isCall
        ? ({ type: "SubExpression", path: m.path, params: m.params, hash: m.hash, loc: m.loc } as unknown as hbs.AST.SubExpression)
        : m.path;
      m.path = pathTo(st.inFence || st.ticks % 2 === 1 ? CODE_HELPER : MD_HELPER, m.loc);
      m.params = [inner as hbs.AST.Expression];
      m.hash = undefined as unknown as hbs.AST.Hash;
    } else if (node.type === "BlockStatement") {
      const b = node as hbs.AST.BlockStatement;
      escapeMustaches(b.program, st);
      escapeMustaches(b.inverse, st);
    }
  }
}

/** Compile template source with Markdown escaping of every `{{expr}}` (see the module comment). */
export function compileTemplate(source: string): Handlebars.TemplateDelegate {
  const ast = hb.parse(source);
  escapeMustaches(ast, { atLineStart: true, inFence: false, ticks: 0 });
  // noEscape: Handlebars' own HTML escaping is replaced by the `md` helper above.
  return hb.compile(ast, { strict: true, noEscape: true });
}

const cache = new Map<string, Handlebars.TemplateDelegate>();

/** Render `templates/<name>` with `data`. @throws Error when the template is missing or uses an unknown variable. */
export function renderTemplate(name: string, data: object): string {
  let tpl = cache.get(name);
  if (!tpl) {
    tpl = compileTemplate(readFileSync(new URL(name, TEMPLATE_DIR), "utf8"));
    cache.set(name, tpl);
  }
  // Collapse runs of blank lines left by conditional blocks so the output reads cleanly. trimEnd
  // removes what /\s*$/ would (the same white space set) without the regex's retries at every
  // blank, which cost ~150 ms over the files of a 1000-gateway federation.
  return `${tpl(data).replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
}
