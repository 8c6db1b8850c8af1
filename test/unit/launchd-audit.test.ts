// The launchd target and `clawfed audit`: every generated plist parsed with a real plist parser
// (npm plist) and checked against seed 003's contract; the audit flags duplicate ports, duplicate
// labels, a missing KeepAlive, shared tokens and state dirs, secrets in a plist.
import { chmod, copyFile, mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { build, buildBinary, parse } from "plist";
import { beforeAll, describe, expect, it } from "vitest";
import { auditLaunchAgents, type AuditResult } from "../../src/audit/launchd.js";
import { generate } from "../../src/ops/generate.js";
import { gatewayPaths } from "../../src/vocabulary/host-layout.js";
import { runCli } from "../helpers/cli.js";
import { cfnDir, FIXED_HOST } from "../helpers/native.js";

const KORAX = "federations/korax.yaml";
type Dict = Record<string, any>;

function fails(res: AuditResult, check: string): string[] {
  return res.findings.filter((f) => f.level === "fail" && f.check === check).map((f) => f.message);
}

describe("launchd plists for korax", () => {
  let root: string;
  let files: string[];
  beforeAll(async () => {
    root = path.join(await cfnDir("ld"), "korax");
    await generate({ spec: KORAX, target: "launchd", root, openclaw: FIXED_HOST });
    files = (await readdir(path.join(root, "launchd"))).sort();
  });

  it("writes one ai.openclaw.<id>.plist per gateway", () => {
    expect(files).toEqual(["ai.openclaw.goreos.plist", "ai.openclaw.korax.plist", "ai.openclaw.medico.plist"]);
  });

  it("every plist parses and keeps the contract", async () => {
    for (const f of files) {
      const id = f.replace(/^ai\.openclaw\.|\.plist$/g, "");
      const pl = parse(await readFile(path.join(root, "launchd", f), "utf8")) as Dict;
      const p = gatewayPaths(root, id);
      const port = { korax: 18789, goreos: 18909, medico: 19029 }[id];
      expect(pl.Label).toBe(`ai.openclaw.${id}`);
      expect(pl.RunAtLoad).toBe(true);
      expect(pl.KeepAlive).toBe(true);
      expect(pl.ProgramArguments).toEqual([FIXED_HOST.node, FIXED_HOST.entry, "gateway", "--port", String(port)]);
      expect(pl.EnvironmentVariables).toMatchObject({ OPENCLAW_STATE_DIR: p.state, OPENCLAW_CONFIG_PATH: p.config, OPENCLAW_HOME: p.home, OPENCLAW_SUPERVISOR_MODE: "external" });
      expect(pl.StandardOutPath.startsWith(`${p.state}/`)).toBe(true);
      expect(pl.StandardErrorPath.startsWith(`${p.state}/`)).toBe(true);
      expect(JSON.stringify(pl)).not.toMatch(/TOKEN/);
    }
  });

  it("the audit passes on the generated root (its launchd/ folder) with no warning", async () => {
    const res = await auditLaunchAgents(root);
    expect(res.instances).toBe(3);
    expect(res.counts).toMatchObject({ warn: 0, fail: 0 });
    expect(res.ok).toBe(true);
    for (const c of ["unique-labels", "unique-ports", "unique-state-dirs", "unique-tokens"]) {
      expect(res.findings.some((f) => f.level === "pass" && f.check === c)).toBe(true);
    }
  });
});

describe("the audit flags a broken cluster", () => {
  let agents: string;
  let root: string;
  let res: AuditResult;
  beforeAll(async () => {
    const dir = await cfnDir("audit");
    root = path.join(dir, "korax");
    await generate({ spec: KORAX, target: "launchd", root, openclaw: FIXED_HOST });
    agents = path.join(dir, "LaunchAgents");
    await mkdir(agents);
    for (const f of await readdir(path.join(root, "launchd"))) await copyFile(path.join(root, "launchd", f), path.join(agents, f));
    const edit = async (file: string, fn: (pl: Dict) => void) => {
      const pl = parse(await readFile(path.join(agents, file), "utf8")) as Dict;
      fn(pl);
      await writeFile(path.join(agents, file), build(pl));
    };
    // medico: same port as korax, and no KeepAlive.
    await edit("ai.openclaw.medico.plist", (pl) => {
      pl.ProgramArguments[4] = "18789";
      delete pl.KeepAlive;
    });
    // A second goreos under another file name: duplicate label (and state dir, port, token).
    await copyFile(path.join(agents, "ai.openclaw.goreos.plist"), path.join(agents, "ai.openclaw.goreos-copy.plist"));
    res = await auditLaunchAgents(agents);
  });

  it("flags the duplicate port", () => {
    expect(fails(res, "unique-ports")).toContain("port 18789 is used by ai.openclaw.korax and ai.openclaw.medico");
  });

  it("flags the duplicate label", () => {
    expect(fails(res, "unique-labels")).toContain("label ai.openclaw.goreos is used by ai.openclaw.goreos and ai.openclaw.goreos");
    expect(res.findings.some((f) => f.level === "warn" && f.check === "file-name" && f.message.includes("ai.openclaw.goreos-copy.plist"))).toBe(true);
  });

  it("flags the plist missing KeepAlive", () => {
    const f = res.findings.find((x) => x.check === "keep-alive" && x.subject === "ai.openclaw.medico");
    expect(f).toMatchObject({ level: "fail", message: "KeepAlive is missing: launchd does not restart the gateway when it exits" });
  });

  it("flags the shared state dir and gateway token without printing the token", async () => {
    expect(fails(res, "unique-state-dirs").join("\n")).toMatch(/goreos\/state is used by ai\.openclaw\.goreos and ai\.openclaw\.goreos/);
    expect(fails(res, "unique-tokens")).toContain("the same gateway token is used by ai.openclaw.goreos and ai.openclaw.goreos");
    const env = await readFile(path.join(root, ".env"), "utf8");
    const token = /GOREOS_GATEWAY_TOKEN=(\S+)/.exec(env)![1]!;
    expect(JSON.stringify(res)).not.toContain(token);
  });

  it("the CLI prints pass/warn/fail lines and exits 1", async () => {
    const r = await runCli(["audit", agents]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL\s+cluster\s+unique-ports\s+port 18789 is used by ai\.openclaw\.korax and ai\.openclaw\.medico$/m);
    expect(r.stdout).toMatch(/^FAIL\s+ai\.openclaw\.medico\s+keep-alive\s+KeepAlive is missing/m);
    expect(r.stdout).toMatch(/^WARN\s+/m);
    expect(r.stdout).toMatch(/\d+ pass, \d+ warn, \d+ fail \(FAILED\)$/m);
    const j = await runCli(["audit", agents, "--json"]);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, instances: 4 });
    const clean = await runCli(["audit", root, "--verbose"]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/^PASS\s+ai\.openclaw\.korax\s+keep-alive\s+KeepAlive is true$/m);
    const missing = await runCli(["audit", path.join(agents, "nope")]);
    expect(missing.code).toBe(2);
  });
});

