/**
 * Loading a spec: YAML text → positions-aware document → zod shape → normalized model → rules.
 * Every problem of every stage that can run is collected and thrown together as one SpecError.
 */
import { open } from "node:fs/promises";
import path from "node:path";
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import type { ZodError } from "zod";
import { escapeControls, SpecError, type SpecIssue } from "../errors.js";
import { decodeSpec, lineCol, sizeProblem, SPEC_MAX_BYTES, textProblem, type TextProblem } from "./decode.js";
import { normalize, type Federation } from "./normalize.js";
import { checkRules, type RuleIssue } from "./rules.js";
import { Spec, type SpecParsed } from "./schema.js";
import { checkDocument, cheapNestingOffset, YAML_MAX_DEPTH } from "./yaml-checks.js";

export type KeyPath = ReadonlyArray<string | number>;

/** A loaded spec: the normalized model plus where it came from. */
export interface LoadedSpec {
  /** The spec path as given (used in messages and generated-file headers). */
  file: string;
  /** sha256 of the spec text, hex. */
  sha256: string;
  spec: SpecParsed;
  federation: Federation;
}

export interface LoadOptions {
  /** Also apply the rules of native targets (base ports ≥ 120 apart). */
  target?: string;
}

/**
 * Read at most `limit` + 1 bytes of `file` (so a huge or endless file is never read whole).
 * @returns the bytes, or the file's size when its stat already says it is larger than `limit`.
 */
async function readAtMost(file: string, limit: number): Promise<Uint8Array | { size: number }> {
  const fh = await open(file, "r");
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    if (st.size > limit) return { size: st.size };
    const buf = Buffer.alloc(limit + 1);
    let n = 0;
    while (n < buf.length) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    return buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}

/** A SpecError of one whole-text problem. */
function textError(file: string, p: TextProblem): SpecError {
  return new SpecError([{ file, line: p.line, col: p.col, path: "", message: p.message, hint: p.hint }]);
}

/**
 * Read and validate a spec file: at most SPEC_MAX_BYTES (checked before reading), UTF-8 (decode.ts),
 * then everything loadSpecText checks.
 * @throws SpecError with every problem found (missing file, size, encoding, YAML syntax, shape, cross-field rules).
 */
export async function loadSpecFile(file: string, opts: LoadOptions = {}): Promise<LoadedSpec> {
  let bytes: Uint8Array | { size: number };
  try {
    bytes = await readAtMost(file, SPEC_MAX_BYTES);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SpecError([
      {
        file,
        line: 0,
        col: 0,
        path: "",
        message: code === "ENOENT" ? "no such file" : `cannot read the file (${code ?? String(err)})`,
        hint: code === "ENOENT" ? "give the path of a federation spec, e.g. federations/korax.yaml" : undefined,
      },
    ]);
  }
  const display = displayPath(file);
  if (!(bytes instanceof Uint8Array)) throw textError(display, sizeProblem(bytes.size)!);
  const decoded = decodeSpec(bytes);
  if ("problem" in decoded) throw textError(display, decoded.problem);
  return loadSpecText(decoded.text, display, opts);
}

/**
 * Validate spec text; `file` is only used in messages (raw) and in generated files (through
 * escapeControls, so a file name with a newline cannot add lines to them).
 * Before the schema: the characters (decode.ts: size, YAML-printable only), YAML syntax, then the
 * document (yaml-checks.ts: keys compared as the strings they become, no merge keys, YAML 1.2,
 * bounded nesting and alias expansion); only then does the YAML become JavaScript.
 * @throws SpecError, located where a place exists; never anything else for any text.
 */
