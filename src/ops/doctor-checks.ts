/**
 * The checks of `clawfed doctor` (ops/doctor.ts), in the order they run. Each is
 * `{name, description, run(input) → Finding[]}`; add one by adding an entry to {@link DOCTOR_CHECKS}.
 * None changes anything: they read the spec, the output folder, the engine and this host, and run
 * OpenClaw's own doctor in its read-only lint mode.
 */
import path from "node:path";
import pMap from "p-map";
import { LABELS } from "../vocabulary/labels.js";
import { planEnv } from "../vocabulary/env-plan.js";
import { ENV_FILE } from "../emit/env-file.js";
import { isOwned, PREVIOUS_SUFFIX } from "../runtime/containers.js";
import { imageBuildCommand } from "../runtime/image/recipe.js";
import { runDoctorLint } from "../runtime/openclaw-doctor.js";
import { formatBytes } from "../runtime/clock.js";
import type { DoctorCheck, DoctorInput, Finding, FindingStatus } from "./doctor.js";
import { driftOf } from "./drift.js";
import { journalWarning } from "./journal.js";
import { countLeftovers, findRehearsalLeftovers, leftoverRemoveCommand, REHEARSAL_KIND } from "./rehearsal-leftovers.js";
import { outFlag } from "./context.js";
import { COMPOSE_FILE } from "./regenerate.js";
import { sizeMiB } from "../targets/host/shared.js";

/** Oldest Docker Engine clawfed is tested against (Debian bookworm's docker.io). */
export const MIN_DOCKER_VERSION = [20, 10] as const;
/** Free bytes below which a file system that holds state or backups fails the disk check. */
export const DISK_FAIL_BYTES = 1024 ** 3;
/** Free bytes below which it warns (a backup holds every gateway's state, ~100 MiB-1 GiB each). */
export const DISK_WARN_BYTES = 5 * 1024 ** 3;
/** OpenClaw lint runs at once (each is a Node process of ~200 MiB inside a gateway). */
const LINT_CONCURRENCY = 2;
/**
 * Smallest memory limit (MiB) of a gateway whose container may host OpenClaw's doctor beside the
 * gateway: the gateway takes ~700-750 MiB (README), the lint process ~300 MiB more. Observed in
 * test/e2e/plan-doctor.test.ts: in a gateway limited to 768 MiB the lint was killed (exit 137) and
 * took the gateway down with it; below this limit the check is not run (a warning says why).
 */
export const LINT_MIN_MEMORY_MIB = 1536;
/**
 * OpenClaw findings that are how clawfed deploys on purpose, with the reason (reported as ok):
 * the gateway binds all interfaces inside its container, and compose publishes that port on
 * 127.0.0.1 only (README "What you get").
 */
const EXPECTED_OPENCLAW: Record<string, string> = {
  "gateway.bind_network_accessible": "expected: the gateway binds 0.0.0.0 inside its container; compose publishes the port on 127.0.0.1 only",
};

const cmd = (input: DoctorInput, verb: string) => `clawfed ${verb} ${input.ctx.loaded.file}${outFlag(input.ctx)}`;
const f = (check: string, status: FindingStatus, detail: string, extra: Partial<Finding> = {}): Finding => ({ check, status, ...extra, detail });

const docker: DoctorCheck = {
  name: "docker",
  description: "the Docker Engine answers; its version",
  async run(input) {
    const facts = await input.engineFacts();
    const [major = 0, minor = 0] = facts.version.split(/[.+-]/).map(Number);
    const old = major < MIN_DOCKER_VERSION[0] || (major === MIN_DOCKER_VERSION[0] && minor < MIN_DOCKER_VERSION[1]);
    return [
      old
        ? f("docker", "warn", `Docker Engine ${facts.version} (API ${facts.apiVersion}) is older than ${MIN_DOCKER_VERSION.join(".")}`, { fix: "upgrade Docker Engine" })
        : f("docker", "ok", `Docker Engine ${facts.version} (API ${facts.apiVersion})`),
    ];
  },
};

const compose: DoctorCheck = {
  name: "compose",
  description: "a compose CLI is installed; its version",
  async run(input) {
    const cli = await input.deps.composeCli();
    return [f("compose", "ok", `${cli.flavour === "v2" ? "docker compose" : "docker-compose"} ${cli.version} (${cli.flavour})`)];
  },
};

