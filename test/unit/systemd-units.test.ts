// The systemd target: one unit per gateway with the policy the issue asks for, checked key by key
// and by the real `systemd-analyze verify` (system and user scope) on every unit.
import { execFile, execFileSync } from "node:child_process";
import { chmod, mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../src/targets/registry.js";
import { SpecError } from "../../src/errors.js";
import { generate } from "../../src/ops/generate.js";
import { loadSpecFile, loadSpecText } from "../../src/federation/load.js";
import { gatewayPaths } from "../../src/vocabulary/host-layout.js";
import { cfnDir } from "../helpers/native.js";

const run = promisify(execFile);
const KORAX = "federations/korax.yaml";

/** systemd-analyze must exist (installed by scripts/ensure-systemd-analyze.sh when it can). */
function systemdVersion(): number {
  try {
    execFileSync("bash", ["scripts/ensure-systemd-analyze.sh"], { stdio: ["ignore", "ignore", "inherit"], timeout: 600_000 });
  } catch {
    throw new Error("systemd-analyze is missing and could not be installed: run scripts/ensure-systemd-analyze.sh (Debian: apt-get install systemd)");
  }
  const out = execFileSync("systemd-analyze", ["--version"], { encoding: "utf8" });
  return Number(/systemd (\d+)/.exec(out)![1]);
}

/** Parse a unit into section → key → values (repeated keys keep every value). */
function parseUnit(text: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^\[(.+)\]$/.exec(line);
    if (m) {
      section = m[1]!;
      out[section] ??= {};
      continue;
    }
    const i = line.indexOf("=");
    const k = line.slice(0, i);
    (out[section]![k] ??= []).push(line.slice(i + 1));
  }
  return out;
}

