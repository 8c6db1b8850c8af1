// The swarm target, pure: the stack file (what `docker stack deploy` reads) and the Engine API
// service specs (what `clawfed up --target swarm` sends) built from one model.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { compile } from "../../src/targets/registry.js";
import { CONTAINER_PORT, linkNetwork } from "../../src/vocabulary/names.js";
import { loadSpecFile, loadSpecText } from "../../src/federation/load.js";
import type { Federation } from "../../src/federation/normalize.js";
import { networkCreates, serviceSpec } from "../../src/targets/swarm/service-spec.js";
import { compileSwarm, DIGEST_KEY_ENV, STACK_FILE } from "../../src/targets/swarm/index.js";
import { ENTRYPOINT_SCRIPT, memoryBytes, nodeLabel } from "../../src/targets/swarm/model.js";
import { federationArb } from "../helpers/spec-arb.js";
import { tempDir } from "../helpers/tmp.js";

type StackService = {
  image: string;
  command: string[];
  environment: Record<string, string>;
  secrets: Array<{ source: string; target: string; uid: string; gid: string; mode: number }>;
  ports: Array<{ target: number; published: number; mode: string }>;
  networks: Record<string, { aliases: string[] }>;
  healthcheck: { test: string[] };
  deploy: Record<string, any>;
};
type Stack = { version: string; services: Record<string, StackService>; networks: Record<string, { driver: string; internal?: boolean; driver_opts?: Record<string, string> }>; secrets?: Record<string, { external: boolean; name: string }> };

function stackOf(fed: Federation): Stack {
  const res = compile(fed, "swarm");
  const f = res.artifacts.find((a) => a.path === STACK_FILE);
  return parseYaml(f?.kind === "file" ? f.content : "") as Stack;
}

const korax = (await loadSpecFile("federations/korax.yaml")).federation;

