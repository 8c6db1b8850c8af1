// The native target (PM2): placement on the host, the environment of each gateway, secrets kept
// out of every generated file but the gateway's own 0600 env file, the port rule, determinism.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import JSON5 from "json5";
import { beforeAll, describe, expect, it } from "vitest";
import { compile, type CompileResult } from "../../src/targets/registry.js";
import { envFor } from "../../src/vocabulary/env-plan.js";
import { generate } from "../../src/ops/generate.js";
import { SpecError } from "../../src/errors.js";
import { loadSpecFile, loadSpecText } from "../../src/federation/load.js";
import { gatewayPaths, NATIVE_FILES } from "../../src/vocabulary/host-layout.js";
import { runCli } from "../helpers/cli.js";
import { cfnDir, FIXED_HOST, FIXED_ROOT } from "../helpers/native.js";

const KORAX = "federations/korax.yaml";

function fileOf(res: CompileResult, p: string): string {
  const a = res.artifacts.find((x) => x.kind === "file" && x.path === p);
  if (!a || a.kind !== "file") throw new Error(`no file ${p}`);
  return a.content;
}

describe("native compile of korax", () => {
  let res: CompileResult;
  beforeAll(async () => {
    const loaded = await loadSpecFile(KORAX, { target: "native" });
    res = compile(loaded.federation, "native", { root: FIXED_ROOT, openclaw: FIXED_HOST });
  });

  it("places each gateway on loopback with its own home, state, config and workspace", () => {
    for (const [id, port] of [["korax", 18789], ["goreos", 18909], ["medico", 19029]] as const) {
      const cfg = JSON5.parse(fileOf(res, `${id}/openclaw.json`));
      const p = gatewayPaths(FIXED_ROOT, id);
      expect(cfg.gateway).toMatchObject({ mode: "local", port, bind: "loopback", auth: { mode: "token", token: `\${${id.toUpperCase()}_GATEWAY_TOKEN}` } });
      expect(cfg.agents.defaults.workspace).toBe(p.workspace);
      expect(cfg.logging).toEqual({ file: p.openclawLog, maxFileBytes: 10 * 1024 * 1024, consoleLevel: "warn" });
      expect(p.workspace.startsWith(`${p.state}/`)).toBe(true);
    }
  });

  it("links over loopback: a2a peers and the delegate skill use 127.0.0.1:<port>; knowledge and mailbox are host paths", () => {
    const korax = JSON5.parse(fileOf(res, "korax/openclaw.json"));
    expect(korax.channels.a2a.peers.goreos.url).toBe("http://127.0.0.1:18909/a2a/v1");
    expect(korax.channels.a2a.peers.medico.url).toBe("http://127.0.0.1:19029/a2a/v1");
    expect(korax.memory.search.extraPaths).toEqual(["/srv/shared-docs", "/srv/koda/knowledge"]);
    const skill = fileOf(res, `korax/${NATIVE_FILES.workspace}/skills/federation-delegate/SKILL.md`);
    expect(skill).toContain("federation_delegate");
    expect(fileOf(res, "korax/openclaw.json")).toContain("http://127.0.0.1:18909/a2a/v1");
    expect(skill).not.toMatch(/http:\/\/(goreos|medico):/);
    const agents = fileOf(res, `korax/${NATIVE_FILES.workspace}/AGENTS.md`);
    expect(agents).toContain(`${FIXED_ROOT}/comms/goreos--to--korax`);
    expect(agents).not.toContain("/shared/comms");
  });

  it("keeps the sandbox config of sandboxed spokes and says they use the host's Docker", () => {
    const goreos = JSON5.parse(fileOf(res, "goreos/openclaw.json"));
    expect(goreos.agents.defaults.sandbox).toMatchObject({ mode: "all", workspaceAccess: "rw" });
    expect(res.warnings.join("\n")).toMatch(/goreos: sandbox mode "all" runs agent tools in containers of this host's Docker/);
  });

  it("declares one PM2 app per gateway: node + entry + gateway --port, backoff, no loop on exit 78, no secrets", () => {
    const eco = JSON.parse(fileOf(res, "pm2.ecosystem.json"));
    expect(eco.apps.map((a: { name: string }) => a.name)).toEqual(["goreos", "korax", "medico"]);
    const korax = eco.apps.find((a: { name: string }) => a.name === "korax");
    const p = gatewayPaths(FIXED_ROOT, "korax");
    expect(korax).toMatchObject({
      script: FIXED_HOST.node,
      interpreter: "none",
      args: [FIXED_HOST.entry, "gateway", "--port", "18789"],
      cwd: p.home,
      autorestart: true,
      exp_backoff_restart_delay: 2000,
      stop_exit_codes: [78],
      kill_signal: "SIGTERM",
      treekill: true,
      max_memory_restart: "2G",
      out_file: p.outLog,
      error_file: p.errLog,
    });
    expect(korax.env).toEqual({
      OPENCLAW_HOME: p.home,
      OPENCLAW_STATE_DIR: p.state,
      OPENCLAW_CONFIG_PATH: p.config,
      OPENCLAW_CONFIG_READONLY: "1",
      OPENCLAW_SUPERVISOR_MODE: "external",
      OPENCLAW_SERVICE_REPAIR_POLICY: "external",
      OPENCLAW_NO_RESPAWN: "1",
      OPENCLAW_NO_AUTO_UPDATE: "1",
      OPENCLAW_DISABLE_BONJOUR: "1",
      NODE_OPTIONS: "--max-old-space-size=1024",
      CLAWFED_ROOT: FIXED_ROOT,
      CLAWFED_FEDERATION: "korax",
      CLAWFED_GATEWAY: "korax",
    });
    expect(JSON.stringify(eco)).not.toMatch(/TOKEN|OPENCLAW_SKIP_CHANNELS/);
  });

  it("gives each gateway one secrets file, 0600, naming exactly the variables it needs", () => {
    for (const id of ["korax", "goreos", "medico"]) {
      const a = res.artifacts.find((x) => x.kind === "file" && x.path === `${id}/${NATIVE_FILES.envFile}`);
      expect(a).toMatchObject({ kind: "file", mode: 0o600, secret: true, envFrom: envFor(res.env, id) });
    }
    const goreos = res.artifacts.find((x) => x.kind === "file" && x.path === `goreos/${NATIVE_FILES.envFile}`);
    expect(goreos && goreos.kind === "file" ? goreos.envFrom : []).not.toContain("MEDICO_GATEWAY_TOKEN");
  });

  it("makes the state dirs 0700 and hands nothing to the container uid", () => {
    const dirs = res.artifacts.filter((a) => a.kind === "dir");
    expect(dirs.find((d) => d.path === "korax/state")).toMatchObject({ mode: 0o700 });
    expect(dirs.find((d) => d.path === ".pm2")).toMatchObject({ mode: 0o700 });
    expect(res.artifacts.some((a) => a.gatewayOwned)).toBe(false);
  });

  it("is deterministic and never sees a secret value", async () => {
    const loaded = await loadSpecFile(KORAX, { target: "native" });
    const again = compile(loaded.federation, "native", { root: FIXED_ROOT, openclaw: FIXED_HOST });
    expect(again).toEqual(res);
  });

  it("needs a root and the OpenClaw paths", async () => {
    const loaded = await loadSpecFile(KORAX, { target: "native" });
    expect(() => compile(loaded.federation, "native")).toThrow(/needs the root/);
    expect(() => compile(loaded.federation, "native", { root: "relative/x", openclaw: FIXED_HOST })).toThrow(/absolute/);
  });
});

describe("the native port rule", () => {
  const spec = (a: number, b: number) => `name: t
gateways:
  a: { role: hub, port: ${a}, description: A, model: m/x }
  b: { port: ${b}, description: B, model: m/x }
links: [{ from: a, to: b, transports: [a2a] }]
`;
  it("rejects base ports closer than 120 for native targets, and says why", async () => {
    for (const target of ["native", "systemd", "launchd"]) {
      const err = await loadSpecText(spec(18789, 18809), "t.yaml", { target }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SpecError);
      expect((err as SpecError).message).toMatch(/t\.yaml:\d+:\d+ gateways\.b\.port: 18809 is within 120 of a's 18789: native gateways share one host, and each uses ports up to base \+ 110/);
    }
    await expect(loadSpecText(spec(18789, 18809), "t.yaml", { target: "compose" })).resolves.toBeDefined();
    await expect(loadSpecText(spec(18789, 18909), "t.yaml", { target: "native" })).resolves.toBeDefined();
  });

  it("generate --target native fails with exit 1 and writes nothing", async () => {
    const dir = await cfnDir("rule");
    const file = path.join(dir, "close.yaml");
    await (await import("node:fs/promises")).writeFile(file, spec(18789, 18809));
    const r = await runCli(["generate", file, "--target", "native", "--root", path.join(dir, "root")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/within 120/);
    await expect(stat(path.join(dir, "root"))).rejects.toThrow();
  });
});

describe("generate --target native writes where the gateways run", () => {
  let root: string;
  beforeAll(async () => {
    root = path.join(await cfnDir("gen"), "korax");
    await generate({ spec: KORAX, target: "native", root, openclaw: FIXED_HOST });
  });

  it("fills each gateway's env file from the federation's .env, with only its own variables", async () => {
    const all = parseDotenv(await readFile(path.join(root, ".env"), "utf8"));
    expect(all.KORAX_GATEWAY_TOKEN).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const id of ["korax", "goreos", "medico"]) {
      const file = path.join(root, id, NATIVE_FILES.envFile);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const mine = parseDotenv(await readFile(file, "utf8"));
      const res = compile((await loadSpecFile(KORAX, { target: "native" })).federation, "native", { root, openclaw: FIXED_HOST });
      const expected = envFor(res.env, id).filter((n) => all[n]);
      expect(Object.keys(mine).sort()).toEqual(expected.sort());
      for (const k of Object.keys(mine)) expect(mine[k]).toBe(all[k]);
      expect(mine[`${id.toUpperCase()}_GATEWAY_TOKEN`]).toBe(all[`${id.toUpperCase()}_GATEWAY_TOKEN`]);
      for (const other of ["korax", "goreos", "medico"].filter((o) => o !== id)) expect(mine[`${other.toUpperCase()}_GATEWAY_TOKEN`]).toBeUndefined();
    }
  });

  it("keeps tokens on a second run, and the state dirs are 0700", async () => {
    const before = await readFile(path.join(root, "korax", NATIVE_FILES.envFile), "utf8");
    const res = await generate({ spec: KORAX, target: "native", root, openclaw: FIXED_HOST });
    expect(res.written).toEqual([]);
    expect(await readFile(path.join(root, "korax", NATIVE_FILES.envFile), "utf8")).toBe(before);
    expect((await stat(path.join(root, "korax", "state"))).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(root, ".pm2"))).mode & 0o777).toBe(0o700);
  });

  it("no generated file other than the env files holds a token value", async () => {
    const all = parseDotenv(await readFile(path.join(root, ".env"), "utf8"));
    const tokens = Object.entries(all).filter(([k]) => k.endsWith("_TOKEN")).map(([, v]) => v).filter(Boolean);
    const manifest = JSON.parse(await readFile(path.join(root, ".clawfed/manifest.json"), "utf8")) as { files: string[] };
    for (const f of manifest.files.filter((x) => !x.endsWith(".env"))) {
      const text = await readFile(path.join(root, f), "utf8");
      for (const t of tokens) expect(text.includes(t), `${f} leaks a token`).toBe(false);
    }
  });

  it("defaults the root to ~/.clawfed/<federation> and the outputs to the root", async () => {
    const home = await cfnDir("home");
    const old = process.env.HOME;
    process.env.HOME = home;
    try {
      const res = await generate({ spec: KORAX, target: "native", openclaw: FIXED_HOST });
      expect(res.root).toBe(path.join(home, ".clawfed", "korax"));
      expect(res.outDir).toBe(res.root);
      const eco = JSON.parse(await readFile(path.join(home, ".clawfed/korax/pm2.ecosystem.json"), "utf8"));
      expect(eco.apps[0].cwd).toBe(path.join(home, ".clawfed/korax/goreos"));
    } finally {
      process.env.HOME = old;
    }
  });

  it("the CLI lists the native targets and --root in --help", async () => {
    const r = await runCli(["generate", "--help"]);
    expect(r.stdout).toMatch(/native/);
    expect(r.stdout).toMatch(/systemd/);
    expect(r.stdout).toMatch(/launchd/);
    expect(r.stdout).toMatch(/--root <dir>/);
  });
});
