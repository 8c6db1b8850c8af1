// Model providers in the spec (issue 11): the shape, the rule that every referenced
// <provider>/<model> of a spec provider exists, the generated models.providers / modelPolicy, the
// env plan for provider keys, and compose's host-gateway mapping for a server on the Docker host.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/targets/registry.js";
import { loadSpecText } from "../../src/federation/load.js";
import { SpecError } from "../../src/errors.js";
import { parse as parseYaml } from "yaml";
import JSON5 from "json5";

const spec = (model: string, provider = "", extra = "") => `
name: p
${provider}
gateways:
  hub:
    role: hub
    port: 18789
    description: The hub.
    model: ${model}
  spoke:
    port: 18909
    description: A spoke.
    model: anthropic/claude-sonnet-4-6
${extra}
links:
  - from: hub
    to: spoke
`;
const OLLAMA = `
models:
  providers:
    local:
      baseUrl: http://host.docker.internal:11434/v1
      apiKey: LOCAL_LLM_KEY
      models:
        - id: qwen3:8b
          name: Qwen3 8B
        - id: llama3.2:3b
`;

async function problems(text: string): Promise<string[]> {
  try {
    await loadSpecText(text, "p.yaml");
    return [];
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    return e.message.split("\n");
  }
}

describe("models.providers", () => {
  it("a spec provider's models are referenced as <provider>/<id>; an unknown model is an error that names the known ones", async () => {
    expect(await problems(spec("local/qwen3:8b", OLLAMA))).toEqual([]);
    const bad = (await problems(spec("{ primary: local/qwen3:8b, fallbacks: [local/mistral] }", OLLAMA))).join("\n");
    expect(bad).toMatch(/gateways\.hub\.model\.fallbacks\.0: local\/mistral: provider "local" has no model "mistral"/);
    expect(bad).toMatch(/local\/qwen3:8b, local\/llama3\.2:3b/);
  });

  it("built-in providers are not checked", async () => {
    expect(await problems(spec("openai/gpt-5.4-mini"))).toEqual([]);
  });

  it("refuses a literal key, a reserved key variable, a non-http URL and an empty model list", async () => {
    const lit = (await problems(spec("local/qwen3:8b", OLLAMA.replace("LOCAL_LLM_KEY", "sk-ant-api03-" + "a".repeat(80))))).join("\n");
    expect(lit).toMatch(/models\.providers\.local\.apiKey/);
    expect((await problems(spec("local/qwen3:8b", OLLAMA.replace("LOCAL_LLM_KEY", "OPENCLAW_KEY")))).join("\n")).toMatch(/reserved/);
    expect((await problems(spec("local/qwen3:8b", OLLAMA.replace("http://", "file://")))).join("\n")).toMatch(/baseUrl/);
    expect((await problems(spec("anthropic/x", "models:\n  providers:\n    local:\n      baseUrl: http://x/v1\n      models: []"))).join("\n")).toMatch(/models\.providers\.local\.models/);
  });

  it("property: any model id listed by the provider is accepted, any other is refused", async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/), async (id) => {
        const listed = ["qwen3:8b", "llama3.2:3b"].includes(id);
        const p = await problems(spec(`local/${id}`, OLLAMA));
        expect(p.length === 0).toBe(listed);
      }),
      { numRuns: 40 },
    );
  });
});

describe("compiled providers and model selection", () => {
  it("writes only the providers a gateway uses, the key as ${VAR}, the spec's models as the allowlist, primary first", async () => {
    const { federation } = await loadSpecText(spec("{ primary: local/qwen3:8b, fallbacks: [anthropic/claude-sonnet-4-6] }", OLLAMA), "p.yaml");
    const res = compile(federation, "compose");
    const cfg = (id: string) => JSON5.parse((res.artifacts.find((a) => a.path === `gateways/${id}/openclaw.json`) as { content: string }).content);
    const hub = cfg("hub");
    expect(hub.models.providers).toEqual({
      local: { baseUrl: "http://host.docker.internal:11434/v1", api: "openai-completions", apiKey: "${LOCAL_LLM_KEY}", models: [{ id: "llama3.2:3b", name: "llama3.2:3b" }, { id: "qwen3:8b", name: "Qwen3 8B" }] },
    });
    expect(hub.agents.defaults.modelPolicy).toEqual({ allow: ["local/qwen3:8b", "anthropic/claude-sonnet-4-6"] });
    expect(hub.agents.entries.hub.model).toEqual({ primary: "local/qwen3:8b", fallbacks: ["anthropic/claude-sonnet-4-6"] });
    expect(cfg("spoke").models).toBeUndefined();
    const key = res.env.find((s) => s.name === "LOCAL_LLM_KEY")!;
    expect(key.consumers).toEqual(["hub"]);
    const compose = parseYaml((res.artifacts.find((a) => a.path === "docker-compose.yml") as { content: string }).content);
    expect(compose.services.hub.extra_hosts).toEqual(["host.docker.internal:host-gateway"]);
    expect(compose.services.spoke.extra_hosts).toBeUndefined();
  });

  it("native targets reach a provider on the host at 127.0.0.1", async () => {
    const { federation } = await loadSpecText(spec("local/qwen3:8b", OLLAMA), "p.yaml", { target: "native" } as never);
    const res = compile(federation, "native", { root: "/home/u/.clawfed/p", openclaw: { node: "/opt/node", entry: "/opt/openclaw.mjs" } });
    const hub = JSON5.parse((res.artifacts.find((a) => a.path === "hub/openclaw.json") as { content: string }).content);
    expect(hub.models.providers.local.baseUrl).toBe("http://127.0.0.1:11434/v1");
  });
});
