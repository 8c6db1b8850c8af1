/**
 * `generate`: load a spec, compile it for a target, write the result. The library call behind
 * `clawfed generate`; nothing is written unless the spec is valid.
 */
import { readFile } from "node:fs/promises";
import os from "node:os";
import { parse as parseYaml } from "yaml";
import { LABELS } from "../vocabulary/labels.js";
import path from "node:path";
import { compile, type CompileOptions, type TargetName } from "../targets/registry.js";
import type { CompileResult } from "../compile/artifact.js";
import { writeArtifacts, type WriteResult } from "../emit/write.js";
import { RuntimeError, UsageError } from "../errors.js";
import { openclawDist } from "../runtime/openclaw-dist.js";
import { runSync } from "../runtime/exec.js";
import { NATIVE_TARGETS } from "../federation/rules.js";
import type { OpenclawHost, SystemdOptions } from "../targets/host/options.js";
import { loadSpecFile, type LoadedSpec } from "../federation/load.js";
import { imageRefProblem } from "../federation/schema.js";
import type { Federation } from "../federation/normalize.js";
import { defaultOutDir, pickGateways } from "./context.js";

export { defaultOutDir };

export interface GenerateOptions {
  /** Path of the federation spec (YAML). */
  spec: string;
  /** Output directory; default `out/<federation name>` under the current directory. */
  outDir?: string;
  target?: TargetName;
  /** Gateways whose tokens are replaced, or "all". */
  rotate?: string[] | "all";
  /** Tokens (env variable names) replaced as well (`clawfed rotate <link>`). */
  rotateNames?: string[];
  /** Image for every gateway that does not name its own. */
  image?: string;
  /** `.env` variables to drop when the spec no longer uses them (see EnvOptions.forget). */
  forget?: readonly string[];
  dryRun?: boolean;
  /** Write into a non-empty output folder that clawfed did not create (no `.clawfed/manifest.json`). */
  force?: boolean;
  /** Native targets: directory of the gateways (default `~/.clawfed/<federation>`, or the output directory when given). */
  root?: string;
  /** Native targets: Node ≥ 24.16 and OpenClaw entry; default the pinned install in tools/openclaw. */
  openclaw?: Partial<OpenclawHost>;
  /** systemd target: scope, user (default the current user for scope system) and version (default: this host's systemd, else 254). */
  systemd?: Partial<SystemdOptions>;
  /** compose target: subnets in use elsewhere on the host, which new networks avoid (`up` passes them; see allocateSubnets). */
  avoidSubnets?: string[];
  /** kubernetes target: namespace (default `kubernetes.namespace` of the spec, else the federation name). */
  namespace?: string;
  /**
   * Called with the compile result before anything is written; what it throws is thrown and
   * nothing is written (e.g. `up` checks the planned subnets against the host here, so a refused
   * `up` leaves the files as they were).
   */
  check?: (result: CompileResult) => Promise<void> | void;
}

export interface GenerateResult extends WriteResult {
  federation: string;
  target: string;
  specFile: string;
  /** Native targets: the absolute root directory the gateways run in. */
  root?: string;
  /** Warnings from the compile (e.g. a gateway that gets the Docker socket) and the writer. */
  warnings: string[];
  /** The gateways generated, in spec order. */
  gateways: Array<{ id: string }>;
}

/**
 * `--image <ref>` checked against the Docker reference grammar (imageRefProblem), so that no `$`,
 * space or newline reaches compose or the Engine.
 * @throws UsageError (exit 2) for anything that is not an image reference.
 */
export function checkImageFlag(image: string | undefined): void {
  if (image === undefined) return;
  const problem = imageRefProblem(image);
  if (problem) throw new UsageError(`--image: ${problem}`, { hint: "e.g. --image openclaw:2026.9.6-local" });
}

/**
 * Replace the default image (gateways with their own `image` keep it).
 * @throws UsageError when `image` is not a Docker image reference.
 */
export function withImage(fed: Federation, image: string | undefined): Federation {
  checkImageFlag(image);
  if (!image) return fed;
  return { ...fed, image, gateways: fed.gateways.map((g) => (g.image === fed.image ? { ...g, image } : g)) };
}

/** Default root of a native federation: `~/.clawfed/<name>`. */
export function defaultNativeRoot(name: string): string {
  return path.join(os.homedir(), ".clawfed", name);
}

/** Major version of this host's systemd (`systemctl --version`), or undefined without systemd. */
export function hostSystemdVersion(): number | undefined {
  try {
    const r = runSync("systemctl", ["--version"], { timeoutMs: 5_000 });
    const m = r.code === 0 ? /^systemd (\d+)/.exec(r.stdout) : null;
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined; // no systemctl on this host
  }
}

/**
 * Host facts of a native target: root, OpenClaw paths, systemd options.
 * @throws RuntimeError when OpenClaw is not installed and no paths were given; UsageError for a root with `${`.
 */
