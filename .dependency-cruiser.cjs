// The layer rule of src/ (README "Architecture", ../shared/architecture.md), checked in CI by
// `npm run check:deps` (part of `npm test`):
//
//   cli → ops → {runtime, emit, targets} → compile → {federation, vocabulary, render}
//
// An import may skip layers downwards, never go up or sideways between runtime, emit and targets,
// and no module may take part in a cycle. errors.ts is shared by every layer.
const LAYERS = {
  // federation's rules may use vocabulary's name functions (collision checks); no-circular keeps
  // the two apart at the file level.
  federation: ["render", "compile", "targets", "emit", "runtime", "ops", "audit", "cli"],
  vocabulary: ["compile", "targets", "emit", "runtime", "ops", "audit", "cli"],
  render: ["vocabulary", "compile", "targets", "emit", "runtime", "ops", "audit", "cli"],
  compile: ["targets", "emit", "runtime", "ops", "audit", "cli"],
  targets: ["emit", "runtime", "ops", "audit", "cli"],
  emit: ["targets", "runtime", "ops", "audit", "cli"],
  runtime: ["emit", "targets", "ops", "audit", "cli"],
  ops: ["cli"],
  audit: ["cli"],
};

const folder = (name) => `^src/${name}/`;

module.exports = {
  forbidden: [
    ...Object.entries(LAYERS).map(([layer, above]) => ({
      name: `${layer}-imports-upwards`,
      comment: `src/${layer}/ may not import from ${above.map((a) => `src/${a}/`).join(", ")} (README "Architecture": imports run one way)`,
      severity: "error",
      from: { path: folder(layer) },
      to: { path: `^src/(${above.join("|")})/` },
    })),
    {
      name: "no-import-of-entry-points",
      comment: "src/index.ts (public API) and src/cli/ are entry points: nothing inside src imports them",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/cli/" },
      to: { path: "^src/(index\\.ts|cli/)" },
    },
    {
      name: "no-test-code-in-src",
      comment: "test helpers (fakes, manual clocks) stay out of the shipped code",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^test/" },
    },
    {
      name: "no-circular",
      comment: "a cycle makes the layers meaningless: break it by moving the shared part down",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "^(dist|node_modules|tools)/" },
  },
};
