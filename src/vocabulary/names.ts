/**
 * Names of everything clawfed derives from ids, in one place so that the compose target, the
 * native targets, the runtime and the rules agree.
 *
 * Every derived name is injective by construction (proved by test/unit/boundary-names.test.ts):
 * ids (gateways, knowledge bases, the federation) are lower-case letters and digits in groups
 * joined by single '-' (ID_PATTERN in federation/schema.ts), so
 * - an id never contains `--`, never starts or ends with `-`, and its env prefix never contains
 *   `__` nor starts or ends with `_`;
 * - a name that joins two ids uses `--` (networks, folders) or `__` (env vars) as the separator,
 *   which neither id can contain, so the first separator in the name splits it back into the two
 *   ids; names built from one id carry no such separator, so the two kinds never meet;
 * - within one kind, a fixed prefix/suffix plus an injective function of the id is injective.
 * Namespaces: env vars (one `.env` per federation), compose networks, compose volumes, folders of
 * the output directory, and the native root.
 */
import { escapeControls } from "../errors.js";

/** Port every gateway listens on inside its container (OpenClaw default, docs gateway/config-gateway.md). */
export const CONTAINER_PORT = 18789;
/** State directory inside the official image (docs install/docker.md). */
export const CONTAINER_STATE_DIR = "/home/node/.openclaw";
/** Workspace inside the container: the default `<state>/workspace`. */
export const CONTAINER_WORKSPACE_DIR = `${CONTAINER_STATE_DIR}/workspace`;
/** Where the generated config directory is bind-mounted read-only in a container. */
export const CONTAINER_CONFIG_DIR = "/etc/clawfed";
/** Mailbox route folders inside a container: `<dir>/<routeDir(from, to)>`. */
export const CONTAINER_COMMS_DIR = "/shared/comms";

/** Separator of two ids in network and folder names; ids never contain it (ID_PATTERN). */
export const ID_SEPARATOR = "--";
/** Separator of two env prefixes in env var names; `envPrefix` never produces it. */
export const ENV_SEPARATOR = "__";

/**
 * `goreos-2` → `GOREOS_2`: the env-var prefix of a gateway id. Injective on ids (they hold no
 * `_` and no upper case); never contains `__` and never starts or ends with `_`, because ids
 * never contain `--` and never start or end with `-`.
 */
export function envPrefix(id: string): string {
  return id.toUpperCase().replace(/-/g, "_");
}

/**
 * Token the gateway's own clients authenticate with (gateway.auth.token): `<P>_GATEWAY_TOKEN`.
 * Differs from every hooks token (the 7th character from the end is `Y` here, `S` there) and from
 * every A2A token (it contains no `__`).
 */
export function gatewayTokenEnv(id: string): string {
  return `${envPrefix(id)}_GATEWAY_TOKEN`;
}

/** Token callers present to this gateway's /hooks endpoints (hooks.token): `<P>_HOOKS_TOKEN`. */
export function hooksTokenEnv(id: string): string {
  return `${envPrefix(id)}_HOOKS_TOKEN`;
}

/**
 * Token `from` presents to `to`'s A2A endpoint (to: peers.<from>.token, from:
 * peers.<to>.outboundToken): `A2A_<FROM>__<TO>_TOKEN`. The only generated env names with `__`.
 */
export function a2aTokenEnv(from: string, to: string): string {
  return `A2A_${envPrefix(from)}${ENV_SEPARATOR}${envPrefix(to)}_TOKEN`;
}

/** Compose service name of a gateway: the gateway id itself. */
export function serviceName(id: string): string {
  return id;
}

/** Compose named volume holding a gateway's state: `<id>-state` (the only kind of named volume). */
export function stateVolume(id: string): string {
  return `${id}-state`;
}

/**
 * The Docker name compose gives a named volume or network of project `project`:
 * `<project>_<name>` (project names are ids, without `_`, so the first `_` splits it).
 */
export function projectResource(project: string, name: string): string {
  return `${project}_${name}`;
}

/**
 * Compose network shared by exactly the two gateways of a link (ids sorted): `link-<a>--<b>`.
 * The only network names with `--`.
 */
