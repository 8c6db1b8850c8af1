// scripts/fix-moved-imports.mjs: imports of moved modules are rewritten, everything else is left alone.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without type declarations
import { MOVES, rewrite } from "../../scripts/fix-moved-imports.mjs";

describe("fix-moved-imports", () => {
  it("rewrites old paths relative to the importing file, splits LABELS out, and is idempotent", () => {
    const src = [
      'import { LABELS, serviceName } from "../compile/names.js";',
      'import { planEnv } from "../../compile/env.js";',
      'import { compile } from "./compile/index.js";',
      'export { gatewayPaths } from "../targets/native/layout.js";',
      'const m = await import("../../targets/systemd/index.js");',
      'import { toYaml } from "../render/serialize.js";',
    ].join("\n");
    const fromRuntime = rewrite("src/runtime/x.ts", src);
    expect(fromRuntime).toContain('import { serviceName } from "../vocabulary/names.js";\nimport { LABELS } from "../vocabulary/labels.js";');
    expect(fromRuntime).toContain('import { planEnv } from "../../compile/env.js";'); // resolves outside src/: not a moved module
    expect(fromRuntime).toContain('export { gatewayPaths } from "../vocabulary/host-layout.js";');
    expect(fromRuntime).toContain('import { toYaml } from "../render/serialize.js";');
    expect(rewrite("src/targets/k8s/index.ts", 'import { planEnv } from "../../compile/env.js";\nconst m = await import("../../targets/systemd/index.js");')).toBe(
      'import { planEnv } from "../../vocabulary/env-plan.js";\nconst m = await import("../host/systemd.js");',
    );
    expect(rewrite("src/generate.ts", 'import { compile } from "./compile/index.js";')).toBe('import { compile } from "./targets/registry.js";');
    expect(rewrite("src/runtime/x.ts", fromRuntime)).toBe(fromRuntime);
  });

  it("maps every old module to a module that exists", () => {
    for (const [from, to] of Object.entries(MOVES as Record<string, string>)) {
      expect(existsSync(`${from}.ts`), from).toBe(false);
      expect(existsSync(`${to}.ts`), to).toBe(true);
    }
  });
});
