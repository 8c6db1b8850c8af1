/**
 * Checks of a parsed YAML document before it becomes JavaScript (yaml's `toJS`), so that what the
 * rest of clawfed sees is exactly what the user sees in the file:
 *
 * - **Keys are compared as the strings they become.** A JS object key is a string: yaml turns
 *   `true`, `1`, `0x1`, `1.0` into "true" and "1", and `null`, `~` and an empty key into "" (yaml
 *   addPairToJSMap.stringifyKey), so `true:` and `"true":` are the same key and the later one would
 *   silently replace the earlier (a whole gateway lost). Two keys of one mapping with the same
 *   string are refused, naming both places. Keys must be scalars: an alias, a mapping or a
 *   sequence, or a tagged value (`!!binary`, `!!timestamp`) as a key is refused.
 * - **No merge keys** (`<<`): merging lets a key be given twice, once hidden in an anchor.
 * - **YAML 1.2 only**: a `%YAML 1.1` directive turns yes/no/on/off/y/n into booleans and `<<` into
 *   merges; refused.
 * - **Bounded nesting and aliases** (YAML_MAX_DEPTH, ALIAS_EXPANSION_MAX): an alias bomb
 *   ("billion laughs": anchors of aliases of anchors…) would expand to billions of nodes, and a
 *   recursive alias (`&a [*a]`) to an endless structure; the expanded size is computed on the
 *   document (linear in its size) and refused at the alias where it crosses the limit. An alias
 *   that names no earlier anchor is refused too.
 */
import { CST, isAlias, isCollection, isMap, isPair, isScalar, isSeq, Lexer, type Alias, type Document, type Node, type YAMLMap, type YAMLSeq } from "yaml";

/** Deepest nesting of mappings and sequences accepted (a spec needs about 6). */
export const YAML_MAX_DEPTH = 64;
/**
 * Most nodes all aliases of a spec may add when expanded (a 2000-gateway spec that shares one model
 * map by alias adds about 8000).
 */
export const ALIAS_EXPANSION_MAX = 100_000;

/** Lexer tokens that mark a state and are not source text (yaml CST: DOCUMENT, FLOW_END, SCALAR). */
const MARKERS = new Set([CST.DOCUMENT, CST.FLOW_END, CST.SCALAR]);
const OPENS_BLOCK = new Set(["seq-item-ind", "explicit-key-ind", "map-value-ind"]);

/**
 * Offset where the text nests collections cheaply and deeply, or -1: more than 2 × YAML_MAX_DEPTH
 * open flow collections (`[`, `{`) plus block indicators (`- `, `? `, `: `) on one line. Runs on
 * yaml's lexer (which knows quotes and block scalars) before the parser: the parser and composer
 * use memory and stack per level, and a 2 MiB file of `[` or `- ` would nest a million levels
 * deep (seen: 5-8 s, then a fatal out-of-memory abort). Nesting through indentation needs n²/2
 * bytes for n levels, so the size cap bounds it; the composed document is checked exactly later.
 */
export function cheapNestingOffset(text: string): number {
  const limit = 2 * YAML_MAX_DEPTH;
  let offset = 0;
  let flow = 0;
  let onLine = 0;
  for (const tok of new Lexer().lex(text)) {
    if (MARKERS.has(tok)) continue;
    const type = CST.tokenType(tok);
    if (type === "flow-seq-start" || type === "flow-map-start") flow++;
    else if (type === "flow-seq-end" || type === "flow-map-end") flow = Math.max(0, flow - 1);
    else if (type === "newline") onLine = 0;
    else if (type && OPENS_BLOCK.has(type)) onLine++;
    if (flow + onLine > limit) return offset;
    offset += tok.length;
  }
  return -1;
}

/** A document problem at a source offset, with the key path it concerns. */
export interface YamlProblem {
  offset: number;
  path: Array<string | number>;
  message: string;
  hint: string;
}

/** The string a scalar key becomes in a JS object (yaml's stringifyKey), or undefined when it is not a plain value. */
function keyString(value: unknown): string | undefined {
  if (value === null || value === undefined) return "";
  if (typeof value === "object" || typeof value === "function" || typeof value === "symbol") return undefined;
  return String(value);
}

