/**
 * Pure edits of a spec's YAML text for `clawfed add` and `clawfed remove`, through yaml's Document
 * API (https://eemeli.org/yaml/#documents): every comment, key order and blank line the user
 * wrote outside the edited nodes survives. No fs, no env: the caller validates the result with
 * the normal loader (loadSpecText) before writing anything.
 */
import { isMap, isNode, isScalar, isSeq, parseDocument, visit, type Node, type Document, type YAMLMap, type YAMLSeq } from "yaml";
import { SpecError } from "../errors.js";
import type { TransportName } from "./schema.js";

/** A new gateway, as `clawfed add` writes it into `gateways.<id>` and `links`. */
export interface NewGateway {
  id: string;
  role: "hub" | "spoke";
  /** Host port (the spec's `gateways.<id>.port`). */
  port: number;
  description: string;
  /** `provider/model`; undefined copies the model of the first linked gateway as written. */
  model?: string;
  /** Gateways linked to the new one (each link: `from: <gw>, to: <id>`). */
  links: string[];
  /** Transports of each new link; default the schema's default ([a2a]). */
  transports?: TransportName[];
  /** `.env` variable names the gateway needs; empty or undefined writes no `secrets` key. */
  secrets?: string[];
}

/** Options of `toString` that keep the user's layout (no padding added inside `[a, b]`, no re-wrapping). */
const TO_STRING = { flowCollectionPadding: false, lineWidth: 0 } as const;

function fail(file: string, path: string, message: string, hint?: string): never {
  throw new SpecError([{ file, line: 0, col: 0, path, message, hint }]);
}

function parse(text: string, file: string): Document {
  const doc = parseDocument(text);
  if (doc.errors.length) fail(file, "", `is not valid YAML: ${doc.errors[0]!.message.split("\n")[0]}`, "fix the spec first (clawfed validate)");
  return doc;
}

function gatewaysMap(doc: Document, file: string): YAMLMap {
  const g = doc.get("gateways", true);
  if (!isMap(g)) fail(file, "gateways", "has no gateways mapping", "a spec lists its gateways under gateways:");
  return g;
}

/** The existing (block or flow) `links` sequence, created at the end of the document when missing. */
function linksSeq(doc: Document, file: string): YAMLSeq {
  const l = doc.get("links", true);
  if (l === undefined || (isScalar(l) && l.value === null)) {
    const seq = doc.createNode([]) as YAMLSeq;
    doc.set("links", seq);
    return seq;
  }
  if (!isSeq(l)) fail(file, "links", "is not a list", "links: is a list of {from, to, transports}");
  // `links: []` becomes a block list: one `- from: …` item per line reads better than one long line.
  if (l.items.length === 0) l.flow = false;
  return l;
}

/** A copied node without the comments of its original (they stay where the user wrote them). */
function stripComments<T extends Node>(node: T): T {
  const clear = (n: { comment?: string | null; commentBefore?: string | null }) => {
    n.comment = null;
    n.commentBefore = null;
  };
  clear(node);
  visit(node, { Node: (_k, n) => void clear(n) });
  return node;
}

/** A line's indentation and its text without spaces: `{ a: 1 }  # c` and `{a: 1} # c` have one form. */
const unpadded = (line: string) => /^\s*/.exec(line)![0] + line.replace(/\s+/g, "");

/**
 * `edited` (yaml's toString of the edited Document) with the user's own layout of flow
 * collections and comments back: yaml writes every flow collection one way (`{a: 1}` or `{ a: 1 }`
 * for all) and one space before a comment, so each line that differs from an original line only in spacing is replaced by the original
 * line, and new `- { … }` items follow the file's style. Kept only when it reads as the same data.
 */
