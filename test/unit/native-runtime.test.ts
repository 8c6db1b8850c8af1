// The parts of `clawfed native` that need no gateway: procfs parsing, finding a federation's
// processes by their environment markers and stopping whole trees (with real `sleep` processes),
// PM2's process list, the environment handed to PM2 (no secrets), and the CLI's errors.
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseJlist, pm2Env } from "../../src/runtime/native/pm2.js";
import { sameDefinition, type EcosystemApp } from "../../src/ops/native.js";
import { alive, descendants, findMarked, listProcesses, parseStat, stopTrees, treeRssBytes } from "../../src/runtime/native/procs.js";
import { runCli } from "../helpers/cli.js";
import { cfnDir } from "../helpers/native.js";

describe("procfs", () => {
  it("parses /proc/<pid>/stat, names with spaces and parentheses included", () => {
    const line = "4242 (openclaw (x) y) S 1 4242 4242 0 -1 4194560 1 0 0 0 10 5 0 0 20 0 11 0 256086 1234567 2500 18446744073709551615";
    expect(parseStat(line)).toEqual({ pid: 4242, ppid: 1, pgid: 4242, state: "S", comm: "openclaw (x) y", rssBytes: 2500 * 4096 });
  });

  it("finds a federation's processes by marker, tells the tree's top from its children, and stops the whole tree", async () => {
    const root = await cfnDir("procs");
    // A detached process group like PM2's apps: a shell (the "gateway") with two children.
    const child = spawn("sh", ["-c", "sleep 300 & sleep 300 & wait"], {
      detached: true,
      stdio: "ignore",
      env: { PATH: process.env.PATH, CLAWFED_ROOT: root, CLAWFED_GATEWAY: "alpha" },
    });
    const other = spawn("sleep", ["300"], { detached: true, stdio: "ignore", env: { PATH: process.env.PATH, CLAWFED_ROOT: `${root}-other`, CLAWFED_GATEWAY: "alpha" } });
    try {
      let marked = await findMarked(root);
      for (let i = 0; i < 50 && marked.length < 3; i++) {
        await new Promise((r) => setTimeout(r, 100));
        marked = await findMarked(root);
      }
      expect(marked.length).toBe(3);
      expect(marked.filter((m) => m.top).map((m) => m.pid)).toEqual([child.pid]);
      expect(marked.every((m) => m.gateway === "alpha")).toBe(true);
      expect(marked.some((m) => m.pid === other.pid)).toBe(false);
      const procs = await listProcesses();
      expect(descendants(child.pid!, procs).length).toBe(3);
      expect(treeRssBytes(child.pid!, procs)).toBeGreaterThan(0);
      const left = await stopTrees([child.pid!], { graceMs: 5_000 });
      expect(left).toEqual([]);
      expect(await findMarked(root)).toEqual([]);
      expect(await alive(other.pid!)).toBe(true);
    } finally {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* gone */
      }
      other.kill("SIGKILL");
    }
  });
});

