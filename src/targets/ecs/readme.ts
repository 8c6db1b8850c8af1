/** The README of the generated CDK app (templates/ecs-README.md.hbs). */
import type { Federation } from "../../federation/normalize.js";
import { renderTemplate } from "../../render/templates.js";
import type { EcsFederationDescription } from "./description.js";

export function ecsReadme(fed: Federation, d: EcsFederationDescription, header: string, cdkVersion: string): string {
  return renderTemplate("ecs-README.md.hbs", {
    header,
    name: fed.name,
    description: fed.description ?? "",
    cdkVersion,
    stackName: d.stackName,
    clusterName: d.clusterName,
    namespace: d.namespace,
    vpcCidr: d.vpcCidr,
    vpcId: d.vpc?.id ?? "",
    knowledgeFs: d.knowledgeFileSystem?.id ?? "",
    port: d.containerPort,
    retention: d.logRetentionDays,
    gateways: d.gateways.map((g) => ({
      id: g.id,
      vcpu: g.cpu / 1024,
      memoryMiB: g.memoryMiB,
      ingressFrom: g.ingressFrom.length ? g.ingressFrom : ["nobody"],
      egressTo: g.egressTo.length ? g.egressTo : ["nobody"],
    })),
    userSecrets: d.secrets.filter((s) => !s.generated).map((s) => s.name),
    knowledge: d.accessPoints
      .filter((a) => a.kind === "knowledge")
      .map((a) => {
        const name = a.id.slice("knowledge-".length);
        return { name, root: a.rootDirectory, mount: fed.knowledge.find((k) => k.name === name)?.mountPath ?? "" };
      }),
  });
}
