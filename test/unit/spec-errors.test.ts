// Malformed specs: each fails with file:line:col key: message (hint), exit 1, and leaves the
// output directory exactly as it was.
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadSpecFile } from "../../src/federation/load.js";
import { SpecError } from "../../src/errors.js";
import { runCli } from "../helpers/cli.js";
import { snapshotTree } from "../helpers/tree.js";
import { tempDir } from "../helpers/tmp.js";

const BAD = "test/fixtures/bad";

const CASES: Array<{ file: string; where: string; says: RegExp }> = [
  { file: "syntax-error.yaml", where: "6:5", says: /YAML syntax error/ },
  { file: "duplicate-port.yaml", where: "9:11 gateways.goreos.port:", says: /18789 is already used by korax \(pick another port\)/ },
  { file: "unknown-link-target.yaml", where: "16:9 links.1.to:", says: /names gateway "medico", which is not declared \(use one of: korax, goreos\)/ },
  { file: "bad-id.yaml", where: "8:3 gateways.Goreos_1:", says: /gateway id "Goreos_1" must be/ },
  { file: "relative-mount.yaml", where: "4:11 knowledge.koda.path:", says: /must be an absolute path/ },
  { file: "literal-token.yaml", where: "10:19 gateways.korax.channels.telegram.botToken:", says: /looks like a Telegram bot token.*secrets never go in the spec \(put the value in the federation's .env/ },
  { file: "spoke-to-spoke.yaml", where: "18:5 links.1:", says: /links two spokes \(s1 and s2\)/ },
];

describe("malformed specs", () => {
  for (const c of CASES) {
    it(`${c.file}: exit 1, located message, output untouched`, async () => {
      const out = await tempDir("bad");
      await writeFile(path.join(out, "keep.txt"), "user data\n");
      const before = await snapshotTree(out);
      const res = await runCli(["generate", `${BAD}/${c.file}`, "--out", out]);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`${BAD}/${c.file}:${c.where}`);
      expect(res.stderr).toMatch(c.says);
      expect(res.stdout).toBe("");
      expect(await snapshotTree(out)).toEqual(before);
    });
  }

  it("reports every problem at once, shape and cross-field rules together", async () => {
    const err = await loadSpecFile(`${BAD}/many-problems.yaml`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SpecError);
    const lines = (err as SpecError).issues.map((i) => `${i.line}:${i.col} ${i.path}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        "13:15 gateways.a.secrets.0",
        "16:11 gateways.b.port",
        "18:12 gateways.b.model",
        "19:5 gateways.b.colour",
        "21:20 links.0.to",
        "5:12 knowledge.docs.mount",
      ]),
    );
  });

  it("--json gives the issues as data and still exits 1", async () => {
    const res = await runCli(["validate", `${BAD}/duplicate-port.yaml`, "--json"]);
    expect(res.code).toBe(1);
    const body = JSON.parse(res.stdout) as { ok: boolean; issues: Array<{ line: number; path: string }> };
    expect(body.ok).toBe(false);
    expect(body.issues).toEqual([expect.objectContaining({ line: 9, col: 11, path: "gateways.goreos.port" })]);
  });

  it("a missing spec file is a located error, exit 1", async () => {
    const res = await runCli(["generate", "federations/nope.yaml", "--out", path.join(tmpdir(), "cf-never")]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("federations/nope.yaml no such file");
  });

  it("native targets need base ports 120 apart, and say why", async () => {
    const dir = await tempDir("native");
    const spec = path.join(dir, "close.yaml");
    await writeFile(
      spec,
      "name: close\ngateways:\n  a:\n    role: hub\n    port: 18789\n    description: a\n    model: anthropic/claude-sonnet-4-6\n  b:\n    port: 18809\n    description: b\n    model: anthropic/claude-sonnet-4-6\nlinks:\n  - { from: a, to: b }\n",
    );
    await expect(loadSpecFile(spec)).resolves.toBeTruthy();
    const err = (await loadSpecFile(spec, { target: "native" }).catch((e: unknown) => e)) as SpecError;
    expect(err).toBeInstanceOf(SpecError);
    expect(err.issues[0]).toMatchObject({ line: 9, path: "gateways.b.port" });
    expect(err.issues[0]!.message).toMatch(/within 120 of a's 18789.*base \+ 110/);
  });

  it("unknown keys, two hubs and reserved variable names are refused with hints", async () => {
    const dir = await tempDir("misc");
    const spec = path.join(dir, "misc.yaml");
    await writeFile(
      spec,
      [
        "name: misc",
        "gateways:",
        "  a:",
        "    role: hub",
        "    port: 18789",
        "    description: a",
        "    model: anthropic/claude-sonnet-4-6",
        "    secrets: [OPENCLAW_GATEWAY_TOKEN, B_GATEWAY_TOKEN]",
        "  b:",
        "    role: hub",
        "    port: 18909",
        "    description: b",
        "    model: anthropic/claude-sonnet-4-6",
        "",
      ].join("\n"),
    );
    const err = (await loadSpecFile(spec).catch((e: unknown) => e)) as SpecError;
    const text = err.issues.map((i) => `${i.line} ${i.path}: ${i.message} (${i.hint})`).join("\n");
    expect(text).toMatch(/10 gateways\.b\.role: a hub-and-spoke federation has exactly one hub; a, b all say role: hub/);
    expect(text).toMatch(/8 gateways\.a\.secrets\.0: OPENCLAW_GATEWAY_TOKEN is reserved/);
    expect(text).toMatch(/8 gateways\.a\.secrets\.1: B_GATEWAY_TOKEN is the name clawfed gives b's gateway token/);
  });
});
