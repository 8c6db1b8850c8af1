// Fidelity to the real OpenClaw (openclaw@2026.9.6 on Node 24, from npm): every generated config
// passes `openclaw config validate` with its .env loaded and no warnings, every delegate skill
// loads, and compose accepts every compose file.
import { execFile } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { parse as parseDotenv } from "dotenv";
import { beforeAll, describe, expect, it } from "vitest";
import { generate } from "../../src/ops/generate.js";
import { CONTAINER_PLUGIN_DIR, PLUGIN_OUT_DIR } from "../../src/compile/delegation.js";
import { runOpenclaw } from "../helpers/openclaw.js";
import { tempDir } from "../helpers/tmp.js";

const specs = (await readdir("federations")).filter((f) => f.endsWith(".yaml")).sort();

/** The user's part of .env, filled with harmless values as a user would before `up`. */
function filledEnv(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v || `test-value-for-${k.toLowerCase()}`]));
}

/** The JSON document in a CLI's stdout (OpenClaw may print a banner line first). */
function jsonOf(stdout: string): any {
  return JSON.parse(stdout.slice(stdout.indexOf("{")));
}

/**
 * The gateway's config with the delegate plugin's container path (compose mounts
 * <out>/plugins/federation-delegate there) replaced by the host folder, so that validation on
 * this host inspects the same plugin the container loads.
 */
async function asMounted(out: string, g: string): Promise<string> {
  const file = path.join(out, "gateways", g, "openclaw.json");
  const text = await readFile(file, "utf8");
  if (!text.includes(CONTAINER_PLUGIN_DIR)) return file;
  const copy = path.join(out, "gateways", g, "openclaw.host.json");
  await writeFile(copy, text.split(CONTAINER_PLUGIN_DIR).join(path.join(out, PLUGIN_OUT_DIR)));
  return copy;
}

describe.each(specs)("federations/%s against the real OpenClaw", (file) => {
  let out: string;
  let env: Record<string, string>;
  let gateways: string[];
  beforeAll(async () => {
    const root = await tempDir("fidelity");
    out = path.join(root, "out");
    // An absolute mailbox path in an example would be created on this host; keep it in the temp dir.
    const text = (await readFile(`federations/${file}`, "utf8")).replace(/(\n\s+path: )(\/srv\/[^\n]*comms)/, `$1${root}/comms`);
    const spec = path.join(root, file);
    await writeFile(spec, text);
    await generate({ spec, outDir: out });
    env = filledEnv(parseDotenv(await readFile(path.join(out, ".env"), "utf8")));
    gateways = (await readdir(path.join(out, "gateways"))).sort();
  });

  it("every openclaw.json passes `openclaw config validate --json` with no warnings", async () => {
    expect(gateways.length).toBeGreaterThan(0);
    for (const g of gateways) {
      const state = await tempDir(`state-${g}`);
      const res = await runOpenclaw(["config", "validate", "--json"], {
        env: { ...env, OPENCLAW_STATE_DIR: state, OPENCLAW_CONFIG_PATH: await asMounted(out, g) },
        timeoutMs: 120_000,
      });
      expect(res.code, `${g}: ${res.stderr}`).toBe(0);
      expect(jsonOf(res.stdout), g).toMatchObject({ valid: true, warnings: [] });
    }
  });

  it("without the .env, OpenClaw warns only about variables clawfed put in .env", async () => {
    const g = gateways[0]!;
    const state = await tempDir("state-noenv");
    const res = await runOpenclaw(["config", "validate", "--json"], {
      env: { OPENCLAW_STATE_DIR: state, OPENCLAW_CONFIG_PATH: await asMounted(out, g) },
      timeoutMs: 120_000,
    });
    const body = jsonOf(res.stdout) as { warnings: Array<{ message: string }> };
    const named = body.warnings.map((w) => /env var "([A-Z0-9_]+)"/.exec(w.message)?.[1]).filter(Boolean);
    expect(named.length).toBeGreaterThan(0);
    for (const n of named) expect(Object.keys(env)).toContain(n);
  });

  it("`openclaw skills list` finds federation-delegate in every delegating gateway's workspace, ready", async () => {
    let checked = 0;
    for (const g of gateways) {
      const ws = path.join(out, "workspaces", g);
      const skills = await readdir(path.join(ws, "skills")).catch(() => [] as string[]);
      if (!skills.includes("federation-delegate")) continue;
      const state = await tempDir(`skills-${g}`);
      const res = await runOpenclaw(["skills", "list", "--json"], {
        env: {
          ...env,
          OPENCLAW_STATE_DIR: state,
          OPENCLAW_CONFIG_PATH: await asMounted(out, g),
          OPENCLAW_WORKSPACE_DIR: ws,
          // Never ask a gateway that may be running on this host; use the local inventory.
          OPENCLAW_GATEWAY_PORT: "1",
        },
        timeoutMs: 180_000,
      });
      expect(res.code, res.stderr).toBe(0);
      const body = jsonOf(res.stdout) as { workspaceDir: string; skills: Array<{ name: string; eligible: boolean; source: string }> };
      expect(body.workspaceDir).toBe(ws);
      expect(body.skills.find((s) => s.name === "federation-delegate"), g).toMatchObject({ eligible: true, source: "openclaw-workspace" });
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });

  it("compose accepts the compose file (`docker compose config` or `docker-compose config`)", async () => {
    const run = promisify(execFile);
    const v2 = await run("docker", ["compose", "version"]).then(() => true, () => false);
    const [cmd, args] = v2 ? ["docker", ["compose", "config", "-q"]] : ["docker-compose", ["config", "-q"]];
    const res = await run(cmd as string, args as string[], { cwd: out }).then(
      (r) => ({ code: 0, stderr: r.stderr }),
      (e: { code?: number; stderr?: string; message: string }) => ({ code: e.code ?? 1, stderr: e.stderr ?? e.message }),
    );
    expect(res.code, `${cmd} failed (install Docker Compose: scripts/provision-docker.sh): ${res.stderr}`).toBe(0);
  });
});