function restoreLayout(original: string, edited: string): string {
  const byForm = new Map<string, string>();
  for (const l of original.split("\n")) if (!byForm.has(unpadded(l))) byForm.set(unpadded(l), l);
  const padMaps = (original.match(/\{ \S/g)?.length ?? 0) > (original.match(/\{[^\s}]/g)?.length ?? 0);
  const restored = edited
    .split("\n")
    .map((l) => byForm.get(unpadded(l)) ?? (padMaps && /^\s*- \{/.test(l) ? l.replace(/\{(?=\S)/g, "{ ").replace(/(?<=\S)\}/g, " }") : l))
    .join("\n");
  if (restored === edited) return edited;
  const a = parseDocument(restored);
  return !a.errors.length && JSON.stringify(a.toJS()) === JSON.stringify(parseDocument(edited).toJS()) ? restored : edited;
}

/**
 * The spec text with gateway `g` added under `gateways` (after the last one) and one link from
 * each of `g.links` to it appended to `links`.
 * @throws SpecError when the id exists, a linked gateway does not, or the text is not YAML with a
 *   gateways mapping (the result is still checked by the loader: this only edits)
 */
export function addGatewayText(text: string, g: NewGateway, file = "the spec"): string {
  const doc = parse(text, file);
  const gateways = gatewaysMap(doc, file);
  if (gateways.has(g.id)) fail(file, `gateways.${g.id}`, `"${g.id}" is already a gateway of this federation`, "choose another id, or remove it first: clawfed remove");
  const missing = g.links.filter((l) => !gateways.has(l));
  if (missing.length) fail(file, "links", `--link names ${missing.map((m) => `"${m}"`).join(", ")}, not a gateway of this federation`, `use one of: ${gateways.items.map((p) => String((p.key as { value?: unknown }).value ?? p.key)).join(", ")}`);
  if (g.links.length === 0) fail(file, "links", "a new gateway needs at least one --link (a gateway without links is reachable from nowhere)");

  const entry: Record<string, unknown> = { role: g.role, port: g.port, description: g.description };
  const first = gateways.get(g.links[0]!, true);
  // The copied model keeps its layout (a flow list stays a flow list); comments stay with the original.
  const copied = isMap(first) ? first.get("model", true) : undefined;
  const modelNode = g.model !== undefined ? doc.createNode(g.model) : isNode(copied) ? stripComments(copied.clone() as Node) : undefined;
  const node = doc.createNode(entry) as YAMLMap;
  if (modelNode !== undefined) node.set("model", modelNode);
  if (g.secrets?.length) node.set("secrets", doc.createNode(g.secrets, { flow: true }));
  const pair = doc.createPair(g.id, node);
  // A blank line before the new gateway when the previous ones are separated by one.
  if (gateways.items.slice(1).some((p) => isScalar(p.key) && p.key.spaceBefore) && isScalar(pair.key)) pair.key.spaceBefore = true;
  gateways.items.push(pair);

  const links = linksSeq(doc, file);
  for (const from of g.links) {
    const link: Record<string, unknown> = { from, to: g.id };
    if (g.transports?.length) link.transports = g.transports;
    const ln = doc.createNode(link) as YAMLMap;
    const t = ln.get("transports", true);
    if (isSeq(t)) t.flow = true;
    links.items.push(links.flow || links.items.some((i) => isMap(i) && i.flow) ? doc.createNode(link, { flow: true }) : ln);
  }
  return restoreLayout(text, doc.toString(TO_STRING));
}

/**
 * The spec text without gateway `id`: its `gateways.<id>` entry, every link from or to it, and its
 * id in `kubernetes.unsandboxed`. Comments inside the removed entries go with them; all others stay.
 * @throws SpecError when there is no such gateway
 */
export function removeGatewayText(text: string, id: string, file = "the spec"): string {
  const doc = parse(text, file);
  const gateways = gatewaysMap(doc, file);
  if (!gateways.has(id)) fail(file, `gateways.${id}`, `"${id}" is not a gateway of this federation`);
  const idx = gateways.items.findIndex((p) => isScalar(p.key) && p.key.value === id);
  const removed = gateways.items[idx]!;
  // A comment written above the removed entry belongs to it; one above the next entry stays.
  gateways.items.splice(idx, 1);
  const next = gateways.items[idx];
  if (next && isScalar(next.key) && isScalar(removed.key) && removed.key.spaceBefore && idx > 0) next.key.spaceBefore = true;
  const links = doc.get("links", true);
  if (isSeq(links)) {
    links.items = links.items.filter((l) => !(isMap(l) && (l.get("from") === id || l.get("to") === id)));
  }
  const uns = doc.getIn(["kubernetes", "unsandboxed"], true);
  if (isSeq(uns)) uns.items = uns.items.filter((i) => !(isScalar(i) && i.value === id));
  return restoreLayout(text, doc.toString(TO_STRING));
}

/** Ids of the gateways linked to `id` in the text's `links` (either direction), in link order. */
export function linkedGatewaysText(text: string, id: string): string[] {
  const doc = parseDocument(text);
  const links = doc.get("links", true);
  const out: string[] = [];
  if (!isSeq(links)) return out;
  for (const l of links.items) {
    if (!isMap(l)) continue;
    const from = l.get("from"), to = l.get("to");
    const other = from === id ? to : to === id ? from : undefined;
    if (typeof other === "string" && !out.includes(other)) out.push(other);
  }
  return out;
}

/**
 * The next host port "like the others": the smallest gap between the spec's ports (120 when
 * fewer than two, the gap native targets need, facts §10) added to the highest, stepping on while
 * `taken` says the port is used. Ports stay ≤ 65535.
 * @returns undefined when no port fits
 */
export function nextPort(ports: readonly number[], taken: (port: number) => boolean = () => false): number | undefined {
  const sorted = [...new Set(ports)].sort((a, b) => a - b);
  const gaps = sorted.slice(1).map((p, i) => p - sorted[i]!).filter((d) => d > 0);
  const step = gaps.length ? Math.min(...gaps) : 120;
  let p = (sorted[sorted.length - 1] ?? 18789 - step) + step;
  while (p <= 65535 && (sorted.includes(p) || taken(p))) p += step;
  return p <= 65535 ? p : undefined;
}
