/**
 * The swarm target: `stack.yml` (for `docker stack deploy`, see ./stack.ts), one `openclaw.json`
 * per gateway, workspaces, mailbox folders, a README with the Swarm steps, and the `.env` plan.
 * Pure (no fs, env, clock or randomness): the runtime (`clawfed up --target swarm`) builds the
 * same stack from `swarmStack` and talks to the Engine API.
 *
 * The gateways' own files are laid out exactly as for compose (gateways/<id>, workspaces/<id>,
 * comms/, state/<id> for sandboxed gateways), bind-mounted from the output folder: the output
 * folder must live on the node(s) the gateways are pinned to (README).
 */
import type { Federation } from "../../federation/normalize.js";
import { toYaml } from "../../render/serialize.js";
import { dir, file, type Artifact, type CompileResult, type EnvSlot } from "../../compile/artifact.js";
import { planEnv } from "../../vocabulary/env-plan.js";
import { CONTAINER_PORT, COMMS_DIR, generatedHeader, stateDir } from "../../vocabulary/names.js";
import { usesHostGateway } from "../../compile/openclaw-config.js";
import { pluginArtifacts, usesDelegatePlugin } from "../../compile/delegation.js";
import { HOST_GATEWAY_NAME } from "../../federation/schema.js";
import { federationReadme, mailboxDirs } from "../../compile/workspace.js";
import { containerGatewayFiles } from "../compose/index.js";
import { nodeLabel, STACK_NAMESPACE_LABEL, swarmStack, type SwarmStack } from "./model.js";
import { stackFile } from "./stack.js";

/** The stack file's name in the output folder. */
export const STACK_FILE = "stack.yml";
/**
 * Key of the `.env` token that keys the digests clawfed puts on the Docker secrets it creates
 * (HMAC-SHA256, so a label reveals nothing about a value): `up` sees a rotated value by its digest.
 */
export const DIGEST_KEY_ENV = "CLAWFED_SWARM_DIGEST_KEY";

export interface SwarmCompileResult extends CompileResult {
  stack: SwarmStack;
}

/** The `.env` plan of the swarm target: compose's (without the compose project) plus the digest key. */
export function planSwarmEnv(fed: Federation): EnvSlot[] {
  const env = planEnv(fed, { dockerGid: true });
  const key: EnvSlot = { name: DIGEST_KEY_ENV, kind: "token", consumers: [], rotateWith: [], comment: "swarm: key of the digests on Docker secrets (never given to a gateway)" };
  const i = env.findIndex((s) => s.kind === "token");
  env.splice(i < 0 ? env.length : i, 0, key);
  return env;
}

function readme(fed: Federation, stack: SwarmStack): string {
  const labels = fed.gateways.map((g) => `docker node update --label-add ${nodeLabel(fed.name, g.id)}=true <node of ${g.id}>`);
  const create = stack.secrets.map(
    (s) => `printf %s "$${s.key}" | docker secret create --label ai.clawfed.federation=${fed.name} --label ai.clawfed.managed=true --label ${STACK_NAMESPACE_LABEL}=${fed.name} ${s.name} -`,
  );
  // The shared README names the compose file; this output has the stack file instead.
  const base = federationReadme(fed)
    .trimEnd()
    .split("\n")
    .map((l) => (l.startsWith("- `docker-compose.yml`") ? `- \`${STACK_FILE}\`: the Swarm stack, one service per gateway (see "Docker Swarm" below).` : l))
    .join("\n");
  return [
    base,
    "",
    "## Docker Swarm",
    "",
    `Start: \`clawfed up <spec> --target swarm\` (creates the Docker secrets from .env, the networks and the services of stack \`${fed.name}\`).`,
    "By hand instead: run this folder on the node(s) below, then",
    "```sh",
    ...labels,
    "set -a; . ./.env; set +a   # printf is a shell builtin: no value reaches a command line",
    ...create,
    `docker stack deploy -c ${STACK_FILE} ${fed.name}`,
    "```",
    "Sandboxed gateways need the group of the Docker socket, which a stack file cannot give (no group_add): use `clawfed up --target swarm` for them.",
    `Ports are published in host mode on the node that runs each gateway, on every interface of that node (Swarm has no host IP for published ports): firewall them. Inside, gateways listen on ${CONTAINER_PORT}.`,
    "",
  ].join("\n");
}

export function compileSwarm(fed: Federation): SwarmCompileResult {
  const env = planSwarmEnv(fed);
  const header = generatedHeader(fed.specFile);
  const stack = swarmStack(fed, env);
  const artifacts: Artifact[] = [file(STACK_FILE, toYaml(stackFile(stack), header))];
  const warnings: string[] = [];
  for (const g of fed.gateways) {
    if (g.sandboxed) {
      artifacts.push(dir(stateDir(g.id), { gatewayOwned: true, mode: 0o700 }));
      warnings.push(`${g.id}: sandbox mode "${g.sandbox.mode}" mounts the Docker socket into the gateway, which gives it control of this node's Docker engine.`);
    }
    artifacts.push(...containerGatewayFiles(fed, g, header));
  }
  for (const route of mailboxDirs(fed)) {
    artifacts.push(
      fed.comms.hostPath
        ? dir(`${fed.comms.hostPath}/${route}`, { gatewayOwned: true, absolute: true, mode: 0o770 })
        : dir(`${COMMS_DIR}/${route}`, { gatewayOwned: true, mode: 0o770 }),
    );
  }
  if (fed.gateways.some(usesDelegatePlugin)) artifacts.push(...pluginArtifacts());
  for (const p of fed.providers.filter((x) => usesHostGateway(x.baseUrl))) {
    // compose maps the name with `extra_hosts: host-gateway`; the swarm target adds no host entries.
    warnings.push(`model provider ${p.id} is at ${HOST_GATEWAY_NAME}, which swarm tasks are not given; give models.providers.${p.id}.baseUrl an address the nodes reach (the host's IP)`);
  }
  artifacts.push(file("README.md", readme(fed, stack)));
  return { target: "swarm", artifacts, env, warnings, stack };
}