describe("audit checks on single plists", () => {
  const base = (state: string): Dict => ({
    Label: "ai.openclaw.x",
    ProgramArguments: ["/usr/local/bin/node", "/opt/openclaw/openclaw.mjs", "gateway", "--port", "20000"],
    EnvironmentVariables: { OPENCLAW_STATE_DIR: state },
    RunAtLoad: true,
    KeepAlive: true,
    StandardOutPath: `${state}/logs/out.log`,
    StandardErrorPath: `${state}/logs/err.log`,
  });

  async function auditOne(pl: Dict, opts: { binary?: boolean; envFile?: string; envMode?: number; config?: string } = {}): Promise<AuditResult> {
    const dir = await cfnDir("one");
    const file = path.join(dir, "ai.openclaw.x.plist");
    await writeFile(file, opts.binary ? buildBinary(pl) : build(pl));
    const state = pl.EnvironmentVariables?.OPENCLAW_STATE_DIR as string | undefined;
    if (state && opts.envFile !== undefined) {
      await mkdir(state, { recursive: true });
      await writeFile(path.join(state, ".env"), opts.envFile);
      await chmod(path.join(state, ".env"), opts.envMode ?? 0o600);
    }
    if (state && opts.config !== undefined) {
      await mkdir(state, { recursive: true });
      await writeFile(path.join(state, "openclaw.json"), opts.config);
    }
    return auditLaunchAgents(dir);
  }

  it("reads binary plists too", async () => {
    const res = await auditOne(base("/tmp/cfn-nonexistent-state"), { binary: true });
    expect(res.instances).toBe(1);
    expect(res.counts.fail).toBe(0);
    expect(res.findings.find((f) => f.check === "state-dir-exists")?.level).toBe("warn");
  });

  it("fails a secret in the plist, logs outside the state dir, a missing state dir variable, a wrapper program", async () => {
    const pl = base("/srv/x");
    pl.EnvironmentVariables.OPENCLAW_GATEWAY_TOKEN = "abc";
    pl.StandardErrorPath = "/tmp/err.log";
    expect(fails(await auditOne(pl), "no-secrets").join()).toMatch(/OPENCLAW_GATEWAY_TOKEN/);
    expect(fails(await auditOne(pl), "logs").join()).toMatch(/StandardErrorPath \/tmp\/err\.log is outside the state dir/);
    const noState = base("/srv/x");
    noState.EnvironmentVariables = {};
    expect(fails(await auditOne(noState), "state-dir").join()).toMatch(/no OPENCLAW_STATE_DIR/);
    const wrapper = base("/srv/x");
    wrapper.ProgramArguments = ["/bin/sh", "-c", "exec node openclaw.mjs gateway"];
    expect(fails(await auditOne(wrapper), "program-arguments").length).toBe(1);
  });

  it("fails a secrets file others can read, and warns when the token variable is not defined", async () => {
    const dir = await cfnDir("tok");
    const state = path.join(dir, "state");
    const cfg = '// comment\n{ gateway: { auth: { mode: "token", token: "${X_TOKEN}" } } }\n';
    const loose = await auditOne(base(state), { envFile: "X_TOKEN=secret-value-1\n", envMode: 0o644, config: cfg });
    expect(fails(loose, "secrets-file").join()).toMatch(/mode 644/);
    expect(loose.findings.find((f) => f.check === "token")?.level).toBe("pass");
    const state2 = path.join(dir, "state2");
    const unresolved = await auditOne(base(state2), { envFile: "OTHER=1\n", config: cfg });
    expect(unresolved.findings.find((f) => f.check === "token")).toMatchObject({ level: "warn" });
    expect(unresolved.findings.find((f) => f.check === "token")!.message).toMatch(/\$\{X_TOKEN\}.*random token/);
  });

  it("a file that is not a plist is a failure, other launchd agents are ignored", async () => {
    const dir = await cfnDir("bad");
    await writeFile(path.join(dir, "broken.plist"), "<plist><dict><key>x</key>");
    await writeFile(path.join(dir, "com.example.other.plist"), build({ Label: "com.example.other", ProgramArguments: ["/bin/true"] }));
    const res = await auditLaunchAgents(dir);
    expect(res.plists).toBe(2);
    expect(res.instances).toBe(0);
    expect(fails(res, "parse").length).toBe(1);
  });
});
