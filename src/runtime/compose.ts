/**
 * Running the real compose CLI: `docker compose` (v2) when the Docker CLI has the plugin,
 * else `docker-compose` (v1.29). Arguments never carry secrets: compose reads them from the
 * project's `.env` itself.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { RuntimeError } from "../errors.js";
import { run } from "./exec.js";

export interface ComposeCli {
  /** Executable and the arguments that select compose, e.g. ["docker", ["compose"]]. */
  file: string;
  prefix: string[];
  /** "v2" or "v1". */
  flavour: "v2" | "v1";
  version: string;
}

let cached: Promise<ComposeCli> | undefined;

/**
 * Find a compose CLI.
 * @throws RuntimeError naming what to install when neither is present.
 */
export function detectCompose(): Promise<ComposeCli> {
  cached ??= (async () => {
    // A missing program is as good an answer as a failing one: try the next flavour.
    const version = (file: string, args: string[]) => run(file, args, { timeoutMs: 15_000 }).catch(() => undefined);
    const v2 = await version("docker", ["compose", "version", "--short"]);
    if (v2?.code === 0) return { file: "docker", prefix: ["compose"], flavour: "v2" as const, version: v2.stdout.trim() };
    const v1 = await version("docker-compose", ["version", "--short"]);
    if (v1?.code === 0) return { file: "docker-compose", prefix: [], flavour: "v1" as const, version: v1.stdout.trim() };
    throw new RuntimeError("neither `docker compose` (v2) nor `docker-compose` (v1) was found", {
      next: "install Docker Compose (Debian: apt-get install docker-compose; elsewhere: the docker-compose-plugin package), or run scripts/provision-docker.sh",
    });
  })();
  return cached;
}

export interface ComposeProject {
  /** Directory holding docker-compose.yml and .env. */
  dir: string;
  /** Compose project name (the federation name). */
  name: string;
}

/** Base arguments selecting the project, identical for v1 and v2. */
function projectArgs(cli: ComposeCli, p: ComposeProject, file = `${p.dir}/docker-compose.yml`): string[] {
  return [...cli.prefix, "--project-name", p.name, "--project-directory", p.dir, "--file", file];
}

export interface ComposeRunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run a compose subcommand for a project (e.g. ["up", "-d"]) through the one child-process wrapper
 * (./exec.ts). Output is captured; `onLine` receives stderr lines as they come (compose reports
 * progress there). `file` replaces the project's docker-compose.yml (e.g. a candidate file);
 * `timeoutMs` stops compose (exit code 124).
 */
export async function compose(p: ComposeProject, args: string[], opts: { onLine?: (line: string) => void; timeoutMs?: number; file?: string } = {}): Promise<ComposeRunResult> {
  const cli = await detectCompose();
  const onLine = opts.onLine;
  const r = await run(cli.file, [...projectArgs(cli, p, opts.file), ...args], {
    cwd: p.dir,
    timeoutMs: opts.timeoutMs,
    ...(onLine ? { onLine: (l: string, stream: "stdout" | "stderr") => void (stream === "stderr" && onLine(l)) } : {}),
  });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** Milliseconds `compose config --hash` may take (compose v1 is a Python program: ~1 s cold). */
const CONFIG_HASH_TIMEOUT_MS = 30_000;

/**
 * compose's config hash of `service` as defined by the compose file text `composeText` of project
 * `p` (`compose config --hash=<service>`; v1 and v2). The text is written to a private temporary
 * file (compose v1 cannot read a file from stdin) and removed; paths resolve against `p.dir` as
 * for the project's own file, so the hash is the one `compose up` computes for that text.
 * @returns undefined when compose cannot compute it (the caller keeps the old label)
 */
export async function configHash(p: ComposeProject, composeText: string, service: string): Promise<string | undefined> {
  return (await hashesOf(p, composeText, service))?.get(service);
}

/**
 * compose's config hash of every service of the compose file text (`compose config --hash=*`,
 * v1 and v2: one compose run for the whole federation), computed like {@link configHash}.
 * @returns service → hash; undefined when compose cannot compute them
 */
export function configHashes(p: ComposeProject, composeText: string): Promise<Map<string, string> | undefined> {
  return hashesOf(p, composeText, "*");
}

async function hashesOf(p: ComposeProject, composeText: string, which: string): Promise<Map<string, string> | undefined> {
  const tmp = await mkdtemp(path.join(tmpdir(), "clawfed-hash-"));
  try {
    const file = path.join(tmp, "docker-compose.yml");
    await writeFile(file, composeText, { mode: 0o600, flag: "wx" });
    const res = await compose(p, ["config", `--hash=${which}`], { timeoutMs: CONFIG_HASH_TIMEOUT_MS, file }).catch(() => undefined);
    if (!res || res.code !== 0) return undefined;
    const out = new Map<string, string>();
    for (const line of res.stdout.split("\n")) {
      const [name, hash] = line.trim().split(/\s+/);
      if (name && hash && /^[0-9a-f]{16,}$/.test(hash)) out.set(name, hash);
    }
    return out;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