export async function loadSpecText(text: string, file: string, opts: LoadOptions = {}): Promise<LoadedSpec> {
  const bad = textProblem(text);
  if (bad) throw textError(file, bad);
  const { createHash } = await import("node:crypto");
  const sha256 = createHash("sha256").update(text).digest("hex");
  const lineCounter = new LineCounter();
  const at = (offset: number) => lineCounter.linePos(offset);
  const deep = cheapNestingOffset(text);
  if (deep >= 0) {
    throw textError(file, { ...lineCol(text, deep), message: `nests mappings and sequences more than ${YAML_MAX_DEPTH} levels deep`, hint: "a federation spec needs only a few levels; flatten it" });
  }
  let doc: Document;
  try {
    // uniqueKeys off: yaml compares key nodes, yaml-checks compares the strings keys become.
    // logLevel error: yaml never writes warnings to stderr itself.
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, logLevel: "error" });
  } catch (err) {
    throw textError(file, { line: 1, col: 1, message: `YAML cannot be read: ${firstLine(String((err as Error)?.message ?? err))}`, hint: "simplify the YAML" });
  }

  const syntax: SpecIssue[] = [...doc.errors, ...doc.warnings].map((e) => {
    const pos = e.linePos?.[0] ?? at(e.pos[0]);
    const deep = e.code === "RESOURCE_EXHAUSTION";
    return {
      file,
      line: pos.line,
      col: pos.col,
      path: "",
      message: deep ? "YAML nested too deeply to read" : `YAML syntax error: ${firstLine(e.message)}`,
      hint: deep ? "a federation spec needs only a few levels; flatten it" : "fix the YAML at this place",
    };
  });
  if (syntax.length > 0) throw new SpecError(syntax);

  const problems = checkDocument(doc, text, at);
  if (problems.length > 0) {
    throw new SpecError(problems.map((p) => ({ file, ...at(p.offset), path: p.path.join("."), message: p.message, hint: p.hint })));
  }

  let data: unknown;
  try {
    // Aliases are already bounded by checkDocument (ALIAS_EXPANSION_MAX), which, unlike yaml's
    // maxAliasCount, lets a large spec share one small anchor many times.
    data = doc.toJS({ maxAliasCount: -1 }) ?? {};
  } catch (err) {
    throw textError(file, { line: 1, col: 1, message: `YAML cannot be read: ${firstLine(String((err as Error)?.message ?? err))}`, hint: "simplify the YAML" });
  }
  const parsed = Spec.safeParse(data);
  if (!parsed.success) {
    const shapeIssues = zodIssues(parsed.error, doc, file, at);
    const more = salvageRules(data, parsed.error, opts).map((r) => toSpecIssue(r, doc, file, at));
    throw new SpecError(dedupe([...shapeIssues, ...more]));
  }

  const federation = normalize(parsed.data, escapeControls(file));
  const ruleIssues = checkRules(parsed.data, federation, { target: opts.target ?? "compose" });
  if (ruleIssues.length > 0) {
    throw new SpecError(ruleIssues.map((r) => toSpecIssue(r, doc, file, at)));
  }
  return { file, sha256, spec: parsed.data, federation };
}

/**
 * When the shape is wrong somewhere, still report the cross-field problems of the rest: drop the
 * gateways, knowledge bases and links that failed the shape check, and run the rules on what is
 * left, ignoring what the dropped parts would explain. Returns [] when nothing can be salvaged.
 */
