/**
 * One CloudFormation stack per clawfed federation on AWS ECS Fargate. Every decision about the spec
 * was taken by clawfed and is in the description (federation.json); this file only maps it to
 * constructs:
 * - a VPC of its own (2 AZs, public subnets for one NAT gateway, private subnets for the tasks,
 *   flow logs), so synthesis needs no lookup and no AWS account;
 * - an ECS cluster with a Cloud Map private DNS namespace: peers are `http://<id>.<namespace>:18789`;
 * - one encrypted EFS file system; an access point per gateway state, knowledge base and mailbox
 *   direction (uid/gid 1000, its own root directory); each task role may mount only its own access
 *   points (write only where it writes); the file system policy refuses anything without TLS;
 * - per gateway (lib/gateway.ts): its secrets, security group, log group, task definition, service.
 */
import { CfnOutput, Fn, RemovalPolicy, Stack, Tags, type StackProps } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as efs from "aws-cdk-lib/aws-efs";
import * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as servicediscovery from "aws-cdk-lib/aws-servicediscovery";
import type { Construct } from "constructs";
import { ECS_DESCRIPTION_VERSION, type EcsFederationDescription } from "./description.js";
import { GatewayService, linkSecurityGroups } from "./gateway.js";
import { acknowledgeSecret } from "./nag.js";

/** uid/gid the gateways run as in the official image (node), and own their files as. */
export const GATEWAY_UID = "1000";

/** The federation's own VPC: 2 AZs, public subnets for one NAT gateway, private ones for the tasks, flow logs. */
function createVpc(scope: Construct, d: EcsFederationDescription, retention: logs.RetentionDays): ec2.Vpc {
  const flowLogs = new logs.LogGroup(scope, "FlowLogs", { retention, removalPolicy: RemovalPolicy.DESTROY });
  return new ec2.Vpc(scope, "Vpc", {
    ipAddresses: ec2.IpAddresses.cidr(d.vpcCidr),
    maxAzs: 2,
    natGateways: 1,
    // Nothing uses the default security group; restricting it would add a Lambda custom resource.
    restrictDefaultSecurityGroup: false,
    subnetConfiguration: [
      { name: "public", subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      { name: "private", subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
    ],
    flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.ALL } },
  });
}

/** One encrypted file system in the private subnets, kept with the state when the stack goes; TLS only. */
function createFileSystem(scope: Construct, vpc: ec2.IVpc): efs.FileSystem {
  const fileSystem = new efs.FileSystem(scope, "FileSystem", {
    vpc,
    // EFS takes one mount target per availability zone.
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, onePerAz: true },
    encrypted: true,
    enableAutomaticBackups: true,
    throughputMode: efs.ThroughputMode.ELASTIC,
    // Gateway state outlives the stack: deleting the federation must not delete its memory.
    removalPolicy: RemovalPolicy.RETAIN,
    // `false` would make CDK add a statement letting *any* IAM principal write with root access.
    // With a policy in place EFS refuses clients it does not allow (anonymous ones included); the
    // task roles are allowed by their own policies (grantAccessPoints).
    allowAnonymousAccess: true,
  });
  fileSystem.addToResourcePolicy(
    new iam.PolicyStatement({
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ["*"],
      conditions: { Bool: { "aws:SecureTransport": "false" } },
    }),
  );
  return fileSystem;
}

export class FederationStack extends Stack {
  readonly gateways = new Map<string, GatewayService>();

