/**
 * Acknowledged findings: cdk-nag's AwsSolutions pack and CDK's built-in CloudFormation validation.
 * Each names the rule, the construct it applies to and why the finding does not apply or is
 * accepted. Nothing else is acknowledged; any other finding fails `cdk synth`.
 */
import { Validations } from "aws-cdk-lib";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type * as ecs from "aws-cdk-lib/aws-ecs";
import type * as iam from "aws-cdk-lib/aws-iam";

/** App context of every synth (bin/app.ts and clawfed's tests): template validation findings are errors. */
export const APP_CONTEXT = { "@aws-cdk/core:validateAgainstDefaultRules": true } as const;

export function acknowledgeSecret(secret: secretsmanager.Secret, generated: boolean): void {
  Validations.of(secret).acknowledge({
    id: "AwsSolutions-SMG4",
    reason: generated
      ? "A gateway or link token: every reader gets it only when its task starts, so a scheduled rotation would lock peers out until all of them restart; rotate it on purpose instead (new value, then a new deployment of each reader's service; README, Secrets)."
      : "A user secret (API key, bot token): its value comes from the provider, which Secrets Manager cannot rotate; the user replaces it with put-secret-value.",
  });
}

export function acknowledgeTaskDefinition(taskDefinition: ecs.FargateTaskDefinition): void {
  Validations.of(taskDefinition).acknowledge({
    id: "AwsSolutions-ECS2",
    reason: "The plain environment holds no secret: paths, ids, the boot script and the generated openclaw.json and workspace files, whose secrets are only ${VAR} names; every value comes through the container's `secrets` (Secrets Manager).",
  });
  Validations.of(taskDefinition).acknowledge({
    id: "CloudFormation-Validate::E1029",
    reason: "The ${VAR} strings are OpenClaw's environment references inside the generated openclaw.json (CLAWFED_FILES), not CloudFormation parameters; CloudFormation leaves plain strings as they are.",
  });
}

/** One acknowledgement per managed policy the spec names (cdk-nag reports each as IAM4[Policy::<arn>]). */
export function acknowledgeTaskRolePolicies(role: iam.IRole, gateway: string, arns: string[]): void {
  for (const arn of arns) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM4[Policy::${arn}]`,
      reason: `A managed policy the spec attaches on purpose (gateways.${gateway}.ecs.taskRolePolicies): the spec's author grants this gateway's agents exactly these AWS permissions.`,
    });
  }
}