export function nativeCompileOptions(fedName: string, target: TargetName, opts: Pick<GenerateOptions, "root" | "outDir" | "openclaw" | "systemd">): CompileOptions {
  const root = path.resolve(opts.root ?? opts.outDir ?? defaultNativeRoot(fedName));
  // The root is written into every gateway's openclaw.json, where OpenClaw substitutes ${VAR}.
  if (root.includes("${")) throw new UsageError(`the native root ${JSON.stringify(root)} contains "\${", which OpenClaw would read as an environment variable reference in openclaw.json`, { hint: "choose a --root (or --out) without '$'" });
  let node = opts.openclaw?.node;
  let entry = opts.openclaw?.entry;
  if (!node || !entry) {
    try {
      const dist = openclawDist();
      node ??= dist.nodeBin;
      entry ??= dist.entry;
    } catch (err) {
      throw new RuntimeError(`the ${target} target needs the Node (>= 24.16) and OpenClaw entry the gateways run with: ${(err as Error).message.split("\n")[0]}`, {
        cause: err,
        next: "run scripts/ensure-openclaw.sh, or pass --node <path> and --openclaw-entry <path/to/openclaw.mjs>",
      });
    }
  }
  const out: CompileOptions = { root, openclaw: { node: path.resolve(node), entry: path.resolve(entry) } };
  if (target === "systemd") {
    const scope = opts.systemd?.scope ?? "user";
    out.systemd = {
      scope,
      version: opts.systemd?.version ?? hostSystemdVersion() ?? 254,
      ...(scope === "system" ? { user: opts.systemd?.user ?? os.userInfo().username } : {}),
    };
  }
  return out;
}

/**
 * The subnets of the networks in the compose file generated before in `outDir` (network key →
 * CIDR), for the networks labelled as this federation's: the record that keeps existing networks
 * on their subnets when gateways are added (vocabulary/subnets.ts allocateSubnets). Empty when
 * there is no such file or it cannot be read as YAML: the allocation then follows from the spec alone.
 */
export async function previousSubnets(outDir: string, federation: string): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(path.join(outDir, "docker-compose.yml"), "utf8");
  } catch {
    return new Map(); // no previous compose file (or not ours to read): allocate from the spec alone
  }
  return composeSubnets(text, federation);
}

/**
 * The subnets of the networks a compose file text declares (network key → CIDR), for the networks
 * labelled as `federation`'s. Empty when the text is not YAML.
 */
export function composeSubnets(text: string, federation: string): Map<string, string> {
  const out = new Map<string, string>();
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    return out;
  }
  const networks = (doc as { networks?: Record<string, unknown> } | null)?.networks;
  if (!networks || typeof networks !== "object") return out;
  for (const [key, net] of Object.entries(networks)) {
    const n = net as { labels?: Record<string, unknown>; ipam?: { config?: Array<{ subnet?: unknown }> } } | null;
    const subnet = n?.ipam?.config?.[0]?.subnet;
    if (n?.labels?.[LABELS.federation] === federation && typeof subnet === "string") out.set(key, subnet);
  }
  return out;
}

/** The compose file text of a compile result (compose target), if it has one. */
export function compiledComposeText(result: CompileResult): string | undefined {
  const f = result.artifacts.find((a) => a.kind === "file" && a.path === "docker-compose.yml");
  return f && f.kind === "file" ? f.content : undefined;
}

/**
 * Load, compile and write.
 * @throws SpecError for an invalid spec (nothing written); UsageError for an unknown gateway in
 *   `rotate`, an `image` that is not a Docker image reference or a native root with `${`.
 */
export async function generate(opts: GenerateOptions): Promise<GenerateResult> {
  const target = opts.target ?? "compose";
  checkImageFlag(opts.image);
  if (target === "ecs" && opts.rotate !== undefined) {
    throw new UsageError("--rotate does not apply to --target ecs: Secrets Manager generates and keeps the tokens", { hint: "put a new value with aws secretsmanager put-secret-value, then force a new deployment of every service that reads it (see the app's README)" });
  }
  const loaded: LoadedSpec = await loadSpecFile(opts.spec, { target });
  const fed = withImage(loaded.federation, opts.image);
  if (Array.isArray(opts.rotate)) pickGateways(fed, opts.rotate, "--rotate");
  const native = NATIVE_TARGETS.has(target);
  const compileOpts: CompileOptions = native ? nativeCompileOptions(fed.name, target, opts) : opts.namespace !== undefined ? { namespace: opts.namespace } : {};
  // A native federation is generated where it runs (its root), unless told otherwise.
  const outDir = opts.outDir ?? (native ? compileOpts.root! : defaultOutDir(fed.name));
  if (target === "compose") {
    compileOpts.previousSubnets = await previousSubnets(outDir, fed.name);
    if (opts.avoidSubnets) compileOpts.avoidSubnets = opts.avoidSubnets;
  }
  const result: CompileResult = compile(fed, target, compileOpts);
  if (opts.check) await opts.check(result);
  const written = await writeArtifacts(result, { outDir, specFile: loaded.file, rotate: opts.rotate, forget: opts.forget, rotateNames: opts.rotateNames, dryRun: opts.dryRun, force: opts.force });
  const warnings = [...result.warnings, ...written.warnings];
  if (native && path.resolve(outDir) !== compileOpts.root) {
    warnings.push(`the generated files point at ${compileOpts.root}; copy ${path.resolve(outDir)} there before starting the gateways (or generate with --root ${path.resolve(outDir)})`);
  }
  return { ...written, federation: fed.name, target, specFile: loaded.file, ...(native ? { root: compileOpts.root } : {}), warnings, gateways: fed.gateways.map((g) => ({ id: g.id })) };
}
