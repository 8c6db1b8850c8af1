/**
 * Names of the AWS resources of the ecs target, each injective on its inputs for the same reason as
 * compile/names.ts: ids are `[a-z0-9]+(-[a-z0-9]+)*` (no `--`, no `/`, no upper case), env names
 * are `[A-Z_][A-Z0-9_]*` (no `/`, no `-`).
 */
import { routeDir } from "../../vocabulary/names.js";

/** Where a gateway's state, knowledge and mailbox live on the file system (one tree per federation). */
export const EFS_ROOT = "/federations";

/** CloudFormation stack of a federation: `clawfed-<federation>`. */
export function stackName(fed: string): string {
  return `clawfed-${fed}`;
}

/** ECS cluster of a federation: `clawfed-<federation>`. */
export function clusterName(fed: string): string {
  return `clawfed-${fed}`;
}

/** Task definition family of a gateway: `clawfed-<federation>--<gateway>` (`--` splits it back). */
export function taskFamily(fed: string, gw: string): string {
  return `clawfed-${fed}--${gw}`;
}

/** Cloud Map private DNS namespace of a federation: peers resolve as `<id>.<fed>.clawfed.internal`. */
export function cloudMapNamespace(fed: string): string {
  return `${fed}.clawfed.internal`;
}

/** Secrets Manager name of a secret owned by `owner`: `/openclaw/<federation>/<owner>/<ENV>` (issue 15, seed 002). */
export function secretName(fed: string, owner: string, env: string): string {
  return `/openclaw/${fed}/${owner}/${env}`;
}

/** Root directory of a gateway's state: `/federations/<federation>/<gateway>` (issue 15). */
export function stateRoot(fed: string, gw: string): string {
  return `${EFS_ROOT}/${fed}/${gw}`;
}

/**
 * Root directory of a knowledge base: `/federations/<federation>--knowledge/<name>`. The `--`
 * keeps it out of every gateway's tree (a gateway named `knowledge` included): no id contains it.
 */
export function knowledgeRoot(fed: string, name: string): string {
  return `${EFS_ROOT}/${fed}--knowledge/${name}`;
}

/** Root directory of one mailbox direction: `/federations/<federation>--comms/<from>--to--<to>`. */
export function mailboxRoot(fed: string, from: string, to: string): string {
  return `${EFS_ROOT}/${fed}--comms/${routeDir(from, to)}`;
}

/** Access point ids (construct ids, unique in the stack: the prefixes differ and ids hold no `-` run). */
export const accessPointId = {
  state: (gw: string) => `state-${gw}`,
  knowledge: (name: string) => `knowledge-${name}`,
  mailbox: (from: string, to: string) => `mailbox-${routeDir(from, to)}`,
};