describe("swarm target: federations/korax.yaml", () => {
  const stack = stackOf(korax);

  it("one 1-replica service per gateway with stop-first self-rolling-back updates, restart policy, /healthz check, resources and node-label placement", () => {
    expect(stack.version).toBe("3.9");
    expect(Object.keys(stack.services)).toEqual(["goreos", "korax", "medico"]);
    for (const g of korax.gateways) {
      const s = stack.services[g.id]!;
      expect(s.deploy).toMatchObject({
        mode: "replicated",
        replicas: 1,
        endpoint_mode: "dnsrr",
        placement: { constraints: [`node.labels.${nodeLabel("korax", g.id)}==true`], max_replicas_per_node: 1 },
        update_config: { parallelism: 1, order: "stop-first", failure_action: "rollback", monitor: "60s" },
        rollback_config: { parallelism: 1, order: "stop-first" },
        restart_policy: { condition: "any", delay: "10s", max_attempts: 5 },
        resources: { limits: { cpus: String(g.resources.cpus), memory: String(memoryBytes(g.resources.memory)), pids: g.resources.pids } },
        labels: { "ai.clawfed.federation": "korax", "ai.clawfed.managed": "true", "ai.clawfed.gateway": g.id, "com.docker.stack.namespace": "korax" },
      });
      expect(s.healthcheck.test.join(" ")).toContain("/healthz");
      expect(s.ports).toEqual([{ target: CONTAINER_PORT, published: g.port, protocol: "tcp", mode: "host" }]);
      // The entrypoint exports /run/secrets files; `$` doubled against stack-file interpolation.
      expect(s.command).toEqual(["sh", "-c", ENTRYPOINT_SCRIPT.replace(/\$/g, "$$$$")]);
    }
  });

  it("every token and user secret is an external Docker secret mounted 0400 for uid 1000; the environment holds none", () => {
    const res = compileSwarm(korax);
    const wanted = res.env.filter((s) => (s.kind === "token" || s.kind === "user") && s.consumers.length > 0);
    expect(Object.keys(stack.secrets!).sort()).toEqual(wanted.map((s) => s.name).sort());
    for (const [k, v] of Object.entries(stack.secrets!)) expect(v).toEqual({ external: true, name: `korax_${k}` });
    for (const g of korax.gateways) {
      const s = stack.services[g.id]!;
      expect(s.secrets.map((x) => x.source).sort()).toEqual(wanted.filter((w) => w.consumers.includes(g.id)).map((w) => w.name).sort());
      for (const x of s.secrets) expect(x).toMatchObject({ target: x.source, uid: "1000", gid: "1000", mode: 0o400 });
      expect(Object.keys(s.environment).sort()).toEqual(["NODE_COMPILE_CACHE", "OPENCLAW_CONFIG_PATH", "OPENCLAW_CONFIG_READONLY", "OPENCLAW_NO_AUTO_UPDATE", "OPENCLAW_STATE_DIR"]);
    }
    // goreos gets nothing of medico's, and the digest key reaches no gateway.
    expect(stack.services.goreos!.secrets.map((x) => x.source).join(" ")).not.toMatch(/MEDICO/);
    expect(res.env.find((s) => s.name === DIGEST_KEY_ENV)).toMatchObject({ kind: "token", consumers: [] });
  });

  it("one internal encrypted overlay per link, one egress overlay per gateway", () => {
    expect(stack.networks["link-goreos--korax"]).toMatchObject({ driver: "overlay", internal: true, driver_opts: { encrypted: "true" } });
    expect(stack.networks["korax-egress"]).toMatchObject({ driver: "overlay" });
    expect(stack.networks["korax-egress"]!.internal).toBeUndefined();
    expect(Object.keys(stack.services.goreos!.networks)).toEqual(["goreos-egress", "link-goreos--korax"]);
    expect(stack.services.goreos!.networks["link-goreos--korax"]).toEqual({ aliases: ["goreos"] });
  });

  it("the Engine API spec carries the same settings, with absolute bind sources and ids", () => {
    const { stack: model } = compileSwarm(korax);
    const svc = model.services.find((s) => s.gateway === "goreos")!;
    const secretIds = Object.fromEntries(model.secrets.map((s) => [s.key, `id-${s.key}`]));
    const networkIds = Object.fromEntries(model.networks.map((n) => [n.key, `net-${n.key}`]));
    const spec = serviceSpec(model, svc, { outDir: "/srv/out", dockerGid: "999", secretIds, networkIds }) as any;
    expect(spec.Name).toBe("korax_goreos");
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(spec.UpdateConfig).toMatchObject({ Order: "stop-first", FailureAction: "rollback", Parallelism: 1, Monitor: 60e9 });
    expect(spec.RollbackConfig).toMatchObject({ Order: "stop-first", FailureAction: "pause" });
    expect(spec.EndpointSpec).toEqual({ Mode: "dnsrr", Ports: [{ Protocol: "tcp", TargetPort: CONTAINER_PORT, PublishedPort: 18909, PublishMode: "host" }] });
    expect(spec.TaskTemplate.Placement).toEqual({ Constraints: [`node.labels.${nodeLabel("korax", "goreos")}==true`], MaxReplicas: 1 });
    expect(spec.TaskTemplate.ContainerSpec.Groups).toEqual(["999"]);
    expect(spec.TaskTemplate.ContainerSpec.Mounts.find((m: any) => m.Target === "/etc/clawfed")).toEqual({ Type: "bind", Source: "/srv/out/gateways/goreos", Target: "/etc/clawfed", ReadOnly: true });
    expect(spec.TaskTemplate.ContainerSpec.Secrets[0]).toMatchObject({ SecretID: expect.stringMatching(/^id-/), File: { UID: "1000", GID: "1000", Mode: 0o400 } });
    expect(spec.TaskTemplate.Networks).toContainEqual({ Target: `net-${linkNetwork("goreos", "korax")}`, Aliases: ["goreos"] });
    expect(networkCreates(model).find((n) => n.name === "korax_link-korax--medico")).toMatchObject({ internal: true, options: { encrypted: "true" } });
  });

  it("compiles to the same bytes twice", () => {
    const a = compile(korax, "swarm").artifacts.map((x) => (x.kind === "file" ? x.content : x.path));
    const b = compile(korax, "swarm").artifacts.map((x) => (x.kind === "file" ? x.content : x.path));
    expect(a).toEqual(b);
  });
});