describe("PM2 glue", () => {
  it("hands PM2 (and so the gateways) only an allow-listed environment", () => {
    const saved = { ...process.env };
    process.env.ANTHROPIC_API_KEY = "sk-should-not-pass";
    process.env.KORAX_GATEWAY_TOKEN = "tok";
    process.env.PM2_HOME = "/root/.pm2";
    process.env.OPENCLAW_STATE_DIR = "/somewhere";
    try {
      const env = pm2Env({ home: "/tmp/cfn-x/.pm2", cwd: "/tmp/cfn-x", pathPrefix: ["/opt/node24/bin"] });
      expect(env.PM2_HOME).toBe("/tmp/cfn-x/.pm2");
      expect(env.PATH!.startsWith("/opt/node24/bin:")).toBe(true);
      expect(env.ANTHROPIC_API_KEY).toBeUndefined();
      expect(env.KORAX_GATEWAY_TOKEN).toBeUndefined();
      expect(env.OPENCLAW_STATE_DIR).toBeUndefined();
      expect(env.HOME).toBe(process.env.HOME);
    } finally {
      process.env = saved;
    }
  });

  const app: EcosystemApp = {
    name: "korax",
    script: "/opt/node",
    args: ["/opt/openclaw.mjs", "gateway", "--port", "18789"],
    cwd: "/r/korax",
    env: { OPENCLAW_STATE_DIR: "/r/korax/state", CLAWFED_ROOT: "/r" },
    out_file: "/r/korax/state/logs/gateway.out.log",
    error_file: "/r/korax/state/logs/gateway.err.log",
  };
  const jlistOut = `warning line\n${JSON.stringify([
    {
      name: "korax",
      pm_id: 0,
      pid: 123,
      pm2_env: {
        status: "online",
        restart_time: 2,
        unstable_restarts: 1,
        prev_restart_delay: 3000,
        pm_uptime: 1000,
        pm_exec_path: "/opt/node",
        args: ["/opt/openclaw.mjs", "gateway", "--port", "18789"],
        pm_cwd: "/r/korax",
        env: { OPENCLAW_STATE_DIR: "/r/korax/state", CLAWFED_ROOT: "/r", PATH: "/usr/bin" },
        pm_out_log_path: "/r/korax/state/logs/gateway.out.log",
        pm_err_log_path: "/r/korax/state/logs/gateway.err.log",
      },
    },
  ])}\n`;

  it("reads pm2 jlist, and compares an app with its current definition", () => {
    const [p] = parseJlist(jlistOut);
    expect(p).toMatchObject({ name: "korax", pid: 123, status: "online", restarts: 2, restartDelayMs: 3000, startedAt: 1000 });
    expect(sameDefinition(app, p!)).toBe(true);
    expect(sameDefinition({ ...app, args: [...app.args.slice(0, 3), "18790"] }, p!)).toBe(false);
    expect(sameDefinition({ ...app, env: { ...app.env, OPENCLAW_STATE_DIR: "/elsewhere" } }, p!)).toBe(false);
  });
});

describe("clawfed native (no gateway started)", () => {
  it("has --help for every subcommand", async () => {
    for (const sub of [[], ["up"], ["down"], ["status"], ["restart"]]) {
      const r = await runCli(["native", ...sub, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: clawfed native/);
    }
  });

  it("status of a root that was never generated says what to run (exit 3)", async () => {
    const root = path.join(await cfnDir("nostatus"), "korax");
    const r = await runCli(["native", "status", "federations/korax.yaml", "--out", root]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/no native files in .*\nNext: clawfed native up federations\/korax\.yaml --out /);
    // The old spelling still works, with a warning.
    const old = await runCli(["native", "status", "federations/korax.yaml", "--root", root]);
    expect(old.code).toBe(3);
    expect(old.stderr).toMatch(/warning: --root is deprecated; use --out/);
  });

  it("down with nothing running is fine; restart of an unknown gateway is refused", async () => {
    const root = path.join(await cfnDir("nodown"), "korax");
    const down = await runCli(["native", "down", "federations/korax.yaml", "--out", root]);
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/nothing was running/);
    const gen = await runCli(["generate", "federations/korax.yaml", "--target", "native", "--root", root, "--node", process.execPath, "--openclaw-entry", "/opt/openclaw.mjs"]);
    expect(gen.code, gen.stderr).toBe(0);
    const r = await runCli(["native", "restart", "federations/korax.yaml", "nope", "--out", root, "--json"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: "usage" });
    expect(JSON.parse(r.stdout).message).toMatch(/"nope", which is not a gateway of korax/);
  });

  it("a spec whose ports are too close for native processes is refused before anything starts", async () => {
    const dir = await cfnDir("close");
    const spec = path.join(dir, "close.yaml");
    await (await import("node:fs/promises")).writeFile(spec, "name: close\ngateways:\n  a: { role: hub, port: 20000, description: A, model: m/x }\n  b: { port: 20020, description: B, model: m/x }\n");
    const r = await runCli(["native", "up", spec, "--out", path.join(dir, "root")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/20020 is within 120 of a's 20000/);
  });
});
