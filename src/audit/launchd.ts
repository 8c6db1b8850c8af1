/**
 * The launchd cluster audit of seed 003, over generated (`<root>/launchd/`) or installed
 * (`~/Library/LaunchAgents/`) plists. Each OpenClaw instance is one unique tuple — launchd label,
 * gateway port, `OPENCLAW_STATE_DIR`, gateway token — and each plist keeps the contract:
 * `RunAtLoad` true, `KeepAlive` true, `ProgramArguments` = `[node, <openclaw entry>, gateway,
 * --port, <port>]`, `EnvironmentVariables.OPENCLAW_STATE_DIR`, `StandardOutPath` and
 * `StandardErrorPath` inside that state dir.
 *
 * Plists are parsed with a real plist parser (npm `plist`: XML and binary). Which plists are
 * OpenClaw instances: label `ai.openclaw.*`, or a `gateway` argument after an OpenClaw entry.
 * Tokens are compared by SHA-256 fingerprint and never printed. A gateway token is read from the
 * instance's config (`gateway.auth.token`, resolving `${VAR}` from the plist environment and the
 * state dir's `.env`, the way OpenClaw does; docs help/environment.md) or `OPENCLAW_GATEWAY_TOKEN`.
 *
 * The core, {@link auditInstances}, is pure; {@link auditLaunchAgents} gathers the facts from disk.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import JSON5 from "json5";
import { parse as parsePlist, parseBinary } from "plist";
import { NATIVE_PORT_GAP } from "../federation/rules.js";

export type Level = "pass" | "warn" | "fail";

export interface Finding {
  level: Level;
  /** Short id of the check, e.g. `keep-alive`, `unique-ports`. */
  check: string;
  /** The instance's label (or file name), or `cluster` for checks across instances. */
  subject: string;
  message: string;
  /** Plist file(s) concerned. */
  files: string[];
}

/** What the audit knows of one plist: its parsed content and facts read from disk. */
export interface Instance {
  /** Path of the plist file. */
  file: string;
  /** Parsed plist, or undefined when it could not be parsed. */
  plist?: unknown;
  parseError?: string;
  facts: {
    stateDirExists?: boolean;
    configPath?: string;
    configExists?: boolean;
    /** Mode bits of `<state>/.env` when it exists. */
    envFileMode?: number;
    /** sha256 fingerprint of the resolved gateway token (never the token). */
    tokenFingerprint?: string;
    /** Why no token could be resolved (config missing, `${VAR}` undefined, …). */
    tokenProblem?: string;
  };
}

export interface AuditResult {
  dir: string;
  /** Plist files read. */
  plists: number;
  /** Of those, OpenClaw instances audited. */
  instances: number;
  findings: Finding[];
  counts: Record<Level, number>;
  /** No finding is `fail` (with `strict`, no `warn` either). */
  ok: boolean;
}

const LABEL_PREFIX = "ai.openclaw.";
const SECRET_KEY = /(TOKEN|PASSWORD|SECRET|API_KEY|APIKEY|PRIVATE_KEY)/i;

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => Boolean(v) && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date) && !Buffer.isBuffer(v);

/** True when a parsed plist describes an OpenClaw gateway instance. */
export function isOpenclawInstance(plist: unknown): boolean {
  if (!isDict(plist)) return false;
  if (typeof plist.Label === "string" && plist.Label.toLowerCase().startsWith(LABEL_PREFIX)) return true;
  const args = Array.isArray(plist.ProgramArguments) ? plist.ProgramArguments.map(String) : [];
  return args.includes("gateway") && args.some((a) => /openclaw(\.mjs)?$|openclaw\/dist\/index\.js$/.test(a));
}

/** The port of `--port N` / `--port=N` in an argument list. */
function portOf(args: string[]): number | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const v = a === "--port" ? args[i + 1] : a.startsWith("--port=") ? a.slice(7) : undefined;
    if (v !== undefined) return /^\d+$/.test(v) ? Number(v) : Number.NaN;
  }
  return undefined;
}

function inside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
}

/** What must be unique across the instances of one folder. */
interface Key {
  subject: string;
  file: string;
  label?: string;
  port?: number;
  stateDir?: string;
  config?: string;
  token?: string;
}

type AddFinding = (level: Level, check: string, subject: string, message: string, files: string[]) => void;
type Report = (check: string, message: string) => void;