const image: DoctorCheck = {
  name: "image",
  description: "every image the generated compose file names is present locally",
  async run(input) {
    const wanted = await input.wanted();
    if (!wanted) return [f("image", "warn", "not checked: nothing generated yet", { fix: cmd(input, "up") })];
    const obs = await input.observed();
    return [...new Set(wanted.services.map((s) => s.image))].sort().map((ref) =>
      obs.imageIds.get(ref)
        ? f("image", "ok", `${ref} is present (${obs.imageIds.get(ref)!.replace(/^sha256:/, "").slice(0, 12)})`)
        : f("image", "fail", `${ref} is not present locally`, { fix: `${imageBuildCommand(ref)} (or docker pull ${ref})` }),
    );
  },
};

const envFile: DoctorCheck = {
  name: "env-file",
  description: ".env exists with mode 0600, every token is set, which of your secrets are empty",
  async run(input) {
    const file = path.join(input.ctx.outDir, ENV_FILE);
    const mode = await input.deps.host.fileMode(file);
    if (mode === undefined) return [f("env-file", "fail", `${file} does not exist (nothing generated yet)`, { fix: cmd(input, "up") })];
    const out: Finding[] = [];
    out.push(
      mode & 0o077
        ? f("env-file", "fail", `${file} has mode 0${mode.toString(8)}: other users can read the tokens`, { fix: `chmod 600 ${file}` })
        : f("env-file", "ok", `${file} has mode 0${mode.toString(8)}`),
    );
    const slots = planEnv(input.ctx.fed, { projectName: true, dockerGid: true });
    const env = input.ctx.env;
    const tokens = slots.filter((s) => s.kind === "token" && !env[s.name]).map((s) => s.name);
    if (tokens.length) out.push(f("env-file", "fail", `tokens missing from .env: ${tokens.join(", ")}`, { fix: cmd(input, "up") }));
    for (const s of slots.filter((x) => x.kind === "user" && !env[x.name])) {
      out.push(f("env-file", "warn", `your secret ${s.name} is empty (given to ${s.consumers.join(", ")})`, { fix: `fill in ${s.name} in ${file}, then ${cmd(input, "up")}` }));
    }
    return out;
  },
};

/** Files a gateway runs with: drift there is a failure; elsewhere (README, workspace bootstrap files) a warning. */
const isRunConfig = (rel: string) => rel === COMPOSE_FILE || /^gateways\/[^/]+\/openclaw\.json$/.test(rel);

const files: DoctorCheck = {
  name: "files",
  description: "the generated files are what the spec generates (drift, hand edits)",
  async run(input) {
    if ((await input.composeOnDisk()) === undefined) return [f("files", "fail", `${input.ctx.outDir} holds no ${COMPOSE_FILE}: not generated yet`, { fix: cmd(input, "up") })];
    const changes = ((await input.preview()).changes ?? []).filter((c) => c.path !== ENV_FILE);
    if (!changes.length) return [f("files", "ok", "every generated file is what the spec generates")];
    const fix = `${cmd(input, "plan")} shows the difference; ${cmd(input, "up")} rewrites the files (edits of generated files are lost: make them in the spec)`;
    return changes.map((c) => {
      const what =
        c.action === "add" ? "is missing" : c.action === "remove" ? "is no longer generated by the spec" : c.action === "mode" ? `has mode 0${(c.modeBefore ?? 0).toString(8)}, not 0${(c.mode ?? 0).toString(8)}` : "differs from what the spec generates";
      return f("files", isRunConfig(c.path) && c.action !== "mode" ? "fail" : "warn", `${c.path} ${what}`, { fix });
    });
  },
};

