// Interrupted restore and remove for real: the Docker Engine, three real OpenClaw gateways (a hub
// and the spokes alpha and beta), the built CLI. The process is SIGKILLed by the test-only hook
// (CLAWFED_TEST_STOP_AT_STEP with NODE_ENV=test) at a chosen step boundary, then recovered:
//  - `restore --force --only alpha,beta` of a backup taken while each spoke's state marker said v1
//    (the markers say v2 before every restore):
//      killed after both spokes were stopped, then `abort`: both run again on their own state (v2);
//      killed after the state volumes were emptied, then `resume`: restored (v1);
//      killed mid-restore of the second gateway's state, then `abort`: past the point of no
//      return, so the restore is finished (v1);
//    each time every gateway reports healthy, each spoke has exactly one container, no journal left;
//  - `remove beta` killed after the spec and the output were rewritten (its container removed, the
//    hub not recreated yet): `abort` puts everything back (spec and compose file byte for byte,
//    beta in a new container on its own state); killed there again, `up` refuses (exit 3) and
//    `resume` finishes it: nothing of beta is left (container, volume, networks, tokens, spec
//    entry), the hub and alpha are healthy, beta's backup verifies.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FederationStatus } from "../../src/ops/status.js";
import type { RecoverResult } from "../../src/ops/recover.js";
import { JOURNAL_PATH, type Journal } from "../../src/vocabulary/journal.js";
import { LABELS } from "../../src/vocabulary/labels.js";
import { runCli } from "../helpers/cli.js";
import { docker, execIn, leftOvers, serviceContainer } from "../helpers/docker.js";
import { TEST_IMAGE } from "../helpers/setup-docker.js";

const FED = "cfjopse";
const PORTS = { hub: 28630, alpha: 28631, beta: 28632 };
const MARKER = "/home/node/.openclaw/cfjo-marker";
const log = (line: string) => process.stderr.write(`[journal-ops-e2e] ${line}\n`);

let dir: string;
let spec: string;
let outDir: string;
let archive: string;

const cli = (args: string[], env?: NodeJS.ProcessEnv) => runCli([...args, "--out", outDir], { timeoutMs: 600_000, env });
const killedAt = (n: number) => ({ ...process.env, NODE_ENV: "test", CLAWFED_TEST_STOP_AT_STEP: String(n) });
const journalFile = () => path.join(outDir, JOURNAL_PATH);
const json = <T>(stdout: string): T => JSON.parse(stdout) as T;

/** The containers of a gateway (a leftover included; throw-away jobs excluded). */
async function containersOf(id: string) {
  const list = await docker().listContainers({ all: true, filters: { label: [`${LABELS.federation}=${FED}`, `${LABELS.gateway}=${id}`] } });
  return list.filter((c) => !c.Labels[LABELS.kind]);
}

async function setMarker(id: string, value: string): Promise<void> {
  const c = await serviceContainer(FED, id);
  expect((await execIn(c.Id, ["sh", "-c", `echo ${value} > ${MARKER}`])).code).toBe(0);
}

async function marker(id: string): Promise<string> {
  const c = await serviceContainer(FED, id);
  return (await execIn(c.Id, ["cat", MARKER])).stdout.trim();
}

/** Every gateway healthy, each spoke in exactly one running container, no journal left. */
async function consistent(ids: string[]): Promise<void> {
  expect(existsSync(journalFile())).toBe(false);
  const st = json<FederationStatus>((await cli(["status", spec, "--json"])).stdout);
  expect(st.gateways.map((g) => [g.id, g.healthy])).toEqual(ids.map((id) => [id, true]));
  for (const id of ids) expect((await containersOf(id)).map((c) => c.State), id).toEqual(["running"]);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "cfjo-e2e-"));
  spec = path.join(dir, `${FED}.yaml`);
  outDir = path.join(dir, "out");
  archive = path.join(dir, "spokes.tar.gz");
  await writeFile(
    spec,
    `# journal-ops e2e federation
name: ${FED}
gateways:
  hub: { role: hub, port: ${PORTS.hub}, description: The hub., model: anthropic/claude-sonnet-4-6 }
  alpha: { role: spoke, port: ${PORTS.alpha}, description: First spoke., model: anthropic/claude-sonnet-4-6 }
  beta: { role: spoke, port: ${PORTS.beta}, description: Second spoke (removed at the end)., model: anthropic/claude-sonnet-4-6 }
links:
  - { from: hub, to: alpha }
  - { from: hub, to: beta }
`,
  );
  const up = await cli(["up", spec, "--image", TEST_IMAGE, "--timeout", "300s"]);
  if (up.code !== 0) log(up.stderr);
  expect(up.code).toBe(0);
  for (const id of ["alpha", "beta"]) await setMarker(id, "v1");
  const b = await cli(["backup", spec, "--only", "alpha,beta", "--file", archive, "--json"]);
  if (b.code !== 0) log(b.stderr);
  expect(b.code).toBe(0);
}, 900_000);

afterAll(async () => {
  if (outDir) {
    if (existsSync(journalFile())) await cli(["abort", spec]).catch(() => undefined);
    await cli(["down", spec, "--volumes"]).catch(() => undefined);
  }
  if (dir) await rm(dir, { recursive: true, force: true });
}, 600_000);

/**
 * Restore with --only alpha,beta (both running): boundaries 1-4 the two stops, 5-6 stage, 7-8
 * swap-files, 9-10 containers (each state emptied), 11-12 the first gateway's state, 13-14 the
 * second's, 15-16 start.
 */
