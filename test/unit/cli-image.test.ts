// `clawfed image build` at the CLI level: help, usage errors (exit 2) before anything is built,
// and `clawfed --version` still answering before a command. (The build itself: test/e2e/image.test.ts.)
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

describe("clawfed image build", () => {
  it("has --help naming its flags and exit codes", async () => {
    const r = await runCli(["image", "build", "--help"]);
    expect(r.code).toBe(0);
    for (const flag of ["--version <version>", "--tag <ref>", "--force", "--json"]) expect(r.stdout).toContain(flag);
    expect(r.stdout).toMatch(/Exit codes: 0 .*2 bad usage.*3 /s);
    const group = await runCli(["image", "--help"]);
    expect(group.code).toBe(0);
    expect(group.stdout).toMatch(/build \[options\]/);
  });

  it("refuses a version that is not an OpenClaw version with exit 2", async () => {
    const r = await runCli(["image", "build", "--version", "latest"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--version "latest" is not an OpenClaw version \(e\.g\. --version \d+\.\d+\.\d+\)/);
    expect(r.stdout).toBe("");
  });

  it("refuses a bad tag with exit 2, as JSON with --json", async () => {
    const r = await runCli(["image", "build", "--tag", "Not A Tag", "--json"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: "usage", message: expect.stringMatching(/--tag "Not A Tag" is not a Docker image reference/) });
  });

  it("keeps clawfed --version before a command", async () => {
    const r = await runCli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
