// The build side reads in one direction: federation/vocabulary/render at the bottom, compile on
// them, targets on compile (docs: README "Layout", architecture: cli → ops → {runtime, emit,
// targets} → compile → {federation, vocabulary, render}). Checked on the import statements of the
// source files (type-only imports included: they still couple the folders), plus no import cycle.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.resolve("src");
/** Folders of src/ each build-side folder may import from (besides itself and node/npm modules). */
const ALLOWED: Record<string, string[]> = {
  render: [],
  federation: ["errors.ts", "vocabulary"],
  vocabulary: ["errors.ts", "federation", "render"],
  compile: ["errors.ts", "federation", "vocabulary", "render"],
  targets: ["errors.ts", "federation", "vocabulary", "render", "compile"],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Relative imports of a file (static, re-exports and dynamic), resolved to .ts paths under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+"(\.[^"]+)"|import\(\s*"(\.[^"]+)"\s*\)/g)].map((m) => (m[1] ?? m[2])!);
  return specs.map((s) => path.resolve(path.dirname(file), s).replace(/\.js$/, ".ts"));
}

/** `src/compile/x.ts` → `compile`; `src/errors.ts` → `errors.ts`. */
const top = (file: string) => path.relative(SRC, file).split(path.sep)[0]!;

describe("build-side layers", () => {
  for (const [folder, allowed] of Object.entries(ALLOWED)) {
    it(`src/${folder}/ imports only from ${allowed.length ? allowed.join(", ") : "itself"}`, () => {
      const bad: string[] = [];
      for (const file of sourceFiles(path.join(SRC, folder))) {
        for (const dep of importsOf(file)) {
          const t = top(dep);
          if (t !== folder && !allowed.includes(t)) bad.push(`${path.relative(SRC, file)} → ${path.relative(SRC, dep)}`);
        }
      }
      expect(bad).toEqual([]);
    });
  }

  it("has no import cycle between build-side files", () => {
    const files = Object.keys(ALLOWED).flatMap((f) => sourceFiles(path.join(SRC, f)));
    const graph = new Map(files.map((f) => [f, importsOf(f).filter((d) => files.includes(d))]));
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (f: string, trail: string[]) => {
      if (state.get(f) === "done") return;
      if (state.get(f) === "open") {
        cycles.push([...trail.slice(trail.indexOf(f)), f].map((x) => path.relative(SRC, x)).join(" → "));
        return;
      }
      state.set(f, "open");
      for (const d of graph.get(f) ?? []) visit(d, [...trail, f]);
      state.set(f, "done");
    };
    for (const f of files) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it("the checker sees imports (it would catch compile importing targets)", () => {
    const deps = importsOf(path.join(SRC, "targets/registry.ts")).map((d) => path.relative(SRC, d));
    expect(deps).toEqual(expect.arrayContaining(["targets/compose/index.ts", "compile/artifact.ts", "federation/normalize.ts"]));
  });
});
