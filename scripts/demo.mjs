#!/usr/bin/env node
// `npm run demo`: run the main job on this machine. federations/korax.yaml becomes three real
// OpenClaw gateways on Docker, generated into out/korax/, started with the real compose, and
// waited for until every gateway is healthy; then one line per gateway. It installs what is
// missing on the way (Docker + compose through scripts/provision-docker.sh, the OpenClaw image
// built offline from npm) and leaves the federation running.
//
// Usage: node scripts/demo.mjs [--spec federations/korax.yaml] [--out out/korax] [--timeout 300s]
// Needs dist/ (npm run build; `npm run demo` builds first).
// Exit codes: 0 every gateway healthy; 1 invalid spec; 2 bad usage; 3 something failed on the way
// (Docker, image, compose, a gateway that did not come up); 70 internal error.
// It never prints a token: compose output passes through clawfed's redaction, and .env values are
// only ever named, never shown.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const EXIT = { ok: 0, spec: 1, usage: 2, runtime: 3, internal: 70 };
const t0 = performance.now();

const say = (line) => process.stderr.write(`demo: ${line}\n`);
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
const since = () => secs(performance.now() - t0);

class DemoError extends Error {
  constructor(message, code = EXIT.runtime) {
    super(message);
    this.code = code;
  }
}

function usage(msg) {
  process.stderr.write(`demo: ${msg}\nusage: node scripts/demo.mjs [--spec federations/korax.yaml] [--out out/<name>] [--timeout 300s]\n`);
  process.exit(EXIT.usage);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: { spec: { type: "string", default: "federations/korax.yaml" }, out: { type: "string" }, timeout: { type: "string" }, help: { type: "boolean", short: "h" } },
    strict: true,
  }));
} catch (err) {
  usage(err.message);
}
if (args.help) {
  process.stdout.write(
    "Run the main job: generate federations/korax.yaml into out/korax/, start it with compose, wait until every gateway is healthy.\n" +
      "usage: node scripts/demo.mjs [--spec federations/korax.yaml] [--out out/<name>] [--timeout 300s]\n",
  );
  process.exit(EXIT.ok);
}

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 20 || (major === 20 && minor < 11)) {
  say(`Node ${process.versions.node} is too old; clawfed needs Node 20.11 or newer`);
  process.exit(EXIT.runtime);
}
if (!existsSync(path.join(ROOT, "dist/cli/main.js"))) {
  say("dist/ is missing; run `npm install` (it builds), or `npm run build`, then try again");
  process.exit(EXIT.runtime);
}
const lib = (p) => import(new URL(`../dist/${p}`, import.meta.url).href);
// The public API (dist/index.js) for everything it offers; the image recipe, durations, compose
// detection and the shared table formatter from their modules.
const { loadFederation, createClawfed, SpecError, RuntimeError } = await lib("index.js");
const { defaultImageTag, ensureOpenClawImage } = await lib("runtime/image/index.js");
const { parseDuration } = await lib("runtime/clock.js");
const { detectCompose } = await lib("runtime/compose.js");
const { table } = await lib("cli/format.js");

/** Run a program with its output on our stderr (progress); resolves with its exit code. */
function runVisible(file, argv) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Create each missing knowledge folder of the spec with one sample file (Docker would create an empty root-owned one). */
async function ensureKnowledge(fed) {
  const { mkdir, stat, writeFile } = await import("node:fs/promises");
  for (const k of fed.knowledge) {
    if (await stat(k.hostPath).then((s) => s.isDirectory(), () => false)) continue;
    try {
      await mkdir(k.hostPath, { recursive: true, mode: 0o755 });
      await writeFile(
        path.join(k.hostPath, "README.md"),
        `# ${k.name}\n\nSample knowledge folder created by clawfed's demo because ${k.hostPath} did not exist.\nPut the real \`${k.name}\` files here; the gateways see them read-only at ${k.mountPath}.\n`,
        { mode: 0o644 },
      );
      say(`created knowledge folder ${k.hostPath} (with a sample README.md; mounted read-only at ${k.mountPath})`);
    } catch (err) {
      throw new DemoError(`cannot create the knowledge folder ${k.hostPath} (${err.code ?? err.message}); create it yourself: sudo mkdir -p ${k.hostPath}`);
    }
  }
}

/**
 * The host ports the federation publishes must be free, or already held by this same federation
 * (a second `npm run demo` finds it running and leaves it so).
 */
