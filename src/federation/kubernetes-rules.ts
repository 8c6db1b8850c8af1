/**
 * Rules of the spec's `kubernetes:` block (registered in rules.ts as "kubernetes"), on the
 * kubernetes target only (the other targets ignore the block, so a stale name there must not
 * stop them):
 * - `unsandboxed` names gateways and `knowledgeClaims` names knowledge bases that exist (a typo
 *   would otherwise be ignored silently);
 * - sandbox mode `all` is refused unless the gateway is listed in `kubernetes.unsandboxed`: every session would run in a
 *   Docker sandbox container, and no pod gets a Docker socket (a hostPath socket is forbidden by
 *   the restricted Pod Security Standard and would hand the node's Docker engine to the gateway).
 *   OpenClaw never falls back to running a sandboxed session on the host (docs
 *   gateway/sandboxing/modes-scope-and-backend.md), so the gateway could answer nothing.
 */
import type { Federation } from "./normalize.js";
import type { SpecParsed } from "./schema.js";

export const KUBERNETES_TARGET = "kubernetes";

/** rules.ts's RuleIssue, restated so this file does not import rules.ts (which imports it). */
interface RuleIssue {
  path: ReadonlyArray<string | number>;
  message: string;
  hint?: string;
  atKey?: boolean;
}

export function kubernetesRules(spec: SpecParsed, _fed: Federation, ctx: { target: string }): RuleIssue[] {
  const out: RuleIssue[] = [];
  if (ctx.target !== KUBERNETES_TARGET) return out;
  const k8s = spec.kubernetes;
  const ids = Object.keys(spec.gateways);
  if (k8s) {
    k8s.unsandboxed.forEach((id, i) => {
      if (!Object.hasOwn(spec.gateways, id)) {
        out.push({ path: ["kubernetes", "unsandboxed", i], message: `"${id}" is not a gateway of this federation`, hint: `use one of: ${ids.join(", ")}` });
      }
    });
    for (const name of Object.keys(k8s.knowledgeClaims)) {
      if (!Object.hasOwn(spec.knowledge, name)) {
        out.push({ path: ["kubernetes", "knowledgeClaims", name], message: `"${name}" is not a knowledge base of this federation`, hint: `use one of: ${Object.keys(spec.knowledge).join(", ") || "(none declared)"}`, atKey: true });
      }
    }
  }
  const unsandboxed = new Set(k8s?.unsandboxed ?? []);
  for (const [id, g] of Object.entries(spec.gateways)) {
    if (g.sandbox.mode === "all" && !unsandboxed.has(id)) {
      out.push({
        path: ["gateways", id, "sandbox", "mode"],
        message:
          `sandbox mode "all" runs every session of ${id} (A2A and hook tasks included) in a Docker sandbox container, but a Kubernetes pod gets no Docker socket ` +
          `(the restricted Pod Security Standard forbids it) and OpenClaw never falls back to the host, so ${id} could answer nothing`,
        hint: `for Kubernetes only, add ${id} to kubernetes.unsandboxed (its pod's restricted security context is then its confinement); or set sandbox.mode: off`,
      });
    }
  }
  return out;
}
