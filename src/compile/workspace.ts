/**
 * Workspace bootstrap files of each gateway (AGENTS.md, SOUL.md; facts §8) and the
 * `federation-delegate` skill of every gateway that can reach another (facts §7), plus the
 * federation's README with a Mermaid diagram. Targets pass a Placement-like view of paths so the
 * same text works in containers and for native processes.
 */
import { gatewayIndex, type Federation, type GatewayModel } from "../federation/normalize.js";
import { sorted } from "../render/serialize.js";
import { frontMatter, renderTemplate } from "../render/templates.js";
import { dir, file, type Artifact } from "./artifact.js";
import { hooksTokenEnv, generatedHeader, routeDir } from "../vocabulary/names.js";
import { delegates, DELEGATE_SKILL } from "./openclaw-config.js";

/** Paths as one gateway sees them. */
export interface WorkspaceView {
  /** Base URL of a peer as the gateway reaches it. */
  peerBaseUrl(id: string): string;
  /** Mailbox route folder `<from>--to--<to>` as the gateway sees it. */
  routePath(from: string, to: string): string;
  knowledgePath(name: string): string;
}

function modelLabel(g: GatewayModel): string {
  return g.model.primary;
}

export function workspaceArtifacts(fed: Federation, g: GatewayModel, view: WorkspaceView, base: string): Artifact[] {
  const header = generatedHeader(fed.specFile);
  const byId = gatewayIndex(fed);
  const peers = g.outbound.map((r) => {
    const p = byId.get(r.to)!;
    return {
      id: p.id,
      role: p.role,
      description: p.description,
      model: modelLabel(p),
      agentId: p.agentId,
      endpoint: view.peerBaseUrl(p.id),
      transports: r.transports,
      hooks: r.transports.includes("hooks"),
      hooksTokenEnv: hooksTokenEnv(p.id),
    };
  });
  const mailboxOut = g.outbound.filter((r) => r.transports.includes("mailbox")).map((r) => ({ to: r.to, dir: view.routePath(r.from, r.to) }));
  const mailboxIn = g.inbound.filter((r) => r.transports.includes("mailbox")).map((r) => ({ from: r.from, dir: view.routePath(r.from, r.to) }));
  const reach = new Map(g.outbound.map((r) => [r.to, r.transports]));
  const callers = new Set(g.inbound.map((r) => r.from));
  const data = {
    header,
    federation: fed.name,
    gateway: { id: g.id, role: g.role, isHub: g.role === "hub", description: g.description },
    hasChannels: Boolean(g.telegram),
    // Only the gateways linked with this one (either direction): a gateway learns nothing about
    // gateways it cannot reach, and the file stays O(links) instead of O(gateways) per gateway.
    members: sorted(new Set([...reach.keys(), ...callers]))
      .filter((id) => id !== g.id)
      .map((id) => byId.get(id)!)
      .map((x) => ({ id: x.id, role: x.role, description: x.description, reachable: reach.has(x.id), transports: reach.get(x.id) ?? [] })),
    peers,
    mailbox: { used: mailboxOut.length + mailboxIn.length > 0, inbound: mailboxIn, outbound: mailboxOut, heartbeat: fed.comms.heartbeat },
    knowledge: g.knowledge.map((k) => ({ path: view.knowledgePath(k.name), description: k.description ?? "" })),
  };
  const out: Artifact[] = [
    dir(base, { gatewayOwned: true }),
    file(`${base}/AGENTS.md`, renderTemplate("AGENTS.md.hbs", data), { gatewayOwned: true }),
    file(`${base}/SOUL.md`, renderTemplate("SOUL.md.hbs", data), { gatewayOwned: true }),
  ];
  if (delegates(g)) {
    // No `requires`: the federation_delegate tool (plugin) needs no binary and no variable, so the
    // skill can never disappear because one token is missing (issue 11).
    const metadata = { openclaw: { emoji: "🛰️" } };
    const skill = renderTemplate("SKILL.md.hbs", {
      // Front matter from a serializer, never by interpolation: no text can end it or add a key.
      frontMatter: frontMatter({
        name: DELEGATE_SKILL,
        description: `Delegate a task to another gateway of the ${fed.name} federation (${peers.map((p) => p.id).join(", ")}) with the federation_delegate tool and use its answer.`,
        metadata,
      }),
      header,
      federation: fed.name,
      from: g.id,
      peers,
      anyA2a: peers.some((p) => p.transports.includes("a2a")),
      firstA2a: peers.find((p) => p.transports.includes("a2a"))?.id ?? "",
      anyHooks: peers.some((p) => p.hooks),
      anyMailbox: mailboxOut.length > 0,
      mailboxOut,
      mailboxIn,
    });
    out.push(
      dir(`${base}/skills`, { gatewayOwned: true }),
      dir(`${base}/skills/${DELEGATE_SKILL}`, { gatewayOwned: true }),
      file(`${base}/skills/${DELEGATE_SKILL}/SKILL.md`, skill, { gatewayOwned: true }),
    );
  }
  return out;
}

/** One edge per linked pair for the Mermaid diagrams: `<-->` when both directions are allowed. */
export function diagramLinks(fed: Federation): Array<{ a: string; b: string; arrow: string; transports: string[] }> {
  const seen = new Set<string>();
  const links: Array<{ a: string; b: string; arrow: string; transports: string[] }> = [];
  for (const r of fed.routes) {
    const key = [r.from, r.to].sort().join("\u0000");
    if (seen.has(key)) continue;
    seen.add(key);
    links.push({ a: r.from, b: r.to, arrow: r.twoWay ? "<-->" : "-->", transports: r.transports });
  }
  return links;
}

/** The federation README: gateways, links and a Mermaid diagram. */
export function federationReadme(fed: Federation): string {
  const links = diagramLinks(fed);
  return renderTemplate("README.md.hbs", {
    header: generatedHeader(fed.specFile),
    name: fed.name,
    description: fed.description ?? "",
    version: fed.openclawVersion,
    topology: fed.topology,
    specFile: fed.specFile,
    mailbox: fed.routes.some((r) => r.transports.includes("mailbox")),
    gateways: fed.gateways.map((g) => ({ id: g.id, role: g.role, port: g.port, model: modelLabel(g), description: g.description })),
    links,
  });
}

/** Mailbox route folders `<from>--to--<to>` for every allowed mailbox direction. */
export function mailboxDirs(fed: Federation): string[] {
  return fed.routes.filter((r) => r.transports.includes("mailbox")).map((r) => routeDir(r.from, r.to));
}