async function checkPorts(fed, outDir) {
  const net = await import("node:net");
  const free = (port) =>
    new Promise((resolve) => {
      const srv = net.createServer();
      srv.once("error", () => resolve(false));
      srv.listen({ port, host: "127.0.0.1", exclusive: true }, () => srv.close(() => resolve(true)));
    });
  const { default: Docker } = await import("dockerode");
  const ours = new Set();
  const elsewhere = new Set();
  for (const c of await new Docker().listContainers({ filters: { label: [`com.docker.compose.project=${fed.name}`] } })) {
    const dir = c.Labels["com.docker.compose.project.working_dir"];
    if (dir && path.resolve(dir) !== outDir) elsewhere.add(dir);
    for (const p of c.Ports ?? []) if (p.PublicPort) ours.add(p.PublicPort);
  }
  if (elsewhere.size > 0) {
    throw new DemoError(
      `a "${fed.name}" federation generated elsewhere (${[...elsewhere].join(", ")}) is running with the same compose project; ` +
        `wait for it to end (the e2e tests use it for a few minutes), or stop it: node bin/clawfed.js down ${args.spec} --out ${[...elsewhere][0]}`,
    );
  }
  const busy = [];
  for (const g of fed.gateways) if (!ours.has(g.port) && !(await free(g.port))) busy.push(`${g.port} (${g.id}'s port, held by ${await holder(g.port)})`);
  if (busy.length > 0) {
    throw new DemoError(`host port(s) ${busy.join(", ")} are in use by another program; stop it (or wait for it to finish), or change the ports in ${args.spec}`);
  }
}

/** Who listens on a port, from `ss -ltnp` (e.g. `"openclaw-gatewa",pid=25045`), or "unknown program". */
async function holder(port) {
  const { execFile } = await import("node:child_process");
  return new Promise((resolve) =>
    execFile("ss", ["-ltnpH", `sport = :${port}`], { timeout: 5_000 }, (err, stdout) => {
      const m = !err && /users:\(\((.*?)\)\)/.exec(stdout);
      resolve(m ? m[1].split(",fd=")[0] : "unknown program (see: ss -ltnp)");
    }),
  );
}

/** Names (never values) of the user secrets still empty in .env. */
async function emptySecrets(outDir) {
  const { parse } = await import("dotenv");
  const env = parse(await readFile(path.join(outDir, ".env"), "utf8").catch(() => ""));
  return Object.entries(env)
    .filter(([, v]) => v === "")
    .map(([k]) => k)
    .sort();
}

