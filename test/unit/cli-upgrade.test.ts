// `clawfed upgrade` at the CLI level: help, and usage errors (exit 2) before Docker is asked
// anything. The upgrade itself runs for real in test/e2e/upgrade.test.ts.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

let dir: string;
let spec: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "cf-cli-upgrade-"));
  spec = path.join(dir, "u.yaml");
  await writeFile(spec, "name: cfcliup\ngateways:\n  hub: { role: hub, port: 28280, description: Hub., model: anthropic/claude-sonnet-4-6 }\n");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("clawfed upgrade", () => {
  it("has --help naming its flags, steps and exit codes", async () => {
    const r = await runCli(["upgrade", "--help"]);
    expect(r.code).toBe(0);
    for (const flag of ["--to <version>", "--only <ids>", "--allow-downgrade", "--pull <when>", "--health-timeout <duration>", "--json"]) expect(r.stdout).toContain(flag);
    expect(r.stdout).toMatch(/1 image:[\s\S]*2 rehearse:[\s\S]*3 rollout:[\s\S]*4 record:/);
    expect(r.stdout).toMatch(/Exit codes: 0 .*2 bad usage/s);
  });

  it("requires --to", async () => {
    const r = await runCli(["upgrade", spec]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--to <version>/);
  });

  it("refuses a --to that is not a version and an unknown --only id with exit 2, before Docker is asked", async () => {
    // DOCKER_HOST points nowhere: a usage error must come first.
    const env = { ...process.env, DOCKER_HOST: "unix:///nonexistent/docker.sock" };
    const bad = await runCli(["upgrade", spec, "--to", "latest", "--out", path.join(dir, "out"), "--json"], { env });
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, error: "usage", message: expect.stringMatching(/--to "latest" is not an OpenClaw version/) });
    const only = await runCli(["upgrade", spec, "--to", "2026.9.6", "--only", "nope", "--out", path.join(dir, "out")], { env });
    expect(only.code).toBe(2);
    expect(only.stderr).toMatch(/--only names "nope", which is not a gateway of cfcliup/);
  });
});
