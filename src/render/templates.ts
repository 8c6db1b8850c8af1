/**
 * Handlebars templates shipped in templates/ (strict: a missing variable is an error; noEscape:
 * the output is Markdown, not HTML). Reading the packaged templates is the only I/O; it happens
 * once per process and the result is cached, so compiling stays deterministic.
 */
import { readFileSync } from "node:fs";
import Handlebars from "handlebars";

const TEMPLATE_DIR = new URL("../../templates/", import.meta.url);

const hb = Handlebars.create();
hb.registerHelper("join", (xs: unknown, sep: unknown) => (Array.isArray(xs) ? xs.join(typeof sep === "string" ? sep : ", ") : ""));
hb.registerHelper("eq", (a: unknown, b: unknown) => a === b);
hb.registerHelper("upper", (s: unknown) => String(s).toUpperCase());

const cache = new Map<string, Handlebars.TemplateDelegate>();

/** Render `templates/<name>` with `data`. @throws Error when the template is missing or uses an unknown variable. */
export function renderTemplate(name: string, data: object): string {
  let tpl = cache.get(name);
  if (!tpl) {
    const source = readFileSync(new URL(name, TEMPLATE_DIR), "utf8");
    tpl = hb.compile(source, { strict: true, noEscape: true });
    cache.set(name, tpl);
  }
  // Collapse runs of blank lines left by conditional blocks so the output reads cleanly.
  return tpl(data).replace(/\n{3,}/g, "\n\n").replace(/\s*$/, "\n");
}