/** ProgramArguments must be [node, openclaw entry, gateway, --port, N]; records the port in `key`. */
function checkProgramArguments(pl: Dict, key: Key, ok: Report, fail: Report): void {
  const args = Array.isArray(pl.ProgramArguments) ? pl.ProgramArguments.map(String) : undefined;
  if (!args) fail("program-arguments", pl.Program !== undefined ? "uses Program, not ProgramArguments [node, openclaw entry, gateway, --port, N]" : "has no ProgramArguments");
  else {
    const problems: string[] = [];
    if (!/(^|\/)node(\d+)?$/.test(args[0] ?? "")) problems.push(`runs ${args[0] ?? "nothing"}, not node`);
    if (!/(openclaw\.mjs|\/dist\/index\.js|\/openclaw)$/.test(args[1] ?? "")) problems.push(`second argument ${args[1] ?? "(none)"} is not the OpenClaw entry (openclaw.mjs)`);
    if (args[2] !== "gateway") problems.push(`third argument is ${args[2] ?? "(none)"}, not gateway`);
    const port = portOf(args);
    if (port === undefined) problems.push("has no --port");
    else if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push("--port is not a port number");
    else key.port = port;
    if (problems.length) fail("program-arguments", `ProgramArguments ${problems.join("; ")}`);
    else ok("program-arguments", `ProgramArguments: node, ${path.basename(args[1]!)}, gateway --port ${port}`);
  }
}

/** The checks of one instance's plist; returns what must be unique across instances. */
function auditInstance(inst: Instance, add: AddFinding): Key {
  const pl = inst.plist as Dict;
  const file = inst.file;
  const label = typeof pl.Label === "string" ? pl.Label : undefined;
  const subject = label ?? path.basename(file);
  const key: Key = { subject, file, ...(label ? { label } : {}) };
  const ok = (check: string, message: string) => add("pass", check, subject, message, [file]);
  const warn = (check: string, message: string) => add("warn", check, subject, message, [file]);
  const fail = (check: string, message: string) => add("fail", check, subject, message, [file]);

  // Label
  if (!label) fail("label", "has no Label");
  else if (!label.startsWith(LABEL_PREFIX) || label !== label.toLowerCase()) fail("label", `Label ${label} is not ai.openclaw.<name> in lower case (launchd labels of OpenClaw profiles are lower case)`);
  else ok("label", `Label ${label}`);
  if (label && path.basename(file) !== `${label}.plist`) warn("file-name", `file is named ${path.basename(file)}, not ${label}.plist (launchctl and OpenClaw look for <label>.plist)`);

  // RunAtLoad / KeepAlive
  if (pl.RunAtLoad === true) ok("run-at-load", "RunAtLoad is true");
  else fail("run-at-load", pl.RunAtLoad === undefined ? "RunAtLoad is missing: the gateway does not start at login" : "RunAtLoad is not true: the gateway does not start at login");
  if (pl.KeepAlive === true) ok("keep-alive", "KeepAlive is true");
  else if (isDict(pl.KeepAlive)) warn("keep-alive", "KeepAlive is a set of conditions: launchd restarts the gateway only when they hold (the contract wants true)");
  else fail("keep-alive", pl.KeepAlive === undefined ? "KeepAlive is missing: launchd does not restart the gateway when it exits" : "KeepAlive is not true: launchd does not restart the gateway when it exits");

  checkProgramArguments(pl, key, ok, fail);

  // Environment: state dir, secrets
  const env = isDict(pl.EnvironmentVariables) ? pl.EnvironmentVariables : {};
  const stateDir = typeof env.OPENCLAW_STATE_DIR === "string" && env.OPENCLAW_STATE_DIR ? env.OPENCLAW_STATE_DIR : undefined;
  if (!stateDir) fail("state-dir", "EnvironmentVariables has no OPENCLAW_STATE_DIR: the instance would share ~/.openclaw (and its locks) with others");
  else if (!path.isAbsolute(stateDir)) fail("state-dir", `OPENCLAW_STATE_DIR ${stateDir} is not absolute`);
  else {
    key.stateDir = path.resolve(stateDir);
    ok("state-dir", `OPENCLAW_STATE_DIR ${stateDir}`);
    if (inst.facts.stateDirExists === false) warn("state-dir-exists", `${stateDir} does not exist yet (not installed, or never started)`);
  }
  const secretKeys = Object.entries(env).filter(([k, v]) => SECRET_KEY.test(k) && typeof v === "string" && v !== "").map(([k]) => k);
  if (secretKeys.length) fail("no-secrets", `EnvironmentVariables holds ${secretKeys.join(", ")}: plists are readable by every local user; keep secrets in ${stateDir ?? "<state>"}/.env (0600)`);
  else ok("no-secrets", "no secret in the plist");

  // Logs inside the state dir
  for (const k of ["StandardOutPath", "StandardErrorPath"] as const) {
    const v = typeof pl[k] === "string" ? (pl[k] as string) : undefined;
    if (!v) fail("logs", `${k} is missing: output is lost`);
    else if (stateDir && !inside(path.resolve(v), path.resolve(stateDir))) fail("logs", `${k} ${v} is outside the state dir ${stateDir}`);
    else if (stateDir) ok("logs", `${k} inside the state dir`);
  }

  // Config and token
  const config = inst.facts.configPath;
  if (config) {
    key.config = path.resolve(config);
    if (inst.facts.configExists === false) warn("config", `${config} does not exist`);
    else if (inst.facts.configExists) ok("config", `config ${config}`);
  }
  if (inst.facts.envFileMode !== undefined && (inst.facts.envFileMode & 0o077) !== 0) {
    fail("secrets-file", `${stateDir}/.env is mode ${(inst.facts.envFileMode & 0o777).toString(8)}: other users can read its tokens (chmod 600)`);
  }
  if (inst.facts.tokenFingerprint) {
    key.token = inst.facts.tokenFingerprint;
    ok("token", "gateway token resolved");
  } else if (inst.facts.tokenProblem) warn("token", inst.facts.tokenProblem);
  return key;
}

