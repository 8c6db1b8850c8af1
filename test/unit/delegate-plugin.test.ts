// The federation-delegate plugin's rules in code (fast, with a fake plugin API and a local HTTP
// server standing in for the peer's A2A endpoint; the real thing runs in test/e2e/delegate.test.ts).
import { createServer } from "node:http";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain JavaScript plugin without types (it is loaded by OpenClaw, not compiled)
import plugin, { runDepth } from "../../plugins/federation-delegate/index.js";

type Tool = { execute(id: string, params: unknown): Promise<{ content: Array<{ text: string }>; details: Record<string, unknown> }> };

function load(pluginConfig: unknown, config: unknown): (ctx: unknown) => Tool {
  let factory: ((ctx: unknown) => Tool) | undefined;
  plugin.register({ pluginConfig, config, logger: {}, registerTool: (f: (ctx: unknown) => Tool) => (factory = f), registerService: () => undefined });
  return factory!;
}

describe("federation_delegate", () => {
  it("depth: a person's run is 0, a run started by a linked gateway over A2A is 1, the operator peer counts as a person", () => {
    const peers = { goreos: {} };
    expect(runDepth({ messageChannel: "telegram", sessionKey: "agent:korax:main" }, peers)).toBe(0);
    expect(runDepth({ messageChannel: "a2a", sessionKey: "agent:korax:a2a:default:direct:goreos:ctx-1" }, peers)).toBe(1);
    expect(runDepth({ messageChannel: "a2a", sessionKey: "agent:korax:a2a:default:direct:clawfed.operator:ctx-1" }, peers)).toBe(0);
  });

  it("refuses an unlinked gateway and a task at depth 2, without any request", async () => {
    const make = load({ self: "goreos", peers: { korax: {} } }, { channels: { a2a: { peers: { korax: { token: "t", url: "http://127.0.0.1:9/a2a/v1", outboundToken: "o" } } } } });
    const unlinked = await make({ messageChannel: "telegram" }).execute("1", { to: "medico", task: "x" });
    expect(unlinked.details).toMatchObject({ ok: false, refused: "not-linked" });
    const deep = await make({ messageChannel: "a2a", sessionKey: "agent:goreos:a2a:default:direct:korax:c" }).execute("1", { to: "korax", task: "x" });
    expect(deep.details).toMatchObject({ ok: false, refused: "depth", depth: 2 });
    expect(deep.content[0]!.text).toMatch(/Answer it yourself/);
  });

  it("sends a blocking SendMessage with a fresh contextId and the depth line, and returns the answer", async () => {
    const seen: any[] = [];
    const server = createServer((req, res) => {
      let raw = "";
      req.on("data", (d) => (raw += d));
      req.on("end", () => {
        seen.push({ auth: req.headers.authorization, body: JSON.parse(raw) });
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ jsonrpc: "2.0", id: 1, result: { task: { id: "t1", status: { state: "TASK_STATE_COMPLETED" }, artifacts: [{ parts: [{ text: "the answer" }] }] } } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      const make = load({ self: "korax", peers: { goreos: {} } }, { channels: { a2a: { peers: { goreos: { token: "in", url: `http://127.0.0.1:${port}/a2a/v1`, outboundToken: "out-token" } } } } });
      const tool = make({ messageChannel: "telegram" });
      const a = await tool.execute("1", { to: "goreos", task: "do it" });
      const b = await tool.execute("2", { to: "goreos", task: "again" });
      expect(a.content[0]!.text).toBe("the answer");
      expect(a.details).toMatchObject({ ok: true, to: "goreos", depth: 1 });
      expect(seen[0].auth).toBe("Bearer out-token");
      expect(seen[0].body.params.message.parts[0].text).toBe("[federation from=korax depth=1]\ndo it");
      expect(seen[0].body.params.message.contextId).not.toBe(seen[1].body.params.message.contextId);
      expect(seen[0].body.params.configuration?.returnImmediately).toBeUndefined();
    } finally {
      server.close();
    }
  });

  it("falls back to the mailbox when the peer cannot be reached", async () => {
    const outbox = await mkdtemp(path.join(os.tmpdir(), "cf-outbox-"));
    const make = load({ self: "korax", peers: { goreos: { outbox } } }, { channels: { a2a: { peers: { goreos: { token: "in", url: "http://127.0.0.1:9/a2a/v1", outboundToken: "o" } } } } });
    const r = await make({}).execute("1", { to: "goreos", task: "later" });
    expect(r.details).toMatchObject({ ok: true, queued: true });
    const files = await readdir(outbox);
    expect(files).toHaveLength(1);
    expect(JSON.parse(await readFile(path.join(outbox, files[0]!), "utf8"))).toMatchObject({ from: "korax", to: "goreos", depth: 1, type: "request", status: "pending", payload: { task: "later" } });
  });
});
