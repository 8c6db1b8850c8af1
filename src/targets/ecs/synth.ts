/**
 * Synthesize the ecs target's stack in this process (tests, and anyone who wants the CloudFormation
 * template without the generated app's own install). Needs aws-cdk-lib, constructs and cdk-nag,
 * which are devDependencies of clawfed (never installed with the CLI): loaded only here.
 * Offline: the stack is environment-agnostic and looks nothing up, so no AWS credentials are read.
 */
import { RuntimeError } from "../../errors.js";
import type { EcsFederationDescription } from "./description.js";

/** How to get the optional dependencies of the ecs target. */
export const CDK_INSTALL_HINT = "npm install --save-dev aws-cdk-lib@2 constructs@10 cdk-nag@3 (in clawfed's folder), or run `npm ci && npx cdk synth` in the generated app, which has its own package.json";

export interface EcsSynthResult {
  /** The CloudFormation template (JSON object). */
  template: Record<string, unknown>;
  /** cdk-nag findings (only with `nag: true`): errors and warnings that no suppression covers. */
  findings: Array<{ level: "error" | "warning"; rule: string; resource: string; message: string }>;
  /** The stack (an aws-cdk-lib Stack), for aws-cdk-lib/assertions. */
  stack: unknown;
  ms: number;
}

/** Import an optional dependency of the ecs target. @throws RuntimeError naming it and how to install it. */
export async function loadOptional<T>(specifier: string): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new RuntimeError(`the ecs target needs ${specifier.split("/")[0]} to synthesize, and it is not installed`, { cause: err, next: CDK_INSTALL_HINT });
    }
    throw err;
  }
}

/**
 * Synthesize `d` with the stack the generated app ships (templates/ecs/lib/federation-stack.ts).
 * `nag` runs cdk-nag's AwsSolutions pack and returns its unacknowledged findings; `validate`
 * (default true) runs CDK's built-in template validation, whose findings fail the synth.
 * @throws RuntimeError when aws-cdk-lib, constructs or cdk-nag is missing (with how to install them).
 */
export async function synthEcs(d: EcsFederationDescription, opts: { nag?: boolean; validate?: boolean } = {}): Promise<EcsSynthResult> {
  const started = performance.now();
  const cdk = await loadOptional<typeof import("aws-cdk-lib")>("aws-cdk-lib");
  await loadOptional("constructs");
  const nag = await loadOptional<typeof import("cdk-nag")>("cdk-nag");
  // A computed specifier: the stack is TypeScript shipped for the generated app, loaded by vitest/tsx.
  const stackModule = new URL("../../../templates/ecs/lib/federation-stack.ts", import.meta.url).href;
  const nagModule = new URL("../../../templates/ecs/lib/nag.ts", import.meta.url).href;
  const { FederationStack } = (await import(stackModule)) as { FederationStack: new (scope: unknown, d: EcsFederationDescription) => InstanceType<typeof cdk.Stack> };
  const { APP_CONTEXT } = (await import(nagModule)) as { APP_CONTEXT: Record<string, unknown> };
  // The same App settings as the generated bin/app.ts.
  // validate: CDK's built-in CloudFormation checks (cycles, bad properties), about 9 s for korax.
  const app = new cdk.App({ analyticsReporting: false, context: { ...APP_CONTEXT }, builtinCloudFormationValidation: opts.validate ?? true });
  const stack = new FederationStack(app, d);
  const findings: EcsSynthResult["findings"] = [];
  if (opts.nag) {
    // cdk-nag 3 is a policy-validation plugin; validateScope runs it on the tree without failing
    // the synth, and skips every rule acknowledged in the stack (each with its reason).
    const report = new nag.AwsSolutionsChecks(app).validateScope(app);
    for (const v of report.violations) {
      for (const r of v.violatingResources) {
        findings.push({ level: /warn/i.test(String(v.severity ?? "error")) ? "warning" : "error", rule: v.ruleName, resource: r.constructPath ?? r.resourceLogicalId ?? "?", message: v.description.split("\n")[0]! });
      }
    }
  }
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  return { template: artifact.template as Record<string, unknown>, findings, stack, ms: performance.now() - started };
}
