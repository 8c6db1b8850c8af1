/**
 * One gateway: security group (ingress on the gateway port only from linked gateways, egress HTTPS,
 * NFS to the file system and the gateway port of the gateways it may reach), log group, task
 * definition (its own execution role, which reads only this gateway's secrets; a task role with no
 * policy of its own), and a Fargate service of one task registered in Cloud Map.
 */
import { CfnOutput, Duration, RemovalPolicy, Tags } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecs from "aws-cdk-lib/aws-ecs";
import type * as efs from "aws-cdk-lib/aws-efs";
import * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as servicediscovery from "aws-cdk-lib/aws-servicediscovery";
import { Construct, type IDependable } from "constructs";
import type { EcsFederationDescription, EcsGateway } from "./description.js";
import { acknowledgeTaskDefinition, acknowledgeTaskRolePolicies } from "./nag.js";

export interface GatewayContext {
  d: EcsFederationDescription;
  vpc: ec2.IVpc;
  cluster: ecs.Cluster;
  /** The file systems this gateway mounts (NFS is opened to each). */
  fileSystems: efs.IFileSystem[];
  retention: logs.RetentionDays;
}

export class GatewayService extends Construct {
  readonly securityGroup: ec2.SecurityGroup;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly logGroup: logs.LogGroup;
  private readonly ctx: GatewayContext;
  service?: ecs.FargateService;

  constructor(scope: Construct, g: EcsGateway, ctx: GatewayContext) {
    super(scope, `Gateway-${g.id}`);
    this.ctx = ctx;
    for (const [k, v] of Object.entries(g.tags)) Tags.of(this).add(k, v);
    this.securityGroup = new ec2.SecurityGroup(this, "SecurityGroup", {
      vpc: ctx.vpc,
      allowAllOutbound: false,
      description: `clawfed ${ctx.d.federation} gateway ${g.id}: port ${ctx.d.containerPort} open only to linked gateways`,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), "HTTPS: model providers, channels, image registry, AWS APIs");
    for (const fs of ctx.fileSystems) fs.connections.allowDefaultPortFrom(this.securityGroup, `NFS from gateway ${g.id}`);
    this.logGroup = new logs.LogGroup(this, "Logs", {
      logGroupName: `/clawfed/${ctx.d.federation}/${g.id}`,
      retention: ctx.retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, "TaskDefinition", {
      family: g.family,
      cpu: g.cpu,
      memoryLimitMiB: g.memoryMiB,
      runtimePlatform: { operatingSystemFamily: ecs.OperatingSystemFamily.LINUX, cpuArchitecture: ecs.CpuArchitecture.X86_64 },
    });
    new CfnOutput(this, "SecurityGroupId", { value: this.securityGroup.securityGroupId, description: `Security group of ${g.id} (clawfed ecs run-task --security-group)` });
  }

  /** The task role: the identity the file system policy grants this gateway's access points to. */
  get taskRole(): iam.IRole {
    return this.taskDefinition.taskRole;
  }

  /** The container, its mounts and secrets, and the service (after every secret and access point exists). */
  addTask(
    g: EcsGateway,
    refs: { accessPoints: Map<string, efs.AccessPoint>; secrets: Map<string, secretsmanager.ISecret>; fileSystemOf: (apId: string) => efs.IFileSystem; mountTargets: IDependable },
  ): void {
    const { d, cluster } = this.ctx;
    const linux = new ecs.LinuxParameters(this, "Linux", { initProcessEnabled: true });
    linux.dropCapabilities(ecs.Capability.ALL);
    const container = this.taskDefinition.addContainer("gateway", {
      image: ecs.ContainerImage.fromRegistry(g.image),
      command: g.command,
      environment: g.environment,
      // ECS reads each value with the execution role and injects it; CDK grants that role read
      // access to exactly these secrets (secretsmanager:GetSecretValue on their ARNs).
      secrets: Object.fromEntries(Object.entries(g.secrets).map(([env, name]) => [env, ecs.Secret.fromSecretsManager(refs.secrets.get(name)!)])),
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: g.id, logGroup: this.logGroup }),
      portMappings: [{ containerPort: d.containerPort, name: "gateway" }],
      healthCheck: {
        command: g.healthCheck.command,
        interval: Duration.seconds(g.healthCheck.intervalSeconds),
        timeout: Duration.seconds(g.healthCheck.timeoutSeconds),
        retries: g.healthCheck.retries,
        startPeriod: Duration.seconds(g.healthCheck.startPeriodSeconds),
      },
      linuxParameters: linux,
      essential: true,
    });
    for (const m of g.mounts) {
      this.taskDefinition.addVolume({
        name: m.accessPoint,
        efsVolumeConfiguration: {
          fileSystemId: refs.fileSystemOf(m.accessPoint).fileSystemId,
          transitEncryption: "ENABLED",
          authorizationConfig: { accessPointId: refs.accessPoints.get(m.accessPoint)!.accessPointId, iam: "ENABLED" },
        },
      });
      container.addMountPoints({ sourceVolume: m.accessPoint, containerPath: m.containerPath, readOnly: m.readOnly });
    }
    this.service = new ecs.FargateService(this, "Service", {
      cluster,
      taskDefinition: this.taskDefinition,
      serviceName: g.serviceName,
      desiredCount: 1,
      // A gateway is the single writer of its state: never two tasks at once (stop, then start).
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      circuitBreaker: { enable: true, rollback: true },
      securityGroups: [this.securityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      platformVersion: ecs.FargatePlatformVersion.LATEST,
      cloudMapOptions: { name: g.serviceName, dnsRecordType: servicediscovery.DnsRecordType.A, dnsTtl: Duration.seconds(10) },
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      enableECSManagedTags: true,
    });
    this.service.node.addDependency(refs.mountTargets);
    acknowledgeTaskDefinition(this.taskDefinition);
    // Only what the spec names (ecs.taskRolePolicies); nothing by default.
    g.taskRolePolicies.forEach((arn, i) => this.taskRole.addManagedPolicy(iam.ManagedPolicy.fromManagedPolicyArn(this, `TaskRolePolicy${i}`, arn)));
    if (g.taskRolePolicies.length > 0) acknowledgeTaskRolePolicies(this.taskDefinition.taskRole, g.id, g.taskRolePolicies);
  }
}

/**
 * The link matrix: for every route from → to, `to` admits `from` on the gateway port and `from`
 * may send there; no other gateway traffic is allowed in either direction.
 */
export function linkSecurityGroups(d: EcsFederationDescription, gateways: Map<string, GatewayService>): void {
  const port = ec2.Port.tcp(d.containerPort);
  for (const g of d.gateways) {
    const from = gateways.get(g.id)!;
    for (const to of g.egressTo) {
      const target = gateways.get(to)!;
      target.securityGroup.addIngressRule(from.securityGroup, port, `gateway ${g.id} may reach ${to}`);
      from.securityGroup.addEgressRule(target.securityGroup, port, `gateway ${g.id} may reach ${to}`);
    }
  }
}