  /** @throws Error when the description is of another format version. */
  constructor(scope: Construct, d: EcsFederationDescription, props: StackProps = {}) {
    super(scope, d.stackName, { ...props, stackName: d.stackName, description: d.description });
    if (d.version !== ECS_DESCRIPTION_VERSION) throw new Error(`federation.json has format ${String(d.version)}; this app reads ${ECS_DESCRIPTION_VERSION} (regenerate it)`);
    for (const [k, v] of Object.entries(d.tags)) Tags.of(this).add(k, v);
    const retention = d.logRetentionDays as logs.RetentionDays;

    // An existing VPC by its ids (no lookup), or a new one.
    const vpc: ec2.IVpc = d.vpc
      ? ec2.Vpc.fromVpcAttributes(this, "Vpc", { vpcId: d.vpc.id, availabilityZones: d.vpc.availabilityZones, privateSubnetIds: d.vpc.privateSubnets })
      : createVpc(this, d, retention);
    const cluster = new ecs.Cluster(this, "Cluster", {
      vpc,
      clusterName: d.clusterName,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
      defaultCloudMapNamespace: { name: d.namespace, type: servicediscovery.NamespaceType.DNS_PRIVATE, vpc, useForServiceConnect: false },
    });
    const fileSystem = createFileSystem(this, vpc);
    const knowledgeFs = d.knowledgeFileSystem
      ? efs.FileSystem.fromFileSystemAttributes(this, "KnowledgeFileSystem", {
          fileSystemId: d.knowledgeFileSystem.id,
          securityGroup: ec2.SecurityGroup.fromSecurityGroupId(this, "KnowledgeFileSystemSecurityGroup", d.knowledgeFileSystem.securityGroup),
        })
      : fileSystem;
    const kinds = new Map(d.accessPoints.map((a) => [a.id, a.kind]));
    const fileSystemOf = (apId: string): efs.IFileSystem => (kinds.get(apId) === "knowledge" ? knowledgeFs : fileSystem);
    const accessPoints = new Map<string, efs.AccessPoint>();
    for (const ap of d.accessPoints) {
      accessPoints.set(
        ap.id,
        new efs.AccessPoint(this, `AccessPoint-${ap.id}`, {
          fileSystem: fileSystemOf(ap.id),
          path: ap.rootDirectory,
          createAcl: { ownerUid: GATEWAY_UID, ownerGid: GATEWAY_UID, permissions: ap.permissions },
          posixUser: { uid: GATEWAY_UID, gid: GATEWAY_UID },
        }),
      );
    }

    const secrets = new Map<string, secretsmanager.Secret>();
    for (const g of d.gateways) {
      const fileSystems = [...new Set(g.mounts.map((m) => fileSystemOf(m.accessPoint)))];
      this.gateways.set(g.id, new GatewayService(this, g, { d, vpc, cluster, fileSystems, retention }));
    }
    for (const s of d.secrets) {
      const owner = this.gateways.get(s.owner)!;
      const secret = new secretsmanager.Secret(owner, `Secret-${s.env}`, {
        secretName: s.name,
        description: s.description,
        // Secrets Manager generates the value: it never exists in clawfed, the template or a shell.
        generateSecretString: { passwordLength: 64, excludePunctuation: true },
      });
      acknowledgeSecret(secret, s.generated);
      secrets.set(s.name, secret);
    }
    linkSecurityGroups(d, this.gateways);
    for (const g of d.gateways) this.gateways.get(g.id)!.addTask(g, { accessPoints, secrets, fileSystemOf, mountTargets: fileSystem.mountTargetsAvailable });
    this.grantAccessPoints(d, fileSystemOf, accessPoints);

    new CfnOutput(this, "ClusterName", { value: cluster.clusterName, description: "ECS cluster (clawfed ecs run-task --cluster)" });
    new CfnOutput(this, "PrivateSubnets", {
      value: Fn.join(",", vpc.privateSubnets.map((s) => s.subnetId)),
      description: "Private subnets of the tasks (clawfed ecs run-task --subnet)",
    });
  }

  /**
   * Mount permissions, on each gateway's task role: ClientMount of exactly the access points it
   * mounts, ClientWrite only on those it writes, never ClientRootAccess. They cannot live in the
   * file system policy: that policy is a property of the file system, which every access point
   * references, so naming an access point there is a dependency cycle CloudFormation refuses.
   */
  private grantAccessPoints(d: EcsFederationDescription, fileSystemOf: (apId: string) => efs.IFileSystem, aps: Map<string, efs.AccessPoint>): void {
    for (const ap of d.accessPoints) {
      const arn = aps.get(ap.id)!.accessPointArn;
      const grant = (who: string[], actions: string[]) => {
        for (const id of who) {
          this.gateways.get(id)!.taskRole.addToPrincipalPolicy(
            new iam.PolicyStatement({
              actions,
              resources: [fileSystemOf(ap.id).fileSystemArn],
              conditions: { StringEquals: { "elasticfilesystem:AccessPointArn": arn }, Bool: { "elasticfilesystem:AccessedViaMountTarget": "true" } },
            }),
          );
        }
      };
      grant(ap.writers, ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]);
      grant(ap.readers, ["elasticfilesystem:ClientMount"]);
    }
  }
}
