// The target registry: compile dispatches through it, and every registered target keeps the
// contract a new target must keep too (name, purity, relative paths, .env plan from the vocabulary).
import { describe, expect, it } from "vitest";
import { loadSpecFile } from "../../src/federation/load.js";
import { compile, isTarget, TARGET_NAMES, TARGETS, type TargetName } from "../../src/targets/registry.js";
import { isSecretSlot, planEnv } from "../../src/vocabulary/env-plan.js";
import { FIXED_HOST, FIXED_ROOT } from "../helpers/native.js";

const SPECS = ["federations/korax.yaml", "federations/lab.yaml"];
const OPTS = { root: FIXED_ROOT, openclaw: FIXED_HOST };

describe("target registry", () => {
  it("knows the built-in targets, each under its own name", () => {
    for (const t of ["compose", "native", "systemd", "launchd"]) {
      expect(isTarget(t), t).toBe(true);
      expect(TARGET_NAMES).toContain(t);
    }
    expect(TARGET_NAMES).toEqual(Object.keys(TARGETS));
  });

  it("lets only the ecs target leave secrets to its platform (every other target keeps them all in .env)", async () => {
    const { federation } = await loadSpecFile(SPECS[0]!, { target: "ecs" });
    for (const target of TARGET_NAMES) {
      const res = compile(federation, target, OPTS);
      if (target === "ecs") expect(res.platformSecrets?.length, target).toBe(planEnv(federation).filter(isSecretSlot).length);
      else expect(res.platformSecrets, target).toBeUndefined();
    }
  });

  it("accepts only its own keys as target names (no prototype names, no unknown names)", () => {
    for (const name of ["toString", "constructor", "__proto__", "hasOwnProperty", "", "Compose", "no-such-target"]) expect(isTarget(name), name).toBe(false);
  });

  it("refuses an unknown target with the list of known ones", async () => {
    const { federation } = await loadSpecFile(SPECS[0]!);
    expect(() => compile(federation, "no-such-target" as TargetName)).toThrow(new RegExp(`unknown target "no-such-target" \\(known: ${TARGET_NAMES.join(", ")}\\)`));
    expect(() => compile(federation, "toString" as TargetName)).toThrow(/unknown target/);
  });

  describe.each(SPECS)("every registered target compiles %s", (spec) => {
    it.each(TARGET_NAMES)("%s: names itself, is pure, writes only relative paths, keeps the federation's .env plan", async (target) => {
      const { federation } = await loadSpecFile(spec, { target });
      const first = compile(federation, target, OPTS);
      expect(first.target).toBe(target);
      // Pure: the same input gives the same output (no clock, randomness or host lookups).
      expect(compile(federation, target, OPTS)).toEqual(first);
      expect(first.artifacts.length).toBeGreaterThan(0);
      for (const a of first.artifacts) {
        if (a.kind === "dir" && a.absolute) continue; // an absolute comms path from the spec
        expect(a.path.startsWith("/"), a.path).toBe(false);
        expect(a.path.split("/"), a.path).not.toContain("..");
      }
      // Paths are unique: the writer must never get two artifacts for one path.
      const paths = first.artifacts.map((a) => a.path);
      expect(new Set(paths).size).toBe(paths.length);
      // The target's .env plan holds every slot of the federation's plan, unchanged (a target may
      // add slots of its own), and names each variable once. The one exception: a target that
      // declares platformSecrets (ecs: AWS Secrets Manager) leaves exactly those secrets to its
      // platform; they are in no .env, and each keeps the plan's kind and consumers.
      const names = first.env.map((s) => s.name);
      expect(new Set(names).size).toBe(names.length);
      const platform = new Map((first.platformSecrets ?? []).map((p) => [p.name, p]));
      expect(platform.size).toBe(first.platformSecrets?.length ?? 0);
      for (const slot of planEnv(federation)) {
        const p = platform.get(slot.name);
        if (!p) {
          expect(first.env.find((s) => s.name === slot.name), slot.name).toEqual(slot);
          continue;
        }
        expect(names, `${slot.name} is left to the platform and must not be in .env`).not.toContain(slot.name);
        expect(isSecretSlot(slot), `${slot.name}: only secrets can be left to the platform`).toBe(true);
        expect({ kind: p.kind, consumers: p.consumers }, slot.name).toEqual({ kind: slot.kind, consumers: [...slot.consumers].sort() });
        // Nobody else generates a token that is in no .env: the platform must.
        if (slot.kind === "token") expect(p.generated, slot.name).toBe(true);
        platform.delete(slot.name);
      }
      expect([...platform.keys()], "platform secrets that are not in the federation's plan").toEqual([]);
    });
  });
});
