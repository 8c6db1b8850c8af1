// The ecs target's container definition on the real image and a real gateway: goreos of
// federations/korax.yaml started by the Docker Engine exactly as its Fargate task would start it
// (the task definition's command and plain environment, its secrets as environment variables,
// every capability dropped, its mounts as folders: state owned by uid 1000, knowledge read-only,
// mailbox routes), with no network. The boot script must write openclaw.json and the workspace, and
// the gateway must pass the task definition's own health check. Fargate itself is not involved.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chown, mkdir } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadSpecFile } from "../../src/federation/load.js";
import { generatedHeader } from "../../src/vocabulary/names.js";
import { describeEcs, ECS_CONFIG_PATH } from "../../src/targets/ecs/describe.js";
import type { EcsGateway } from "../../src/targets/ecs/description.js";
import { execIn } from "../helpers/docker.js";
import { TEST_IMAGE } from "../helpers/setup-docker.js";
import { tempDir } from "../helpers/tmp.js";

const run = promisify(execFile);
const NAME = `clawfed-e2e-ecs-${randomBytes(4).toString("hex")}`;
const HEALTH_TIMEOUT_MS = 240_000;
let g: EcsGateway;
let containerId = "";

beforeAll(async () => {
  const spec = "federations/korax.yaml";
  const d = describeEcs((await loadSpecFile(spec, { target: "ecs" })).federation, generatedHeader(spec));
  g = d.gateways.find((x) => x.id === "goreos")!;
  const root = await tempDir("ecs-task");
  const volumes: string[] = [];
  for (const m of g.mounts) {
    const host = path.join(root, m.accessPoint);
    await mkdir(host, { recursive: true });
    // What the access point enforces: uid/gid 1000 own the root directory.
    await chown(host, 1000, 1000);
    volumes.push("-v", `${host}:${m.containerPath}${m.readOnly ? ":ro" : ""}`);
  }
  // Secrets through the docker CLI's environment (`-e NAME` without a value), never its argv.
  const secrets = Object.fromEntries(Object.keys(g.secrets).map((k) => [k, `clawfed-e2e-${k.toLowerCase()}-${randomBytes(8).toString("hex")}`]));
  const env = { ...g.environment, ...secrets };
  const args = ["run", "-d", "--name", NAME, "--network", "none", "--cap-drop", "ALL", ...volumes];
  for (const k of Object.keys(env)) args.push("-e", k);
  args.push(TEST_IMAGE, ...g.command);
  const { stdout } = await run("docker", args, { env: { PATH: process.env.PATH, ...env } });
  containerId = stdout.trim();
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  for (;;) {
    const res = await execIn(containerId, g.healthCheck.command.slice(1), { timeoutMs: 15_000 }).catch(() => ({ code: -1 }));
    if (res.code === 0) break;
    if (Date.now() > deadline) {
      const logs = await run("docker", ["logs", "--tail", "40", containerId]).catch(() => ({ stdout: "", stderr: "" }));
      throw new Error(`goreos's task did not pass its health check in ${HEALTH_TIMEOUT_MS / 1000} s:\n${logs.stdout}${logs.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 3_000));
  }
}, HEALTH_TIMEOUT_MS + 60_000);

afterAll(async () => {
  await run("docker", ["rm", "-f", NAME]).catch(() => undefined);
});

it("boots from the task definition alone: the boot script writes the config and workspace, and the health check passes", async () => {
  const config = await execIn(containerId, ["cat", ECS_CONFIG_PATH]);
  expect(config.code).toBe(0);
  const parsed = JSON.parse(config.stdout.replace(/^\/\/.*\n/, "")) as { gateway: { bind: string; port: number } };
  expect(parsed.gateway).toMatchObject({ bind: "lan", port: 18789 });
  const ws = await execIn(containerId, ["ls", "/home/node/.openclaw/workspace", "/home/node/.openclaw/workspace/skills/federation-delegate"]);
  expect(ws.stdout).toContain("AGENTS.md");
  expect(ws.stdout).toContain("SKILL.md");
  // Knowledge is read-only, the mailbox route is writable, as uid 1000.
  const ro = await execIn(containerId, ["sh", "-c", "touch /shared/docs/x 2>/dev/null && echo writable || echo read-only; touch /shared/comms/goreos--to--korax/x && echo ok; id -u"]);
  expect(ro.stdout.split("\n").slice(0, 3)).toEqual(["read-only", "ok", "1000"]);
});