describe("swarm target: any federation", () => {
  it("two services share an overlay iff their gateways are linked; each secret is mounted into exactly its consumers; no value or ${ reference in the stack file", async () => {
    await fc.assert(
      fc.asyncProperty(federationArb, async (shape) => {
        const fed = (await loadSpecText(JSON.stringify(shape), "fed.yaml")).federation;
        const stack = stackOf(fed);
        const res = compileSwarm(fed);
        const ids = Object.keys(shape.gateways);
        for (const a of ids) {
          for (const b of ids) {
            if (a >= b) continue;
            const shared = Object.keys(stack.services[a]!.networks).filter((n) => n in stack.services[b]!.networks);
            const linked = fed.pairs.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
            expect(shared, `${a} and ${b}`).toEqual(linked ? [linkNetwork(a, b)] : []);
          }
        }
        for (const s of res.env.filter((e) => (e.kind === "token" || e.kind === "user") && e.consumers.length)) {
          const mounted = ids.filter((id) => stack.services[id]!.secrets.some((x) => x.source === s.name));
          expect(mounted.sort(), s.name).toEqual([...s.consumers].sort());
        }
        for (const n of Object.values(stack.networks)) expect(n.driver).toBe("overlay");
        const text = JSON.stringify(stack);
        expect(text).not.toMatch(/\$\{[A-Z]/);
      }),
      { numRuns: 60 },
    );
  });
});

describe("swarm target: Docker's name limits", () => {
  it("refuses, for the swarm target only, a federation whose service or secret names Docker would refuse", async () => {
    const long = "a".repeat(40);
    const text = `name: ${"f".repeat(30)}\ngateways:\n  ${long}:\n    role: hub\n    port: 18789\n    description: x\n    model: anthropic/claude-sonnet-4-6\n  b:\n    role: spoke\n    port: 18909\n    description: y\n    model: anthropic/claude-sonnet-4-6\nlinks:\n  - { from: ${long}, to: b }\n`;
    await expect(loadSpecText(text, "f.yaml")).resolves.toBeDefined();
    const err = await loadSpecText(text, "f.yaml", { target: "swarm" }).then(() => undefined, (e: Error) => e);
    expect(err?.message ?? "").toBeDefined();
    const issues = (err as unknown as { issues: Array<{ path: string; message: string }> }).issues;
    expect(issues.map((i) => i.message).join("\n")).toMatch(/Swarm service f{30}_a{40} would be 71 characters, more than Docker's 63/);
    expect(issues.map((i) => i.message).join("\n")).toMatch(/Docker secret names would be longer than 64 characters: .*A2A_A{40}__B_TOKEN/);
  });
});

describe("swarm target: the entrypoint", () => {
  it("exports each env-named file of the secrets folder verbatim (no evaluation, trailing newline dropped), skips other names, then execs", async () => {
    const { writeFile } = await import("node:fs/promises");
    const { execFileSync } = await import("node:child_process");
    const dir = await tempDir("secrets");
    const tricky = `a b 'c' "d" $(touch ${dir}/pwned) \`id\` $HOME \\n`;
    await writeFile(`${dir}/GOOD_TOKEN`, "v1\n");
    await writeFile(`${dir}/TRICKY`, tricky);
    await writeFile(`${dir}/lower_name`, "no");
    await writeFile(`${dir}/BAD-NAME`, "no");
    const script = ENTRYPOINT_SCRIPT.replace("/run/secrets", dir).replace(/exec node .*$/, "exec node -e 'console.log(JSON.stringify(process.env))'");
    const env = JSON.parse(execFileSync("sh", ["-c", script], { encoding: "utf8", env: { PATH: process.env.PATH } })) as Record<string, string>;
    expect(env.GOOD_TOKEN).toBe("v1");
    expect(env.TRICKY).toBe(tricky);
    expect(env.lower_name).toBeUndefined();
    expect(Object.keys(env).some((k) => k.includes("BAD"))).toBe(false);
    const { existsSync } = await import("node:fs");
    expect(existsSync(`${dir}/pwned`)).toBe(false);
  });
});