export function linkNetwork(a: string, b: string): string {
  const [x, y] = [a, b].sort();
  return `link-${x}${ID_SEPARATOR}${y}`;
}

/** Compose network of one gateway alone: egress to model providers and the published port: `<id>-egress`. */
export function egressNetwork(id: string): string {
  return `${id}-egress`;
}

/** Mailbox route folder name of the direction from → to: `<from>--to--<to>`. */
export function routeDir(from: string, to: string): string {
  return `${from}${ID_SEPARATOR}to${ID_SEPARATOR}${to}`;
}

/** Folder of a gateway's generated config in the compose output (bind-mounted at CONTAINER_CONFIG_DIR). */
export function configDir(id: string): string {
  return `gateways/${id}`;
}

/** Folder of a gateway's workspace in the compose output. */
export function workspaceDir(id: string): string {
  return `workspaces/${id}`;
}

/** Folder of a sandboxed gateway's state in the compose output (bind mount instead of a volume). */
export function stateDir(id: string): string {
  return `state/${id}`;
}

/** Folder of all mailbox routes in the compose output and under a native root. */
export const COMMS_DIR = "comms";

/**
 * Folders at the root of a native federation beside the gateways' own `<root>/<id>/` homes
 * (vocabulary/host-layout.ts). A gateway id equal to one of them would share its home with them,
 * so the rules refuse such ids for native targets; the others are not valid ids anyway.
 */
export const NATIVE_ROOT_DIRS = { comms: COMMS_DIR, pm2Home: ".pm2", systemdDir: "systemd", launchdDir: "launchd" } as const;

/** Home of a native gateway relative to the federation root: `<id>` (OPENCLAW_HOME). */
export function nativeHomeDir(id: string): string {
  return id;
}

/** PM2 app name of a native gateway (apps live in the PM2 namespace of the federation). */
export function pm2AppName(id: string): string {
  return id;
}

/** systemd unit name of a gateway (the name `openclaw gateway install --profile <id>` uses; facts §10.3). */
export function systemdUnitName(id: string): string {
  return `openclaw-gateway-${id}.service`;
}

/** launchd label of a gateway (lower case, like `openclaw gateway install --profile <id>`; facts §10.3). */
export function launchdLabel(id: string): string {
  return `ai.openclaw.${id.toLowerCase()}`;
}

/**
 * Header put on generated files where the format allows comments: YAML `#` (compose), JSON5 `//`
 * (openclaw.json), dotenv `#` (.env), systemd `#`, HTML comments in Markdown and plists.
 * The spec file name is the only user text in it and never reaches it raw: control characters
 * (newline, CR, ESC…), C1 controls, U+2028/U+2029 (JSON5 line terminators), bidi controls and
 * unpaired surrogates become visible escapes (escapeControls), `--` becomes `-\x2d` (so neither
 * `-->` nor `--!>` can end an HTML comment, and XML comments stay valid), `*` then `/` becomes `*\x2f`.
 * The result is one line that cannot end the comment it is put in.
 */
export function generatedHeader(specFile: string): string {
  const name = escapeControls(specFile).replace(/--/g, "-\\x2d").replace(/\*\//g, "*\\x2f");
  return `generated by clawfed from ${name}: edit the spec, not this file`;
}

/** The writer's manifest of generated files, relative to the output folder (emit/ writes it; backups read it). */
export const MANIFEST_PATH = ".clawfed/manifest.json";

/**
 * A2A peer name of the host operator (`clawfed ask`). It contains a '.', which gateway ids never
 * do (schema ID_PATTERN), so it cannot collide with a gateway; A2A peer names allow it.
 */
export const OPERATOR_PEER = "clawfed.operator";

/** `.env` variable of the operator token of gateway `id`: `<ID>_OPERATOR_TOKEN` (other derived names end in _GATEWAY_TOKEN / _HOOKS_TOKEN or start with A2A_). */
export function operatorTokenEnv(id: string): string {
  return `${envPrefix(id)}_OPERATOR_TOKEN`;
}