/** `text` between the offsets, on one line, shortened: how a key was written. */
function written(text: string, node: Node): string {
  const [a, b] = node.range ?? [0, 0];
  const s = text.slice(a, b).replace(/\s+/g, " ");
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** One walk over a document: anchors seen so far, expanded sizes, and the problems found. */
class DocumentWalk {
  readonly problems: YamlProblem[] = [];
  private readonly anchors = new Map<string, Node>();
  private readonly sizes = new WeakMap<Node, number>();
  /** Anchored nodes being walked (an alias to one of them is recursive). */
  private readonly open = new Set<Node>();
  private expansion = 0;
  private bombReported = false;
  private deepReported = false;

  constructor(
    private readonly text: string,
    private readonly at: (offset: number) => { line: number; col: number },
  ) {}

  /** Walk `node`; returns its expanded size in nodes (aliases count as what they expand to). */
  walk(node: unknown, depth: number, path: Array<string | number>): number {
    if (!node || typeof node !== "object") return 1;
    const n = node as Node;
    if (isAlias(n)) return this.alias(n, path);
    if (n.anchor) {
      this.anchors.set(n.anchor, n);
      this.open.add(n);
    }
    let size = 1;
    if (isCollection(n)) {
      if (depth >= YAML_MAX_DEPTH) {
        if (!this.deepReported) {
          this.problems.push({ offset: n.range?.[0] ?? 0, path: path.slice(0, 2), message: `nests mappings and sequences more than ${YAML_MAX_DEPTH} levels deep`, hint: "a federation spec needs only a few levels; flatten it" });
        }
        this.deepReported = true;
        this.open.delete(n);
        return 1;
      }
      size += this.items(n, depth, path);
    }
    this.open.delete(n);
    this.sizes.set(n, size);
    return size;
  }

  /** An alias: it must name an earlier anchor, not its own, and keep the total expansion bounded. */
  private alias(n: Alias, path: Array<string | number>): number {
    const offset = n.range?.[0] ?? 0;
    const source = this.anchors.get(n.source);
    if (!source) {
      this.problems.push({ offset, path, message: `the alias *${n.source} names no anchor &${n.source} before it`, hint: "define the anchor first, or write the value out" });
      return 1;
    }
    if (this.open.has(source)) {
      this.problems.push({ offset, path, message: `the alias *${n.source} is inside its own anchor: the value would never end`, hint: "write the value out" });
      return 1;
    }
    const size = this.sizes.get(source) ?? 1;
    this.expansion += size;
    if (this.expansion > ALIAS_EXPANSION_MAX && !this.bombReported) {
      this.bombReported = true;
      this.problems.push({
        offset,
        path,
        message: `YAML aliases expand to more than ${ALIAS_EXPANSION_MAX} nodes here (an alias bomb?)`,
        hint: "use fewer, smaller aliases, or write the values out",
      });
    }
    return size;
  }

  /** The items of a mapping or sequence; mapping keys are checked and compared as strings. */
  private items(n: YAMLMap | YAMLSeq, depth: number, path: Array<string | number>): number {
    const { text, problems } = this;
    const seen = isMap(n) ? new Map<string, Node>() : undefined;
    let size = 0;
    n.items.forEach((item: unknown, i: number) => {
      if (!isPair(item)) {
        size += this.walk(item, depth + 1, [...path, i]);
        return;
      }
      const key = item.key as Node | null;
      let name: string | number = i;
      if (seen) {
        const k = checkKey(key, text, problems, path);
        if (k !== undefined) {
          name = k;
          const first = seen.get(k);
          if (first && key) {
            const p = this.at(first.range?.[0] ?? 0);
            problems.push({
              offset: key.range?.[0] ?? n.range?.[0] ?? 0,
              path: [...path, k],
              message: `duplicate key ${JSON.stringify(k)}: line ${p.line}:${p.col} already gives this mapping the key ${JSON.stringify(k)} (written ${written(text, first)} there, ${written(text, key)} here)`,
              hint: 'each key may appear once per mapping; YAML keys become strings, so true and "true", 1 and "1", null, ~ and "" are the same key',
            });
          } else if (key) seen.set(k, key);
        }
      }
      size += this.walk(key, depth + 1, path) + this.walk(item.value, depth + 1, [...path, name]);
    });
    return size;
  }
}

/** Every problem of `doc` (see the module comment); [] when toJS may run. */
export function checkDocument(doc: Document, text: string, at: (offset: number) => { line: number; col: number }): YamlProblem[] {
  if (doc.directives?.yaml.explicit && doc.directives.yaml.version !== "1.2") {
    return [
      {
        offset: 0,
        path: [],
        message: `declares %YAML ${doc.directives.yaml.version}; clawfed reads YAML 1.2 (in 1.1, yes/no/on/off are booleans and << merges keys)`,
        hint: "remove the %YAML line",
      },
    ];
  }
  const walk = new DocumentWalk(text, at);
  walk.walk(doc.contents, 0, []);
  return walk.problems;
}

/** The JS key string of a mapping key, or undefined (with a problem pushed) when it cannot be one. */
function checkKey(key: Node | null, text: string, problems: YamlProblem[], path: Array<string | number>): string | undefined {
  if (key === null || key === undefined) return "";
  const offset = key.range?.[0] ?? 0;
  if (isAlias(key)) {
    problems.push({ offset, path, message: `an alias (*${key.source}) is used as a key`, hint: "write the key out" });
    return undefined;
  }
  if (!isScalar(key)) {
    problems.push({ offset, path, message: `a ${isSeq(key) ? "sequence" : "mapping"} is used as a key`, hint: "keys are names: write a plain string" });
    return undefined;
  }
  const k = keyString(key.value);
  if (k === undefined) {
    problems.push({ offset, path, message: `the key ${written(text, key)} is not a plain value (it has a tag such as !!binary or !!timestamp)`, hint: "write the key as a plain string" });
    return undefined;
  }
  if (k === "<<") {
    problems.push({ offset, path: [...path, k], message: "merge keys (<<) are not supported: a merged key could hide another of the same name", hint: "write the keys out" });
    return undefined;
  }
  return k;
}