const restoreCases = [
  { n: 4, what: /:stop ran/, action: "abort", want: "v2", why: "both spokes stopped, nothing replaced yet" },
  { n: 10, what: /containers ran/, action: "resume", want: "v1", why: "the state volumes emptied" },
  { n: 13, what: /:state started/, action: "abort", want: "v1", why: "mid-restore of the second gateway's state" },
] as const;

describe("a restore killed at a step boundary ends healthy after resume or abort", () => {
  for (const c of restoreCases) {
    it(`boundary ${c.n} (${c.why}), then ${c.action}: marker ${c.want}`, async () => {
      for (const id of ["alpha", "beta"]) await setMarker(id, "v2");
      const killed = await cli(["restore", spec, "--from", archive, "--force", "--only", "alpha,beta"], killedAt(c.n));
      expect(killed.stderr).toMatch(new RegExp(`clawfed test hook: SIGKILL at step boundary ${c.n} \\(.*${c.what.source}`));
      expect(killed.code).not.toBe(0);
      const j = JSON.parse(await readFile(journalFile(), "utf8")) as Journal;
      expect(j.operation).toBe("restore");
      if (c.n === 10) expect(j.steps.find((s) => s.key === "containers")?.status).toBe("started");
      const t0 = performance.now();
      const rec = await cli([c.action, spec, "--json"]);
      if (rec.code !== 0) log(rec.stderr);
      expect(rec.code).toBe(0);
      expect(json<RecoverResult>(rec.stdout)).toMatchObject({ ok: true, operation: "restore", action: c.action });
      await consistent(["alpha", "beta", "hub"]);
      for (const id of ["alpha", "beta"]) expect(await marker(id), id).toBe(c.want);
      log(`restore killed at ${c.n}, ${c.action} in ${((performance.now() - t0) / 1000).toFixed(1)} s → marker ${c.want}`);
    });
  }
});

describe("a remove killed at a step boundary", () => {
  it("killed after generate, then abort: the spec byte for byte, beta back on its own state in a container compose recreated, its networks unchanged", async () => {
    const specBefore = await readFile(spec, "utf8");
    const composeBefore = await readFile(path.join(outDir, "docker-compose.yml"), "utf8");
    const betaBefore = (await containersOf("beta"))[0]!.Id;
    const killed = await cli(["remove", spec, "beta"], killedAt(10));
    expect(killed.stderr).toContain("clawfed test hook: SIGKILL at step boundary 10 (generate ran)");
    expect(await containersOf("beta")).toEqual([]);
    const rec = await cli(["abort", spec, "--json"]);
    if (rec.code !== 0) log(rec.stderr);
    expect(rec.code).toBe(0);
    expect(json<RecoverResult>(rec.stdout)).toMatchObject({ ok: true, operation: "remove", action: "abort", gateways: [{ id: "beta", outcome: "rolled-back" }] });
    expect(await readFile(spec, "utf8")).toBe(specBefore);
    expect(await readFile(path.join(outDir, "docker-compose.yml"), "utf8")).toBe(composeBefore);
    await consistent(["alpha", "beta", "hub"]);
    expect((await containersOf("beta"))[0]!.Id).not.toBe(betaBefore);
    expect(await marker("beta")).toBe("v1");
  });

  it("killed after generate (spec and output rewritten, hub not recreated yet): up refuses, resume finishes, nothing of beta is left", async () => {
    const envBefore = parseDotenv(await readFile(path.join(outDir, ".env"), "utf8"));
    expect(Object.keys(envBefore).some((k) => k.includes("BETA"))).toBe(true);
    const killed = await cli(["remove", spec, "beta"], killedAt(10));
    expect(killed.stderr).toContain("clawfed test hook: SIGKILL at step boundary 10 (generate ran)");
    expect(Object.keys((parseYaml(await readFile(spec, "utf8")) as { gateways: object }).gateways)).toEqual(["hub", "alpha"]);
    const refused = await cli(["up", spec]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/up refused: an unfinished remove of cfjopse/);
    const t0 = performance.now();
    const rec = await cli(["resume", spec, "--json"]);
    if (rec.code !== 0) log(rec.stderr);
    expect(rec.code).toBe(0);
    const res = json<RecoverResult>(rec.stdout);
    expect(res).toMatchObject({ ok: true, operation: "remove", action: "resume", gateways: [{ id: "beta", outcome: "finished" }] });
    log(`remove killed at 10, resumed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await consistent(["alpha", "hub"]);
    expect(await marker("alpha")).toBe("v1");
    const left = await leftOvers(FED);
    expect([...left.containers, ...left.networks, ...left.volumes].filter((n) => n.includes("beta"))).toEqual([]);
    const env = parseDotenv(await readFile(path.join(outDir, ".env"), "utf8"));
    expect(Object.keys(env).filter((k) => k.includes("BETA"))).toEqual([]);
    const file = /its backup: (\S+)/.exec(res.gateways[0]!.detail)?.[1];
    expect(file).toBeDefined();
    const v = await runCli(["backup", "verify", file!, "--json"], { timeoutMs: 120_000 });
    expect(v.code).toBe(0);
    expect(json<{ gateways: Array<{ id: string }> }>(v.stdout).gateways.map((g) => g.id)).toEqual(["beta"]);
  });
});