/** Checks across the instances: unique labels, ports, state dirs, configs, tokens; port spacing; nesting. */
function auditCluster(keys: Key[], add: AddFinding): void {
  // Across instances
  const unique = (check: string, what: string, pick: (k: Key) => string | number | undefined, show: (v: string | number) => string) => {
    const groups = new Map<string | number, Key[]>();
    for (const k of keys) {
      const v = pick(k);
      if (v === undefined) continue;
      groups.set(v, [...(groups.get(v) ?? []), k]);
    }
    let dup = false;
    for (const [v, ks] of groups) {
      if (ks.length < 2) continue;
      dup = true;
      add("fail", check, "cluster", `${show(v)} is used by ${ks.map((k) => k.subject).join(" and ")}`, ks.map((k) => k.file));
    }
    if (!dup && groups.size > 0) add("pass", check, "cluster", `${groups.size} instance(s), no ${what} used twice`, keys.map((k) => k.file));
  };
  unique("unique-labels", "label", (k) => k.label, (v) => `label ${v}`);
  unique("unique-ports", "port", (k) => k.port, (v) => `port ${v}`);
  unique("unique-state-dirs", "state dir", (k) => k.stateDir, (v) => `state dir ${v}`);
  unique("unique-configs", "config file", (k) => k.config, (v) => `config ${v}`);
  unique("unique-tokens", "gateway token", (k) => k.token, () => "the same gateway token");

  const ports = keys.filter((k) => k.port !== undefined).sort((a, b) => a.port! - b.port!);
  for (let i = 1; i < ports.length; i++) {
    const a = ports[i - 1]!;
    const b = ports[i]!;
    if (a.port !== b.port && b.port! - a.port! < NATIVE_PORT_GAP) {
      add("warn", "port-spacing", "cluster", `ports ${a.port} (${a.subject}) and ${b.port} (${b.subject}) are ${b.port! - a.port!} apart: each gateway also uses base + 2 … base + 110 (browser control, CDP), so keep ${NATIVE_PORT_GAP} apart unless the browser is off`, [a.file, b.file]);
    }
  }
  const dirs = keys.filter((k) => k.stateDir);
  for (const a of dirs) for (const b of dirs) {
    if (a !== b && inside(b.stateDir!, a.stateDir!)) add("fail", "nested-state-dirs", "cluster", `state dir of ${b.subject} is inside the one of ${a.subject}`, [a.file, b.file]);
  }
}

/** Audit instances (pure). `strict` makes warnings fail the audit. */
export function auditInstances(dir: string, plists: Instance[], opts: { strict?: boolean } = {}): AuditResult {
  const findings: Finding[] = [];
  const add: AddFinding = (level, check, subject, message, files) => findings.push({ level, check, subject, message, files });
  const instances = plists.filter((p) => p.parseError === undefined && isOpenclawInstance(p.plist));

  for (const p of plists) {
    if (p.parseError !== undefined) add("fail", "parse", path.basename(p.file), `not a valid plist: ${p.parseError}`, [p.file]);
  }
  const keys = instances.map((inst) => auditInstance(inst, add));
  auditCluster(keys, add);

  const counts: Record<Level, number> = { pass: 0, warn: 0, fail: 0 };
  for (const f of findings) counts[f.level]++;
  return { dir, plists: plists.length, instances: instances.length, findings, counts, ok: counts.fail === 0 && (!opts.strict || counts.warn === 0) };
}