async function main() {
  const loaded = await loadFederation(args.spec);
  const fed = loaded.federation;
  const outDir = path.resolve(args.out ?? path.join("out", fed.name));
  let timeoutMs = 300_000;
  if (args.timeout) {
    try {
      timeoutMs = parseDuration(args.timeout);
    } catch (err) {
      usage(`--timeout: ${err.message}`);
    }
  }
  say(`${fed.name}: ${fed.gateways.length} gateways (${fed.gateways.map((g) => `${g.id} ${g.role}`).join(", ")}), OpenClaw ${fed.openclawVersion}`);

  say("[1/5] Docker Engine and compose (scripts/provision-docker.sh)");
  const prov = await runVisible("bash", [path.join(ROOT, "scripts/provision-docker.sh")]);
  if (prov !== 0) throw new DemoError(`Docker is not usable here (scripts/provision-docker.sh exited ${prov}; its message is above)`);

  // The spec may name its own image; otherwise build the official layout locally (no registry needed).
  let image = loaded.spec.openclaw.image;
  if (image) say(`[2/5] image ${image} (named by the spec; used as is)`);
  else {
    image = defaultImageTag(fed.openclawVersion);
    say(`[2/5] image ${image} (built offline from the npm release when missing; about 1-2 minutes the first time)`);
    await ensureOpenClawImage({ version: fed.openclawVersion, tag: image, onProgress: (l) => say(`  ${l}`) });
  }

  say("[3/5] knowledge folders and host ports");
  await ensureKnowledge(fed);
  await checkPorts(fed, outDir);

  say(`[4/5] generate into ${path.relative(process.cwd(), outDir) || "."}/ and start with compose; waiting until every gateway is healthy (up to ${secs(timeoutMs)})`);
  const ac = new AbortController();
  const onSignal = () => {
    if (ac.signal.aborted) process.exit(130);
    say("interrupted: stopping the wait (the gateways keep running; stop them with the command below)");
    ac.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const upWallStart = Date.now();
  const clawfed = createClawfed();
  let res;
  try {
    res = await clawfed.up(args.spec, { out: outDir, image, timeoutMs, onProgress: (l) => say(`  ${l}`), signal: ac.signal });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  for (const g of res.gateways) if (!g.ok) say(`  ${g.id} did not come up: ${g.reason}`);

  say("[5/5] health of every gateway");
  const st = await clawfed.status(args.spec, { out: outDir });
  const upById = new Map(res.gateways.map((g) => [g.id, g]));
  const rows = [["GATEWAY", "ROLE", "URL", "HEALTH", "STARTUP"]];
  for (const g of st.gateways) {
    const u = upById.get(g.id);
    // Started by this run, or found running (then its startup time is not ours to measure).
    const startedNow = g.container?.startedAt !== undefined && Date.parse(g.container.startedAt) >= upWallStart - 2_000;
    let health = g.state;
    // /readyz also checks channels (e.g. Telegram, which needs its bot token and the internet).
    if (g.state === "not-ready") health = `healthy (live, started; /readyz: not ready${g.probes?.readyz.failing?.length ? `: ${g.probes.readyz.failing.join(", ")}` : ""})`;
    else if (!g.healthy) health = g.problems.join("; ") || g.state;
    const startup = !u?.ok ? "-" : startedNow ? secs(u.ms) : `running for ${g.container?.uptimeS ?? "?"} s`;
    rows.push([g.id, g.role, g.url ?? "-", health, startup]);
  }
  process.stdout.write(`\n${table(rows)}\n\n`);
  const down = `node bin/clawfed.js down ${args.spec}${args.out ? ` --out ${args.out}` : ""}`;
  if (!res.ok || !st.healthy) {
    const bad = st.gateways.filter((g) => !g.healthy).map((g) => g.id);
    // The last lines of each failed gateway's log, secrets redacted: usually the reason itself.
    for (const id of bad) {
      let text = "";
      await clawfed.logs(args.spec, { out: outDir, gateway: id, sink: { stdout: (t) => (text += t), stderr: (t) => (text += t) }, tail: 12 }).catch((err) => (text = `(no logs: ${err.message})`));
      process.stdout.write(`--- last lines of ${id}'s log (secrets redacted):\n${text.trimEnd()}\n`);
    }
    process.stdout.write(
      `${fed.name}: not every gateway is healthy (${bad.join(", ") || res.gateways.filter((g) => !g.ok).map((g) => g.id).join(", ")}).\n` +
        `Look at: node bin/clawfed.js logs ${args.spec} <gateway>   and   node bin/clawfed.js status ${args.spec}\n` +
        `Stop it: ${down}\n`,
    );
    return EXIT.runtime;
  }
  const slowest = Math.max(...res.gateways.map((g) => g.ms));
  const fresh = st.gateways.filter((g) => g.container?.startedAt !== undefined && Date.parse(g.container.startedAt) >= upWallStart - 2_000).length;
  process.stdout.write(
    fresh === 0
      ? `${fed.name}: all ${st.gateways.length} gateways healthy (they were already running; nothing to start). The demo took ${since()}.\n`
      : `${fed.name}: all ${st.gateways.length} gateways healthy. Generate + compose up + wait: ${secs(res.ms)}; ` +
          `the slowest gateway reported started ${secs(slowest)} after compose up returned. The whole demo took ${since()}.\n`,
  );
  process.stdout.write(`Files: ${outDir} (tokens in .env, mode 0600; never printed).\n`);
  const empty = await emptySecrets(outDir);
  if (empty.length) process.stdout.write(`To let the agents work, fill in ${empty.join(", ")} in ${path.join(outDir, ".env")} and run \`npm run demo\` again.\n`);
  const cli = await detectCompose();
  process.stdout.write(`The federation keeps running. Stop it with: ${down}   (or: cd ${outDir} && ${[cli.file, ...cli.prefix].join(" ")} down)\n`);
  return EXIT.ok;
}

try {
  process.exitCode = await main();
} catch (err) {
  if (err instanceof SpecError) {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = EXIT.spec;
  } else if (err instanceof DemoError || err instanceof RuntimeError) {
    process.stderr.write(`demo: error: ${err.message}\n`);
    process.exitCode = err.code ?? EXIT.runtime;
  } else {
    process.stderr.write(`demo: internal error: ${err?.stack ?? err}\nThis is a bug in clawfed; please report it.\n`);
    process.exitCode = EXIT.internal;
  }
}