async function verify(files: string[], scope: "system" | "user", runtimeDir: string): Promise<{ code: number; output: string }> {
  const args = scope === "user" ? ["--user", "verify", ...files] : ["verify", ...files];
  try {
    const r = await run("systemd-analyze", args, { env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir, SYSTEMD_LOG_COLOR: "0" } });
    return { code: 0, output: `${r.stdout}${r.stderr}` };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

describe("systemd units for korax", () => {
  let hostVersion: number;
  let dir: string;
  let host: { node: string; entry: string };
  let runtimeDir: string;

  beforeAll(async () => {
    hostVersion = systemdVersion();
    dir = await cfnDir("sd");
    // verify checks that ExecStart's program exists and is executable: use real files.
    host = { node: process.execPath, entry: path.join(dir, "openclaw", "openclaw.mjs") };
    await mkdir(path.dirname(host.entry), { recursive: true });
    await writeFile(host.entry, "// stand-in entry: units are only verified here\n");
    runtimeDir = path.join(dir, "xdg-runtime");
    await mkdir(runtimeDir, { recursive: true });
    await chmod(runtimeDir, 0o700);
  });

  async function gen(name: string, systemd: { scope?: "user" | "system"; user?: string; version?: number }): Promise<{ root: string; units: string[] }> {
    const root = path.join(dir, name);
    await generate({ spec: KORAX, target: "systemd", root, openclaw: host, systemd });
    const units = (await readdir(path.join(root, "systemd"))).filter((f) => f.endsWith(".service")).map((f) => path.join(root, "systemd", f));
    return { root, units };
  }

  it("writes openclaw-gateway-<id>.service with the required policy and sandboxing", async () => {
    const { root, units } = await gen("user-252", { scope: "user", version: 252 });
    expect(units.map((u) => path.basename(u)).sort()).toEqual(["openclaw-gateway-goreos.service", "openclaw-gateway-korax.service", "openclaw-gateway-medico.service"]);
    const u = parseUnit(await readFile(path.join(root, "systemd", "openclaw-gateway-goreos.service"), "utf8"));
    const p = gatewayPaths(root, "goreos");
    const s = u.Service!;
    expect(s.ExecStart).toEqual([`${host.node} ${host.entry} gateway --port 18909`]);
    expect(s.Restart).toEqual(["on-failure"]);
    expect(s.RestartPreventExitStatus).toEqual(["78"]);
    expect(s.KillMode).toEqual(["control-group"]);
    expect(s.EnvironmentFile).toEqual([p.envFile]);
    expect(s.Environment).toEqual(
      expect.arrayContaining([
        `OPENCLAW_STATE_DIR=${p.state}`,
        `OPENCLAW_CONFIG_PATH=${p.config}`,
        `OPENCLAW_HOME=${p.home}`,
        "OPENCLAW_SUPERVISOR_MODE=external",
        "OPENCLAW_NO_RESPAWN=1",
      ]),
    );
    expect(s.Environment!.join("\n")).not.toMatch(/TOKEN|OPENCLAW_SKIP_CHANNELS/);
    expect(s.NoNewPrivileges).toEqual(["yes"]);
    expect(s.ProtectSystem).toEqual(["strict"]);
    expect(s.ReadWritePaths).toEqual([`${p.state} ${root}/comms/goreos--to--korax ${root}/comms/korax--to--goreos`]);
    expect(s.ReadOnlyPaths).toEqual(["-/srv/shared-docs -/srv/koda/knowledge -/srv/koda/repos"]);
    expect(s.MemoryMax).toEqual(["2G"]);
    expect(u.Install!.WantedBy).toEqual(["default.target"]);
    expect(s.User).toBeUndefined();
  });

  it("makes restart delays grow from systemd 254 on, and says when the host's systemd cannot", async () => {
    const newer = await gen("user-256", { scope: "user", version: 256 });
    const s = parseUnit(await readFile(newer.units[0]!, "utf8")).Service!;
    expect(s).toMatchObject({ RestartSec: ["2s"], RestartSteps: ["6"], RestartMaxDelaySec: ["2min"] });
    const older = await generate({ spec: KORAX, target: "systemd", root: path.join(dir, "old"), openclaw: host, systemd: { version: 252 } });
    expect(older.warnings.join("\n")).toMatch(/systemd 252 has no RestartSteps=: the units restart after a fixed 5 s/);
    const s252 = parseUnit(await readFile(path.join(dir, "old", "systemd", "openclaw-gateway-korax.service"), "utf8")).Service!;
    expect(s252.RestartSec).toEqual(["5s"]);
    expect(s252.RestartSteps).toBeUndefined();
  });

  it("system scope runs as the given user and is wanted by multi-user.target", async () => {
    const { units } = await gen("system", { scope: "system", user: "openclaw", version: 252 });
    for (const f of units) {
      const u = parseUnit(await readFile(f, "utf8"));
      expect(u.Service!.User).toEqual(["openclaw"]);
      expect(u.Install!.WantedBy).toEqual(["multi-user.target"]);
    }
  });

  it("systemd-analyze verify accepts every unit (system and user scope) on this host", async () => {
    const sys = await gen("verify-system", { scope: "system", user: "root", version: hostVersion });
    const user = await gen("verify-user", { scope: "user", version: hostVersion });
    for (const f of sys.units) {
      const r = await verify([f], "system", runtimeDir);
      expect(r, `${f}: ${r.output}`).toEqual({ code: 0, output: "" });
    }
    for (const f of user.units) {
      const r = await verify([f], "user", runtimeDir);
      expect(r, `${f}: ${r.output}`).toEqual({ code: 0, output: "" });
    }
  });

  it("a unit for a newer systemd only adds the keys this host's systemd does not know", async () => {
    const { units } = await gen("verify-256", { scope: "user", version: 256 });
    for (const f of units) {
      const r = await verify([f], "system", runtimeDir);
      expect(r.code).toBe(0);
      const complaints = r.output.split("\n").filter(Boolean);
      if (hostVersion >= 254) expect(complaints).toEqual([]);
      else {
        expect(complaints.length).toBe(2);
        for (const c of complaints) expect(c).toMatch(/Unknown key '(RestartSteps|RestartMaxDelaySec)' in section \[Service\], ignoring\./);
      }
    }
  });

  it("systemd-analyze verify really checks: a unit whose node does not exist is rejected", async () => {
    const f = path.join(dir, "openclaw-gateway-broken.service");
    await writeFile(f, "[Service]\nExecStart=/nonexistent/node /x/openclaw.mjs gateway --port 1\n");
    const r = await verify([f], "system", runtimeDir);
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/Command \/nonexistent\/node is not executable/);
  });

  it("refuses paths systemd would not take literally", async () => {
    const loaded = await loadSpecFile(KORAX, { target: "systemd" });
    expect(() => compile(loaded.federation, "systemd", { root: "/srv/with space/korax", openclaw: host, systemd: { scope: "user", version: 252 } })).toThrow(SpecError);
    const spec = await loadSpecText(
      "name: t\nknowledge: { kb: { path: /srv/100%/kb } }\ngateways:\n  a: { role: hub, port: 20000, description: A, model: m/x, knowledge: [kb] }\n",
      "t.yaml",
      { target: "systemd" },
    );
    expect(() => compile(spec.federation, "systemd", { root: "/srv/t", openclaw: host })).toThrow(/knowledge kb "\/srv\/100%\/kb" cannot be written into a systemd unit/);
  });
});
