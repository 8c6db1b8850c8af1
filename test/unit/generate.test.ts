// generate(): the written tree, its determinism, token handling and the writer's guarantees.
import { readFile, readdir, stat, writeFile, mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import JSON5 from "json5";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { Ajv } from "ajv";
import { beforeAll, describe, expect, it } from "vitest";
import { generate } from "../../src/ops/generate.js";
import { compile } from "../../src/targets/registry.js";
import { loadSpecFile, loadSpecText } from "../../src/federation/load.js";
import { runCli } from "../helpers/cli.js";
import { snapshotTree } from "../helpers/tree.js";
import { tempDir } from "../helpers/tmp.js";

const KORAX = "federations/korax.yaml";
const LAB = "federations/lab.yaml";


/** Reverse the key order of every mapping and the order of every list of links. */
function shuffle(v: unknown, key = ""): unknown {
  if (Array.isArray(v)) return (key === "links" ? [...v].reverse() : v).map((x) => shuffle(x));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, shuffle(x, k)]));
  return v;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.relative(dir, path.join(e.parentPath, e.name)));
  }
  return out.sort();
}

describe("generate korax", () => {
  let out: string;
  let env: Record<string, string>;
  let compose: Record<string, any>;
  beforeAll(async () => {
    out = await tempDir("korax");
    await generate({ spec: KORAX, outDir: out });
    env = parseDotenv(await readFile(path.join(out, ".env"), "utf8"));
    compose = parseYaml(await readFile(path.join(out, "docker-compose.yml"), "utf8"));
  });

  it("writes the whole tree", async () => {
    const files = await filesUnder(out);
    expect(files).toEqual(
      expect.arrayContaining([
        ".env",
        "README.md",
        "docker-compose.yml",
        "gateways/korax/openclaw.json",
        "gateways/goreos/openclaw.json",
        "gateways/medico/openclaw.json",
        "workspaces/korax/AGENTS.md",
        "workspaces/korax/SOUL.md",
        "workspaces/korax/skills/federation-delegate/SKILL.md",
        "workspaces/goreos/AGENTS.md",
        "workspaces/medico/SOUL.md",
      ]),
    );
    for (const route of ["korax--to--goreos", "goreos--to--korax", "korax--to--medico", "medico--to--korax"]) {
      expect((await stat(path.join(out, "comms", route))).isDirectory()).toBe(true);
    }
    await expect(stat(path.join(out, "comms", "goreos--to--medico"))).rejects.toThrow();
    expect(await readFile(path.join(out, "README.md"), "utf8")).toMatch(/```mermaid\ngraph LR[\s\S]*goreos <-->\|a2a, hooks, mailbox\| korax/);
  });

  it(".env is 0600, has a distinct token per gateway, hooks and a2a direction, and placeholders for user secrets", async () => {
    expect((await stat(path.join(out, ".env"))).mode & 0o777).toBe(0o600);
    const tokens = Object.entries(env).filter(([k]) => k.endsWith("_TOKEN") && !k.startsWith("TG_"));
    expect(tokens.map(([k]) => k).sort()).toEqual(
      [
        "KORAX_GATEWAY_TOKEN", "GOREOS_GATEWAY_TOKEN", "MEDICO_GATEWAY_TOKEN",
        "KORAX_HOOKS_TOKEN", "GOREOS_HOOKS_TOKEN", "MEDICO_HOOKS_TOKEN",
        "A2A_KORAX__GOREOS_TOKEN", "A2A_GOREOS__KORAX_TOKEN", "A2A_KORAX__MEDICO_TOKEN", "A2A_MEDICO__KORAX_TOKEN",
        "KORAX_OPERATOR_TOKEN", "GOREOS_OPERATOR_TOKEN", "MEDICO_OPERATOR_TOKEN",
      ].sort(),
    );
    const values = tokens.map(([, v]) => v);
    expect(new Set(values).size).toBe(values.length);
    for (const v of values) expect(v).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(env.ANTHROPIC_API_KEY).toBe("");
    expect(env.TG_TOKEN_KORAX).toBe("");
    expect(env.COMPOSE_PROJECT_NAME).toBe("korax");
  });

  it("no token value appears in any other generated file", async () => {
    const secrets = Object.entries(env).filter(([k, v]) => k.endsWith("_TOKEN") && v).map(([, v]) => v);
    for (const f of await filesUnder(out)) {
      if (f === ".env") continue;
      const text = await readFile(path.join(out, f), "utf8");
      for (const s of secrets) expect(text.includes(s), `${f} leaks a token`).toBe(false);
    }
  });

  it("each gateway container is named after its gateway on the inside too (hostname), the same for every container of it", () => {
    // OpenClaw can prove a killed predecessor's owner lease dead only on the same hostname(): with
    // Docker's default (the container id) a rollout's new container failed to start (issue 16 notes).
    const names = Object.entries(compose.services as Record<string, { hostname?: string }>).map(([svc, def]) => [svc, def.hostname]);
    for (const [svc, hostname] of names) expect(hostname).toBe(svc);
    expect(new Set(names.map(([, h]) => h)).size).toBe(names.length);
  });

  it("each gateway's environment holds only the variables it needs", () => {
    const envOf = (svc: string) => Object.keys(compose.services[svc].environment).filter((k) => !k.startsWith("OPENCLAW_") && k !== "NODE_COMPILE_CACHE").sort();
    expect(envOf("medico")).toEqual(
      ["A2A_KORAX__MEDICO_TOKEN", "A2A_MEDICO__KORAX_TOKEN", "ANTHROPIC_API_KEY", "KORAX_HOOKS_TOKEN", "MEDICO_GATEWAY_TOKEN", "MEDICO_HOOKS_TOKEN", "MEDICO_OPERATOR_TOKEN", "TG_TOKEN_MEDICO"].sort(),
    );
    expect(envOf("goreos")).not.toContain("MEDICO_HOOKS_TOKEN");
    expect(envOf("goreos")).not.toContain("TG_TOKEN_KORAX");
    expect(envOf("korax")).toContain("GOREOS_HOOKS_TOKEN");
    expect(envOf("korax")).not.toContain("GOREOS_GATEWAY_TOKEN");
    for (const svc of Object.values(compose.services) as Array<{ environment: Record<string, string> }>) {
      for (const [k, v] of Object.entries(svc.environment)) if (!k.startsWith("OPENCLAW_") && k !== "NODE_COMPILE_CACHE") expect(v).toBe(`\${${k}}`);
    }
  });

  it("compose: localhost-only ports, hardening, per-link internal networks, read-only knowledge, own mailbox routes", () => {
    const k = compose.services.korax;
    expect(k.ports).toEqual(["127.0.0.1:18789:18789"]);
    expect(k).toMatchObject({ init: true, restart: "unless-stopped", cap_drop: ["ALL"], security_opt: ["no-new-privileges:true"], pids_limit: 512, mem_limit: "2g", cpus: 2 });
    expect(k.networks).toEqual(["korax-egress", "link-goreos--korax", "link-korax--medico"]);
    expect(compose.services.goreos.networks).toEqual(["goreos-egress", "link-goreos--korax"]);
    expect(compose.networks["link-goreos--korax"].internal).toBe(true);
    expect(compose.networks["korax-egress"].internal).toBeUndefined();
    expect(k.volumes).toContain("korax-state:/home/node/.openclaw");
    expect(k.volumes).toContain("./gateways/korax:/etc/clawfed:ro");
    expect(k.volumes).toContain("/srv/koda/knowledge:/shared/koda:ro");
    expect(compose.services.medico.volumes.filter((v: string) => v.includes("/shared/comms/"))).toEqual([
      "./comms/korax--to--medico:/shared/comms/korax--to--medico",
      "./comms/medico--to--korax:/shared/comms/medico--to--korax",
    ]);
    expect(k.healthcheck.test.join(" ")).toMatch(/healthz.*b\.ok === true && b\.status === 'live'/);
    expect(k.environment).toMatchObject({ OPENCLAW_CONFIG_PATH: "/etc/clawfed/openclaw.json", OPENCLAW_CONFIG_READONLY: "1" });
  });

  it("sandboxed spokes get the Docker socket and bind-mounted state, nothing else privileged", () => {
    const g = compose.services.goreos;
    expect(g.volumes).toContain("/var/run/docker.sock:/var/run/docker.sock");
    expect(g.volumes).toContain("./state/goreos:/home/node/.openclaw");
    expect(g.group_add).toEqual(["${CLAWFED_DOCKER_GID}"]);
    expect(g.privileged).toBeUndefined();
    expect(g.cap_add).toBeUndefined();
    expect(compose.services.korax.volumes).not.toContain("/var/run/docker.sock:/var/run/docker.sock");
    expect(Object.keys(compose.volumes)).toEqual(["korax-state"]);
  });

  it("openclaw.json uses the current schema and references secrets by name", async () => {
    const cfg = JSON5.parse(await readFile(path.join(out, "gateways/korax/openclaw.json"), "utf8"));
    expect(cfg.gateway).toMatchObject({ mode: "local", bind: "lan", port: 18789, auth: { mode: "token", token: "${KORAX_GATEWAY_TOKEN}" } });
    expect(cfg.agents.entries.korax.model).toEqual({ primary: "anthropic/claude-sonnet-4-6", fallbacks: ["openai/gpt-5.4-mini"] });
    expect(cfg.agents.list).toBeUndefined();
    expect(cfg.memory.search.extraPaths).toEqual(["/shared/docs", "/shared/koda"]);
    expect(cfg.channels.a2a.peers.goreos).toEqual({ token: "${A2A_GOREOS__KORAX_TOKEN}", url: "http://goreos:18789/a2a/v1", outboundToken: "${A2A_KORAX__GOREOS_TOKEN}" });
    expect(cfg.hooks).toMatchObject({ enabled: true, token: "${KORAX_HOOKS_TOKEN}", allowRequestSessionKey: false });
    expect(cfg.gateway.controlUi.allowedOrigins).toEqual(["http://127.0.0.1:18789", "http://localhost:18789"]);
    const spoke = JSON5.parse(await readFile(path.join(out, "gateways/medico/openclaw.json"), "utf8"));
    expect(spoke.gateway.controlUi.allowedOrigins).toEqual(["http://127.0.0.1:19029", "http://localhost:19029"]);
    expect(spoke.agents.defaults.sandbox).toEqual({ mode: "all", scope: "agent", workspaceAccess: "ro", docker: { network: "none" } });
  });

  it("the delegate skill lists reachable spokes and names tokens only as variables", async () => {
    const skill = await readFile(path.join(out, "workspaces/korax/skills/federation-delegate/SKILL.md"), "utf8");
    expect(skill.startsWith("---\nname: federation-delegate\n")).toBe(true);
    expect(skill).toMatch(/\| goreos \| GORE Ñuble/);
    expect(skill).toMatch(/\| medico \| Emergency medicine/);
    // The federation_delegate tool authenticates; the skill names no token and requires none.
    expect(skill).toContain("federation_delegate");
    expect(skill).not.toMatch(/TOKEN|requires/);
    expect(skill).toMatch(/## When not to/);
    expect(skill).toMatch(/comms\/goreos--to--korax/);
    const agents = await readFile(path.join(out, "workspaces/goreos/AGENTS.md"), "utf8");
    expect(agents).toMatch(/Never forward\s+such a task to another gateway/);
    expect(agents).toMatch(/\/shared\/comms\/korax--to--goreos/);
  });

  it("every generated file carries the header where the format allows comments", async () => {
    const header = "generated by clawfed from federations/korax.yaml: edit the spec, not this file";
    for (const f of await filesUnder(out)) {
      if (f.startsWith(".clawfed/")) continue;
      // Byte copies of clawfed's own plugin (its package.json and manifest are strict JSON).
      if (f.startsWith("plugins/")) continue;
      expect(await readFile(path.join(out, f), "utf8"), f).toContain(header);
    }
  });

  it("compose file validates against the Compose Specification schema (what compose v2 enforces)", async () => {
    const { $schema: _draft, ...schema } = JSON.parse(await readFile("test/fixtures/compose-spec.json", "utf8"));
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    for (const spec of [KORAX, LAB]) {
      const dir = await tempDir("ajv");
      await generate({ spec, outDir: dir });
      const doc = parseYaml(await readFile(path.join(dir, "docker-compose.yml"), "utf8"));
      expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    }
  });
});

describe("determinism and tokens", () => {
  it("generating twice and from a reordered spec gives identical bytes", async () => {
    const out = await tempDir("det");
    await generate({ spec: KORAX, outDir: out });
    const first = await snapshotTree(out);
    const second = await generate({ spec: KORAX, outDir: out });
    expect(second.written).toEqual([]);
    const dir = await tempDir("shuf");
    const shuffled = path.join(dir, "korax.yaml");
    await writeFile(shuffled, stringifyYaml(shuffle(parseYaml(await readFile(KORAX, "utf8")))));
    // Same spec path in headers: compile the shuffled text under the original name.
    const a = compile((await loadSpecFile(KORAX)).federation);
    const b = compile((await loadSpecText(await readFile(shuffled, "utf8"), KORAX)).federation);
    expect(b).toEqual(a);
    const again = await snapshotTree(out);
    for (const [k, v] of first) expect(again.get(k)?.content, k).toBe(v.content);
  });

  it("keeps tokens and user values across runs; --rotate replaces only that gateway's tokens", async () => {
    const out = await tempDir("rot");
    await generate({ spec: KORAX, outDir: out });
    const envPath = path.join(out, ".env");
    const before = parseDotenv(await readFile(envPath, "utf8"));
    await writeFile(envPath, (await readFile(envPath, "utf8")).replace("ANTHROPIC_API_KEY=", "ANTHROPIC_API_KEY=sk-user-value") + "MY_EXTRA=keep me\n");
    await generate({ spec: KORAX, outDir: out });
    const kept = parseDotenv(await readFile(envPath, "utf8"));
    expect(kept.KORAX_GATEWAY_TOKEN).toBe(before.KORAX_GATEWAY_TOKEN);
    expect(kept.ANTHROPIC_API_KEY).toBe("sk-user-value");
    expect(kept.MY_EXTRA).toBe("keep me");
    const res = await generate({ spec: KORAX, outDir: out, rotate: ["goreos"] });
    const after = parseDotenv(await readFile(envPath, "utf8"));
    expect(res.env.rotated.sort()).toEqual(["A2A_GOREOS__KORAX_TOKEN", "A2A_KORAX__GOREOS_TOKEN", "GOREOS_GATEWAY_TOKEN", "GOREOS_HOOKS_TOKEN", "GOREOS_OPERATOR_TOKEN"]);
    for (const k of res.env.rotated) expect(after[k]).not.toBe(before[k]);
    for (const k of ["KORAX_GATEWAY_TOKEN", "MEDICO_HOOKS_TOKEN", "A2A_KORAX__MEDICO_TOKEN"]) expect(after[k]).toBe(before[k]);
    expect((await stat(envPath)).mode & 0o777).toBe(0o600);
  });

  it("--rotate of an unknown gateway is refused and changes nothing", async () => {
    const out = await tempDir("rotbad");
    await generate({ spec: KORAX, outDir: out });
    const before = await snapshotTree(out);
    const res = await runCli(["generate", KORAX, "--out", out, "--rotate", "nobody"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--rotate names "nobody", which is not a gateway of korax/);
    expect(await snapshotTree(out)).toEqual(before);
  });

  it("--dry-run writes nothing; --json prints no secret", async () => {
    const out = path.join(await tempDir("dry"), "fed");
    const res = await runCli(["generate", KORAX, "--out", out, "--dry-run", "--json"]);
    expect(res.code).toBe(0);
    const body = JSON.parse(res.stdout);
    expect(body.written).toContain("docker-compose.yml");
    await expect(stat(out)).rejects.toThrow();
    const real = await runCli(["generate", KORAX, "--out", out, "--json"]);
    const env = parseDotenv(await readFile(path.join(out, ".env"), "utf8"));
    for (const v of Object.values(env).filter((x) => x.length > 20)) expect(real.stdout.includes(v)).toBe(false);
  });

  it("removes files a previous run generated but keeps what gateways wrote", async () => {
    const out = await tempDir("orph");
    const dir = await tempDir("orphspec");
    const spec = path.join(dir, "lab.yaml");
    const text = (await readFile(LAB, "utf8")).replace("/srv/lab/comms", path.join(dir, "comms"));
    await writeFile(spec, text);
    await generate({ spec, outDir: out });
    await mkdir(path.join(out, "workspaces/code/memory"), { recursive: true });
    await writeFile(path.join(out, "workspaces/code/memory/2026-11-21.md"), "agent notes\n");
    const smaller = parseYaml(text);
    delete smaller.gateways.code;
    smaller.links = smaller.links.filter((l: { from: string; to: string }) => l.from !== "code" && l.to !== "code");
    await writeFile(spec, stringifyYaml(smaller));
    const res = await generate({ spec, outDir: out });
    expect(res.removed.sort()).toEqual([
      "gateways/code/openclaw.json",
      "workspaces/code/AGENTS.md",
      "workspaces/code/SOUL.md",
      "workspaces/code/skills/federation-delegate/SKILL.md",
    ]);
    expect(await readFile(path.join(out, "workspaces/code/memory/2026-11-21.md"), "utf8")).toBe("agent notes\n");
    await expect(stat(path.join(out, "gateways/code"))).rejects.toThrow();
    await expect(stat(path.join(out, "workspaces/code/skills"))).rejects.toThrow();
    await rm(out, { recursive: true, force: true });
  });

  it("a one-way a2a link: the callee cannot call back (its would-be token is sealed in the caller)", async () => {
    const text = [
      "name: oneway",
      "gateways:",
      "  hub: { role: hub, port: 18789, description: h, model: anthropic/claude-sonnet-4-6 }",
      "  spoke: { port: 18909, description: s, model: anthropic/claude-sonnet-4-6 }",
      "links:",
      "  - { from: hub, to: spoke, oneWay: true }",
      "",
    ].join("\n");
    const res = compile((await loadSpecText(text, "oneway.yaml")).federation);
    const slot = (n: string) => res.env.find((s) => s.name === n);
    expect(slot("A2A_HUB__SPOKE_TOKEN")?.consumers).toEqual(["hub", "spoke"]);
    expect(slot("A2A_SPOKE__HUB_TOKEN")?.consumers).toEqual(["hub"]);
    const cfg = (id: string) => {
      const a = res.artifacts.find((x) => x.path === `gateways/${id}/openclaw.json`);
      return JSON5.parse(a?.kind === "file" ? a.content : "{}");
    };
    expect(cfg("hub").channels.a2a.peers.spoke).toEqual({ token: "${A2A_SPOKE__HUB_TOKEN}", url: "http://spoke:18789/a2a/v1", outboundToken: "${A2A_HUB__SPOKE_TOKEN}" });
    expect(cfg("spoke").channels.a2a.peers.hub).toEqual({ token: "${A2A_HUB__SPOKE_TOKEN}" });
    expect(res.artifacts.some((a) => a.path === "workspaces/spoke/skills/federation-delegate/SKILL.md")).toBe(false);
  });

});
