// `clawfed upgrade` for real: a federation of two real gateways (a hub and one spoke, state in
// named volumes) started on OpenClaw 2026.9.5 from an image built offline (OpenClaw from npm), a
// state marker written into the spoke's state, then:
//   1. a downgrade is refused with exit 2 before anything is looked at;
//   2. an upgrade to an image whose gateway cannot start (a locally built image whose entrypoint
//      exits 1, tagged and labelled as 2026.9.7) fails in the rehearsal, and nothing of the running
//      federation changed: same containers (ids, start times, images), same spec and generated
//      files, same volumes, no scratch container or volume left;
//   3. `upgrade --to 2026.9.6`: every gateway runs openclaw:2026.9.6-local and is healthy, the
//      marker is still there, the spec records 2026.9.6 with its comments kept, and a later
//      `compose up -d` leaves the containers alone.
// Images: openclaw:2026.9.5-local and openclaw:2026.9.6-local are built when missing (cached by
// tag; the first 2026.9.5 build installs it from npm and takes a few minutes).
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { parseDocument } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compose } from "../../src/runtime/compose.js";
import { ensureOpenClawImage } from "../../src/runtime/image/build.js";
import { ensureOpenclawTools } from "../../src/runtime/image/tools.js";
import type { FederationStatus } from "../../src/ops/status.js";
import type { UpgradeOpResult } from "../../src/ops/index.js";
import { runCli } from "../helpers/cli.js";
import { docker, execIn, leftOvers, serviceContainer } from "../helpers/docker.js";

const run = promisify(execFile);
const FED = "cfupg";
const OLD = "2026.9.5";
const NEW = "2026.9.6";
const IMAGE_OLD = `openclaw:${OLD}-local`;
const IMAGE_NEW = `openclaw:${NEW}-local`;
/** The broken "release": its entrypoint exits 1 (it can never start on any state). */
const BROKEN = "2026.9.7";
const IMAGE_BROKEN = `openclaw:${BROKEN}-local`;
const PORTS = { hub: 28260, alpha: 28261 };
const MARKER = "/home/node/.openclaw/upgrade-marker.txt";

const log = (line: string) => process.stderr.write(`[upgrade-e2e] ${line}\n`);

let dir: string;
let spec: string;
let outDir: string;
const cli = (args: string[], timeoutMs = 1_500_000) => runCli([...args, "--out", outDir], { timeoutMs });
const containerOf = (id: string) => serviceContainer(FED, id);

/** What must not change when an upgrade fails before its rollout. */
async function snapshotOfFederation() {
  const gw = await Promise.all(
    ["alpha", "hub"].map(async (id) => {
      const c = await containerOf(id);
      return { id, container: c.Id, started: c.State.StartedAt, image: c.Config.Image, running: c.State.Running };
    }),
  );
  const files: Record<string, string> = {};
  for (const f of ["docker-compose.yml", "gateways/alpha/openclaw.json", "gateways/hub/openclaw.json"]) files[f] = await readFile(path.join(outDir, f), "utf8");
  return { gw, spec: await readFile(spec, "utf8"), files, left: await leftOvers(FED) };
}

beforeAll(async () => {
  const say = (l: string) => log(l);
  const oldTools = await ensureOpenclawTools(OLD, say);
  await ensureOpenClawImage({ version: OLD, toolsDir: oldTools, onProgress: say });
  await ensureOpenClawImage({ version: NEW, onProgress: say });
  dir = await mkdtemp(path.join(tmpdir(), "cf-upgrade-"));
  spec = path.join(dir, `${FED}.yaml`);
  outDir = path.join(dir, "out");
  const ctxDir = path.join(dir, "broken-image");
  await mkdir(ctxDir);
  await writeFile(path.join(ctxDir, "Dockerfile"), `FROM ${IMAGE_NEW}\nLABEL ai.clawfed.openclaw-version="${BROKEN}" org.opencontainers.image.version="${BROKEN}"\nENTRYPOINT ["/bin/sh", "-c", "echo 'clawfed test image: this release cannot start' >&2; exit 1"]\n`);
  await run("docker", ["build", "-q", "-t", IMAGE_BROKEN, ctxDir]);
  await writeFile(
    spec,
    `# upgrade e2e federation
name: ${FED}
openclaw:
  version: ${OLD} # bumped by clawfed upgrade
  image: ${IMAGE_OLD}
gateways:
  hub:
    role: hub
    port: ${PORTS.hub}
    description: The hub.
    model: anthropic/claude-sonnet-4-6
  alpha:
    role: spoke
    port: ${PORTS.alpha}
    description: A spoke whose state carries a marker.
    model: anthropic/claude-sonnet-4-6
links:
  - { from: hub, to: alpha }
`,
  );
}, 1_500_000);

afterAll(async () => {
  if (outDir) await runCli(["down", spec, "--volumes", "--out", outDir], { timeoutMs: 300_000 }).catch(() => undefined);
  await run("docker", ["rmi", IMAGE_BROKEN]).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
}, 300_000);