const containers: DoctorCheck = {
  name: "containers",
  description: "each gateway's container runs what the generated compose file says (image, config hash, env names, labels)",
  async run(input) {
    const wanted = await input.wanted();
    if (!wanted) return [f("containers", "fail", "not checked: nothing generated yet", { fix: cmd(input, "up") })];
    const [obs, hashes] = await Promise.all([input.observed(), input.hashes()]);
    const out: Finding[] = [];
    for (const g of input.ctx.fed.gateways) {
      const want = wanted.services.find((s) => s.id === g.id);
      const info = obs.containers.get(g.id);
      const at = { gateway: g.id };
      if (!want) out.push(f("containers", "fail", `${g.id} is not in ${COMPOSE_FILE} (the spec changed since it was generated)`, { ...at, fix: cmd(input, "up") }));
      else if (!info) out.push(f("containers", "fail", `${g.id} has no container`, { ...at, fix: cmd(input, "up") }));
      else if (!info.running) {
        const how = info.status === "restarting" ? `restarting (exit code ${info.exitCode}, ${info.restartCount} restarts)` : `${info.status}${info.finishedAt ? `, exit code ${info.exitCode}` : ""}`;
        out.push(f("containers", "fail", `${info.name} is not running: ${how}`, { ...at, fix: `${cmd(input, "logs")} ${g.id}, then ${cmd(input, "up")}` }));
      } else {
        const reasons = driftOf(want, info, obs, hashes?.get(want.service));
        for (const r of reasons) out.push(f("containers", "fail", `${info.name}: ${r.detail}`, { ...at, fix: `${cmd(input, "plan")}, then ${cmd(input, "up")} (it recreates the container)` }));
        if (!reasons.length) out.push(f("containers", "ok", `${info.name} runs ${info.image} as generated`, at));
      }
    }
    for (const c of obs.others) {
      const left = c.name.endsWith(PREVIOUS_SUFFIX) || c.labels[LABELS.kind];
      const detail = left ? `${c.name} (${c.status}) is left over from an interrupted rollout or backup` : `${c.name} (${c.status}) belongs to no gateway of the spec`;
      out.push(f("containers", "warn", detail, { fix: left ? `inspect it, then docker rm ${c.name}` : `${cmd(input, "up")} removes it` }));
    }
    return out;
  },
};

const ports: DoctorCheck = {
  name: "ports",
  description: "no container that clawfed does not own, and no other program, holds a gateway's port",
  async run(input) {
    await input.engineFacts();
    const all = await input.deps.engine.listContainers({});
    const out: Finding[] = [];
    for (const g of input.ctx.fed.gateways) {
      const holders = all.filter((c) => c.ports?.some((p) => p.hostPort === g.port));
      const mine = holders.filter((c) => isOwned(input.ctx, c.labels) && c.labels[LABELS.gateway] === g.id);
      const foreign = holders.filter((c) => !mine.includes(c));
      for (const c of foreign) {
        out.push(f("ports", "fail", `port ${g.port} of ${g.id} is published by container ${c.name}, which clawfed does not own for ${g.id}`, { gateway: g.id, fix: `stop it (docker stop ${c.name}) or give ${g.id} another port in the spec` }));
      }
      if (foreign.length) continue;
      if (mine.length) out.push(f("ports", "ok", `port ${g.port} is published by ${mine[0]!.name}`, { gateway: g.id }));
      else if (await input.deps.host.portFree("127.0.0.1", g.port)) out.push(f("ports", "ok", `port ${g.port} is free`, { gateway: g.id }));
      else out.push(f("ports", "fail", `port ${g.port} of ${g.id} is held by a program on this host that is not a container`, { gateway: g.id, fix: `find it (ss -ltnp 'sport = :${g.port}') and stop it, or give ${g.id} another port in the spec` }));
    }
    return out;
  },
};

const disk: DoctorCheck = {
  name: "disk",
  description: "free disk space for the state (Docker's data folder, the output folder) and for backups",
  async run(input) {
    const places: Array<[string, string]> = [
      ["the output folder (workspaces, mailboxes, bind-mounted state)", input.ctx.outDir],
      ["backups", path.join(path.dirname(input.ctx.outDir), "backups")],
    ];
    const root = await input.engineFacts().then((e) => e.rootDir, () => undefined);
    if (root) places.unshift(["Docker's data folder (state volumes, images)", root]);
    // One finding per file system, naming everything on it.
    const byDev = new Map<number, { d: NonNullable<Awaited<ReturnType<typeof input.deps.host.disk>>>; what: string[] }>();
    const out: Finding[] = [];
    for (const [what, p] of places) {
      const d = await input.deps.host.disk(p);
      if (!d) out.push(f("disk", "warn", `cannot measure the free space for ${what} (${p})`));
      else if (byDev.has(d.dev)) byDev.get(d.dev)!.what.push(what);
      else byDev.set(d.dev, { d, what: [what] });
    }
    for (const { d, what } of byDev.values()) {
      const status: FindingStatus = d.freeBytes < DISK_FAIL_BYTES ? "fail" : d.freeBytes < DISK_WARN_BYTES ? "warn" : "ok";
      const detail = `${formatBytes(d.freeBytes)} free of ${formatBytes(d.totalBytes)} at ${d.measured}, for ${what.join("; ")}`;
      out.push(f("disk", status, detail, status === "ok" ? {} : { fix: `free space on the file system of ${d.measured} (at least ${formatBytes(DISK_WARN_BYTES)} is comfortable)` }));
    }
    return out;
  },
};