function salvageRules(data: unknown, error: ZodError, opts: LoadOptions): RuleIssue[] {
  if (!data || typeof data !== "object") return [];
  const clone = structuredClone(data) as Record<string, unknown>;
  const dropped: Array<[string, string | number]> = [];
  for (const issue of error.issues) {
    const [top, key] = issue.path;
    if ((top === "gateways" || top === "knowledge" || top === "links") && (typeof key === "string" || typeof key === "number")) {
      dropped.push([top, key]);
    } else return [];
  }
  const gateways = clone.gateways as Record<string, unknown> | undefined;
  const knowledge = clone.knowledge as Record<string, unknown> | undefined;
  for (const [top, key] of dropped) {
    if (top === "gateways" && gateways) delete gateways[String(key)];
    if (top === "knowledge" && knowledge) delete knowledge[String(key)];
  }
  const droppedLinks = new Set(dropped.filter(([t]) => t === "links").map(([, k]) => Number(k)));
  const links = Array.isArray(clone.links) ? clone.links : undefined;
  // Rule messages must name the link's index in the user's file, not in the filtered list.
  const keptIndex: number[] = [];
  if (links) {
    clone.links = links.filter((_, i) => {
      if (droppedLinks.has(i)) return false;
      keptIndex.push(i);
      return true;
    });
  }
  const reparsed = Spec.safeParse(clone);
  if (!reparsed.success) return [];
  const fed = normalize(reparsed.data, "");
  const droppedNames = new Set(dropped.filter(([t]) => t !== "links").map(([, k]) => String(k)));
  const droppedGateway = dropped.some(([t]) => t === "gateways");
  return checkRules(reparsed.data, fed, { target: opts.target ?? "compose" })
    .map((r) => (r.path[0] === "links" && typeof r.path[1] === "number" ? { ...r, path: ["links", keptIndex[r.path[1]] ?? r.path[1], ...r.path.slice(2)] } : r))
    .filter((r) => ![...droppedNames].some((n) => r.message.includes(`"${n}"`)))
    .filter((r) => !(droppedGateway && (r.message.includes("hub") || r.path[0] === "gateways" && r.path.length === 1)));
}

function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
}

function firstLine(s: string): string {
  return s.split("\n")[0]!.trim();
}

type At = (offset: number) => { line: number; col: number };

function toSpecIssue(r: RuleIssue, doc: Document, file: string, at: At): SpecIssue {
  const offset = locate(doc, r.path, r.atKey ?? false);
  const pos = offset === undefined ? { line: 1, col: 1 } : at(offset);
  return { file, line: pos.line, col: pos.col, path: r.path.join("."), message: r.message, hint: r.hint };
}

function zodIssues(error: ZodError, doc: Document, file: string, at: At): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const issue of error.issues) {
    const p = issue.path.map((s) => (typeof s === "symbol" ? String(s) : s));
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        out.push(
          toSpecIssue(
            { path: [...p, key], message: `unknown key "${key}"`, hint: "check the spelling; `clawfed schema` lists every key", atKey: true },
            doc,
            file,
            at,
          ),
        );
      }
      continue;
    }
    const missing = issue.code === "invalid_type" && /received undefined/.test(issue.message);
    const hint =
      (issue as { params?: { hint?: string } }).params?.hint ??
      (missing ? "add it; `clawfed schema` describes every key" : undefined);
    out.push(
      toSpecIssue(
        { path: p, message: missing ? "is required" : issue.message.replace(/^Invalid input: /, ""), hint, atKey: missing },
        doc,
        file,
        at,
      ),
    );
  }
  return dedupe(out);
}

function dedupe(issues: SpecIssue[]): SpecIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.line}:${i.col}:${i.path}:${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Offset in the source of the node at `keyPath` (or of its key when `atKey`). Walks as far as the
 * path exists, so a missing key points at the mapping that should hold it.
 */
export function locate(doc: Document, keyPath: KeyPath, atKey: boolean): number | undefined {
  let node: Node | null | undefined = doc.contents as Node | null;
  let best: number | undefined = node?.range?.[0];
  for (let i = 0; i < keyPath.length; i++) {
    const seg = keyPath[i];
    const last = i === keyPath.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg));
      if (!pair) return best;
      const keyNode = pair.key as Node;
      if (last && atKey) return keyNode.range?.[0] ?? best;
      node = pair.value as Node | null;
      best = node?.range?.[0] ?? keyNode.range?.[0] ?? best;
    } else if (isSeq(node) && typeof seg === "number") {
      node = node.items[seg] as Node | undefined;
      if (!node) return best;
      best = node.range?.[0] ?? best;
    } else {
      return best;
    }
  }
  return best;
}