/** Parse plist bytes (XML or binary). @throws Error with the parser's message. */
export function parsePlistBytes(buf: Buffer): unknown {
  if (buf.subarray(0, 8).toString("latin1") === "bplist00") {
    const objs = parseBinary(buf) as unknown;
    return Array.isArray(objs) ? objs[0] : objs;
  }
  // The XML parser (xmldom, inside npm plist) reports problems on console.error/warn before it
  // throws; keep them out of the audit's output and put the first one in the error instead.
  const said: string[] = [];
  const { error, warn } = console;
  console.error = (...a: unknown[]) => void said.push(a.map(String).join(" "));
  console.warn = console.error;
  try {
    return parsePlist(buf.toString("utf8"));
  } catch (err) {
    const detail = said.map((s) => s.replace(/\s+/g, " ").trim()).find(Boolean);
    throw new Error(detail ? `${(err as Error).message} (${detail})` : (err as Error).message);
  } finally {
    console.error = error;
    console.warn = warn;
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

/** Resolve `${VAR}` the way OpenClaw does: upper-case names only, from the process env of the instance. */
function resolveRef(value: string, env: Record<string, string>): { value?: string; missing?: string } {
  const m = /^\$\{([A-Z_][A-Z0-9_]*)\}$/.exec(value);
  if (!m) return { value };
  const v = env[m[1]!];
  return v ? { value: v } : { missing: m[1]! };
}

/** Facts of one instance from disk: state dir, config, secrets file mode, token fingerprint. */
export async function instanceFacts(plist: unknown): Promise<Instance["facts"]> {
  const facts: Instance["facts"] = {};
  if (!isDict(plist)) return facts;
  const env = isDict(plist.EnvironmentVariables) ? (plist.EnvironmentVariables as Record<string, unknown>) : {};
  const stateDir = typeof env.OPENCLAW_STATE_DIR === "string" && path.isAbsolute(env.OPENCLAW_STATE_DIR) ? env.OPENCLAW_STATE_DIR : undefined;
  if (!stateDir) return facts;
  facts.stateDirExists = await exists(stateDir);
  facts.configPath = typeof env.OPENCLAW_CONFIG_PATH === "string" && env.OPENCLAW_CONFIG_PATH ? env.OPENCLAW_CONFIG_PATH : path.join(stateDir, "openclaw.json");
  facts.configExists = await exists(facts.configPath);
  // The instance's environment as OpenClaw assembles it: the plist's variables win over the state dir's .env.
  const procEnv: Record<string, string> = {};
  const envFile = path.join(stateDir, ".env");
  try {
    facts.envFileMode = (await stat(envFile)).mode & 0o777;
    Object.assign(procEnv, parseDotenv(await readFile(envFile, "utf8")));
  } catch {
    /* no .env */
  }
  for (const [k, v] of Object.entries(env)) if (typeof v === "string") procEnv[k] = v;

  let token: string | undefined;
  let problem: string | undefined;
  if (facts.configExists) {
    try {
      const cfg = JSON5.parse(await readFile(facts.configPath, "utf8")) as Dict;
      const auth = isDict(cfg.gateway) && isDict(cfg.gateway.auth) ? cfg.gateway.auth : {};
      if (typeof auth.token === "string") {
        const r = resolveRef(auth.token, procEnv);
        if (r.value) token = r.value;
        else problem = `gateway.auth.token names \${${r.missing}}, which neither the plist nor ${envFile} defines: the gateway would start with a random token (nobody could connect)`;
      }
    } catch (err) {
      problem = `cannot read ${facts.configPath}: ${(err as Error).message}`;
    }
  }
  if (!token && !problem && procEnv.OPENCLAW_GATEWAY_TOKEN) token = procEnv.OPENCLAW_GATEWAY_TOKEN;
  if (!token && !problem && facts.configExists) problem = "no gateway token (gateway.auth.token or OPENCLAW_GATEWAY_TOKEN): the gateway would start with a random token";
  if (token) facts.tokenFingerprint = createHash("sha256").update(token).digest("hex").slice(0, 16);
  if (problem) facts.tokenProblem = problem;
  return facts;
}

/** `*.plist` files in `dir` and in its `launchd/` folder (a federation root), sorted. */
async function plistFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of [dir, path.join(dir, "launchd")]) {
    let names: string[];
    try {
      names = await readdir(d);
    } catch {
      continue;
    }
    for (const n of names.sort()) if (n.endsWith(".plist")) out.push(path.join(d, n));
  }
  return out;
}

/**
 * Audit every plist in `dir` (and `dir/launchd/`).
 * @throws Error with code ENOENT when `dir` does not exist.
 */
export async function auditLaunchAgents(dir: string, opts: { strict?: boolean } = {}): Promise<AuditResult> {
  const abs = path.resolve(dir);
  await stat(abs); // throws ENOENT for a missing folder
  const instances: Instance[] = [];
  for (const file of await plistFiles(abs)) {
    try {
      const plist = parsePlistBytes(await readFile(file));
      instances.push({ file, plist, facts: isOpenclawInstance(plist) ? await instanceFacts(plist) : {} });
    } catch (err) {
      instances.push({ file, parseError: (err as Error).message.split("\n")[0], facts: {} });
    }
  }
  return auditInstances(abs, instances, opts);
}