const openclawDoctor: DoctorCheck = {
  name: "openclaw-doctor",
  description: "OpenClaw's own doctor (read-only lint) inside each running gateway",
  async run(input) {
    const obs = await input.observed();
    const running = input.ctx.fed.gateways.filter((g) => obs.containers.get(g.id)?.running);
    const per = await pMap(
      running,
      async (g): Promise<Finding[]> => {
        const at = { gateway: g.id };
        const mib = memoryMiB(g.resources.memory);
        if (mib !== undefined && mib < LINT_MIN_MEMORY_MIB) {
          return [
            f("openclaw-doctor", "warn", `${g.id}: not run: its memory limit ${g.resources.memory} leaves no room for OpenClaw's doctor (~300 MiB) beside the gateway (~750 MiB); the kernel could kill the gateway`, {
              ...at,
              fix: `give ${g.id} resources.memory of at least ${LINT_MIN_MEMORY_MIB / 1024}g in the spec, or skip this check (--skip openclaw-doctor)`,
            }),
          ];
        }
        const res = await runDoctorLint(input.deps.engine, obs.containers.get(g.id)!.id);
        if (!res.ok) return [f("openclaw-doctor", "warn", `${g.id}: ${res.reason}`, { ...at, fix: `${cmd(input, "logs")} ${g.id}` })];
        if (!res.report.findings.length) return [f("openclaw-doctor", "ok", `${g.id}: no findings (${res.report.checksRun} checks)`, at)];
        return res.report.findings.map((x) => {
          const expected = x.requirement ? EXPECTED_OPENCLAW[x.requirement] : undefined;
          const status: FindingStatus = expected || x.severity === "info" ? "ok" : x.severity === "error" ? "fail" : "warn";
          const detail = `${g.id}: ${x.checkId}: ${oneLine(x.message)}${expected ? ` (${expected})` : ""}`;
          return f("openclaw-doctor", status, detail, { ...at, ...(status !== "ok" && x.fixHint ? { fix: oneLine(x.fixHint) } : {}) });
        });
      },
      { concurrency: LINT_CONCURRENCY },
    );
    const out = per.flat();
    const stopped = input.ctx.fed.gateways.length - running.length;
    if (stopped) out.push(f("openclaw-doctor", "warn", `not run in ${stopped} gateway(s) without a running container`, { fix: cmd(input, "up") }));
    return out;
  },
};

const memoryMiB = (size: string) => {
  try {
    return sizeMiB(size);
  } catch {
    return undefined; // not a size clawfed knows: run the check
  }
};

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, " / ").trim();

/** An operation interrupted part way (ops/journal.ts) leaves the federation between two states. */
const journal: DoctorCheck = {
  name: "journal",
  description: "no operation was interrupted part way",
  async run(input) {
    const w = await journalWarning(input.ctx);
    return [w ? f("journal", "fail", w.message, { fix: w.next }) : f("journal", "ok", "no unfinished operation")];
  },
};

/** A rehearsal killed before its upgrade's journal started leaves scratch resources (ops/rehearsal-leftovers.ts). */
const scratch: DoctorCheck = {
  name: "scratch",
  description: "no scratch container, network or volume of a killed upgrade rehearsal is left",
  async run(input) {
    const l = await findRehearsalLeftovers(input.deps.engine, input.ctx.fed.name);
    const names = [...l.containers, ...l.networks, ...l.volumes];
    if (!names.length) return [f("scratch", "ok", "no scratch resources of a rehearsal left")];
    const detail = `an upgrade's rehearsal was killed and left ${countLeftovers(l)} (label ${LABELS.kind}=${REHEARSAL_KIND}): ${names.join(", ")}`;
    return [f("scratch", "warn", detail, { fix: `${leftoverRemoveCommand(l)} (or run clawfed upgrade again: it removes them first)` })];
  },
};

/** Every check, in the order doctor runs them. */
export const DOCTOR_CHECKS: readonly DoctorCheck[] = [journal, docker, compose, image, envFile, files, containers, ports, disk, scratch, openclawDoctor];