describe("clawfed upgrade on a real federation", () => {
  it(`starts on ${OLD} and writes a marker into the spoke's state`, async () => {
    const res = await cli(["up", spec, "--timeout", "300s", "--json"], 600_000);
    if (res.code !== 0) log(res.stderr);
    expect(res.code).toBe(0);
    const alpha = await containerOf("alpha");
    expect(alpha.Config.Image).toBe(IMAGE_OLD);
    const w = await execIn(alpha.Id, ["sh", "-c", `echo 'written under ${OLD}' > ${MARKER}`]);
    expect(w.code).toBe(0);
  }, 700_000);

  it("refuses a downgrade without --allow-downgrade (exit 2), changing nothing", async () => {
    const before = await snapshotOfFederation();
    const res = await cli(["upgrade", spec, "--to", "2026.9.4"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--to 2026\.9\.4 is a downgrade \(alpha runs 2026\.9\.5, hub runs 2026\.9\.5\)[\s\S]*--allow-downgrade/);
    expect(await snapshotOfFederation()).toEqual(before);
  });

  it("a failed rehearsal changes nothing in the running federation and leaves no scratch behind", async () => {
    const before = await snapshotOfFederation();
    const t0 = performance.now();
    const res = await cli(["upgrade", spec, "--to", BROKEN, "--health-timeout", "120s", "--json"]);
    log(`failed rehearsal: exit ${res.code} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(res.code).toBe(3);
    const r = JSON.parse(res.stdout) as UpgradeOpResult;
    expect(r).toMatchObject({ ok: false, to: BROKEN, image: IMAGE_BROKEN, imageSource: "present", failedStep: "rehearse", steps: ["image"] });
    expect(r.message).toMatch(/rehearsal of alpha on openclaw:2026\.9\.7-local failed: the scratch gateway exited with code 1 before it started\. Nothing in the running federation changed/);
    expect(r.gateways.map((g) => [g.id, g.outcome, g.rehearsal?.ok])).toEqual([
      ["alpha", "not-touched", false],
      ["hub", "not-touched", undefined],
    ]);
    expect(r.gateways[0]!.rehearsal!.logTail).toContain("clawfed test image: this release cannot start");
    expect(await snapshotOfFederation()).toEqual(before);
    const scratch = await docker().listContainers({ all: true, filters: { label: ["ai.clawfed.kind=rehearsal"] } });
    const scratchVolumes = (await docker().listVolumes({ filters: { label: ["ai.clawfed.kind=rehearsal"] } })).Volumes ?? [];
    const scratchNetworks = await docker().listNetworks({ filters: { label: ["ai.clawfed.kind=rehearsal"] } });
    expect([scratch.length, scratchVolumes.length, scratchNetworks.length]).toEqual([0, 0, 0]);
    expect((await readdir(tmpdir())).filter((n) => n.startsWith(`clawfed-rehearsal-${FED}-`))).toEqual([]);
    const marker = await execIn((await containerOf("alpha")).Id, ["cat", MARKER]);
    expect(marker.stdout).toBe(`written under ${OLD}\n`);
  });

  it(`upgrade --to ${NEW}: rehearsed, rolled out, recorded; the marker survives`, async () => {
    const specBefore = await readFile(spec, "utf8");
    const t0 = performance.now();
    const res = await cli(["upgrade", spec, "--to", NEW, "--json"]);
    if (res.code !== 0) log(`${res.stderr}\n${res.stdout}`);
    expect(res.code).toBe(0);
    const r = JSON.parse(res.stdout) as UpgradeOpResult;
    log(
      `upgrade ${OLD} → ${NEW}: ${((performance.now() - t0) / 1000).toFixed(1)} s wall, ms=${r.ms}; ` +
        r.gateways.map((g) => `${g.id}: rehearsal ${((g.rehearsal?.ms ?? 0) / 1000).toFixed(1)} s (started after ${((g.rehearsal?.startedMs ?? 0) / 1000).toFixed(1)} s), rollout ${((g.rollout?.ms ?? 0) / 1000).toFixed(1)} s, down ${((g.rollout?.downtimeMs ?? 0) / 1000).toFixed(1)} s`).join("; "),
    );
    expect(r).toMatchObject({ ok: true, to: NEW, image: IMAGE_NEW, imageSource: "present", steps: ["image", "rehearse", "rollout", "record"] });
    expect(r.gateways.map((g) => [g.id, g.fromVersion, g.outcome, g.rehearsal?.ok, g.rehearsal?.version, g.rehearsal?.doctor?.errors])).toEqual([
      ["alpha", OLD, "updated", true, NEW, []],
      ["hub", OLD, "updated", true, NEW, []],
    ]);
    // Every gateway on the new image, healthy, reporting the new version.
    const st = JSON.parse((await cli(["status", spec, "--json"])).stdout) as FederationStatus;
    expect(st.gateways.map((g) => [g.id, g.healthy, g.container?.image, g.version])).toEqual([
      ["alpha", true, IMAGE_NEW, NEW],
      ["hub", true, IMAGE_NEW, NEW],
    ]);
    const marker = await execIn((await containerOf("alpha")).Id, ["cat", MARKER]);
    expect(marker.stdout).toBe(`written under ${OLD}\n`);
    // The spec records the version and image; comments and every other line kept.
    const specAfter = await readFile(spec, "utf8");
    expect(parseDocument(specAfter).toJS()).toMatchObject({ openclaw: { version: NEW, image: IMAGE_NEW } });
    expect(specAfter.split("\n").filter((l) => !specBefore.split("\n").includes(l))).toEqual([`  version: ${NEW} # bumped by clawfed upgrade`, `  image: ${IMAGE_NEW}`]);
    expect(await readFile(path.join(outDir, "docker-compose.yml"), "utf8")).toContain(`image: ${IMAGE_NEW}`);
    // compose agrees: a later `compose up -d` recreates nothing.
    const ids = await Promise.all(["alpha", "hub"].map(async (id) => (await containerOf(id)).Id));
    expect((await compose({ dir: outDir, name: FED }, ["up", "-d"])).code).toBe(0);
    expect(await Promise.all(["alpha", "hub"].map(async (id) => (await containerOf(id)).Id))).toEqual(ids);
    const left = await leftOvers(FED);
    expect(left.volumes.filter((v) => /snapshot|rehearsal/.test(v))).toEqual([]);
  }, 1_500_000);
});
