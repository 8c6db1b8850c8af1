/**
 * The spec fields only the ecs target (AWS ECS Fargate, `generate --target ecs`) reads: `tags:`
 * (federation and gateway), the gateway's `ecs:` block and the federation's `ecs:` block. Other
 * targets ignore them. Shape only; the cross-field checks (sandbox, Fargate sizes, VPC ids) live in
 * ecs-rules.ts.
 */
import { z } from "zod";

/**
 * AWS resource tags (cost allocation) for the ecs target: keys 1-128 and values 0-256 characters
 * of letters, digits, spaces and `_ . : / = + - @`; the `aws:` prefix is reserved by AWS
 * (docs: AWS General Reference, "Tagging AWS resources"). Other targets ignore them.
 * TagKey and TagValue check one tag (`clawfed ecs run-task --tag`); Tags is the spec field.
 */
export const TagKey = z
  .string()
  .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u, { message: "tag keys are 1-128 letters, digits, spaces and _ . : / = + - @" })
  .refine((k) => !/^aws:/i.test(k), { message: 'tag keys may not start with "aws:" (reserved by AWS)' });
/** A tag value (see {@link Tags}). */
export const TagValue = z.string().regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u, { message: "tag values are 0-256 letters, digits, spaces and _ . : / = + - @" });
/** Tags of the federation or of one gateway. */
export const Tags = z
  .record(TagKey, TagValue)
  .default({})
  .describe("Cost-allocation tags put on the AWS resources of the ecs target (e.g. CostCenter: ClientA); other targets ignore them.");

/** The gateway's `ecs:` block. */
export const GatewayEcs = z
  .object({
    sandbox: z
      .literal("off")
      .optional()
      .describe(
        "What sandbox.mode becomes on ECS Fargate, which has no Docker socket for sandbox containers: only `off` (the gateway's own Fargate micro-VM is then its only isolation). Required by the ecs target when sandbox.mode is non-main or all.",
      ),
    taskRolePolicies: z
      .array(
        z
          .string()
          .regex(/^arn:aws[a-z-]*:iam::(?:aws|\d{12}):policy\/[\w+=,.@/-]{1,512}$/, { message: "must be the ARN of an IAM managed policy, e.g. arn:aws:iam::123456789012:policy/read-reports" }),
      )
      .max(10)
      .default([])
      .describe(
        "IAM managed policies (ARNs) attached to this gateway's task role, the AWS identity its agents' tools run with. By default the task role may only mount this gateway's own file system access points.",
      ),
  })
  .strict()
  .default({ taskRolePolicies: [] })
  .describe("Settings of this gateway that only the ecs target (AWS ECS Fargate) reads.");

/** The federation's `ecs:` block. */
export const SpecEcs = z
  .object({
    logRetentionDays: z
      .union([z.literal(1), z.literal(3), z.literal(5), z.literal(7), z.literal(14), z.literal(30), z.literal(60), z.literal(90), z.literal(180), z.literal(365)])
      .default(30)
      .describe("Days CloudWatch keeps the gateways' logs (one of 1, 3, 5, 7, 14, 30, 60, 90, 180, 365)."),
    vpcCidr: z
      .string()
      .regex(/^10\.(?:\d|[1-9]\d|1\d\d|2[0-4]\d|25[0-5])\.0\.0\/16$/, { message: "must be a 10.x.0.0/16 block" })
      .default("10.42.0.0/16")
      .describe("Address block of the VPC the stack creates (a 10.x.0.0/16); ignored with `vpc`."),
    vpc: z
      .object({
        id: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, { message: "must be a VPC id like vpc-0123456789abcdef0" }).describe("The VPC's id."),
        availabilityZones: z
          .array(z.string().regex(/^[a-z]{2}(?:-[a-z]+)+-\d[a-z]$/, { message: "must be an availability zone like eu-west-1a" }))
          .min(2)
          .max(6)
          .describe("Its availability zones, one per private subnet, in the same order."),
        privateSubnets: z
          .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { message: "must be a subnet id like subnet-0123456789abcdef0" }))
          .min(2)
          .max(6)
          .describe("Private subnets with a route to the internet (NAT), one per availability zone: the tasks and the file system's mount targets go there."),
      })
      .strict()
      .optional()
      .describe("An existing VPC to use instead of creating one (its ids, so synthesis still looks nothing up). Needed for `knowledgeFileSystem`, whose mount targets live in a VPC."),
    knowledgeFileSystem: z
      .object({
        id: z.string().regex(/^fs-[0-9a-f]{8,17}$/, { message: "must be an EFS file system id like fs-0123456789abcdef0" }).describe("The file system's id."),
        securityGroup: z
          .string()
          .regex(/^sg-[0-9a-f]{8,17}$/, { message: "must be a security group id like sg-0123456789abcdef0" })
          .describe("Security group of its mount targets; the stack admits NFS from the gateways that read knowledge."),
      })
      .strict()
      .optional()
      .describe("An existing EFS file system (in `vpc`) that holds the knowledge bases, instead of the federation's own."),
  })
  .strict()
  .default({ logRetentionDays: 30, vpcCidr: "10.42.0.0/16" })
  .describe("Settings that only the ecs target (AWS ECS Fargate, `generate --target ecs`) reads.");
