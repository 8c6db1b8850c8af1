// `clawfed ask` through the built CLI against a fake A2A endpoint on the gateway's port (a unit
// test of the CLI → ops/ask → runtime/a2a-client path; the real gateways are test/e2e/delegate):
// the operator token travels only in the Authorization header and never appears in output;
// unknown gateway exit 2; nobody listening exit 3 with the next command; a failed task exit 3.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";

let server: Server;
let port: number;
let dir: string;
let spec: string;
let token: string;
const seen: Array<{ auth?: string; body: any }> = [];
let reply: (body: any) => { status: number; json: unknown } = () => ({ status: 500, json: {} });

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      const body = JSON.parse(text);
      seen.push({ auth: req.headers.authorization, body });
      const r = reply(body);
      res.writeHead(r.status, { "content-type": "application/json" }).end(JSON.stringify(r.json));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
  dir = await tempDir("cf-ask-");
  spec = path.join(dir, "askfed.yaml");
  await writeFile(spec, `name: askfed
gateways:
  hub: { role: hub, port: ${port}, description: Hub., model: anthropic/claude-sonnet-4-6 }
`);
  const gen = await runCli(["generate", spec, "--out", path.join(dir, "out")]);
  expect(gen.code, gen.stderr).toBe(0);
  token = parseDotenv(await readFile(path.join(dir, "out", ".env"), "utf8")).HUB_OPERATOR_TOKEN!;
  expect(token.length).toBeGreaterThan(16);
}, 60_000);

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const completed = (text: string) => ({ jsonrpc: "2.0", id: 1, result: { task: { id: "t1", status: { state: "TASK_STATE_COMPLETED" }, artifacts: [{ parts: [{ text }] }] } } });

describe("clawfed ask", () => {
  it("sends one blocking SendMessage with the operator token in the header and prints the answer", async () => {
    seen.length = 0;
    reply = (b) => ({ status: 200, json: completed(`answer to: ${b.params.message.parts[0].text}`) });
    const r = await runCli(["ask", spec, "hub", "what is up?", "--out", path.join(dir, "out"), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res).toMatchObject({ ok: true, gateway: "hub", state: "TASK_STATE_COMPLETED", taskId: "t1", answer: "answer to: what is up?" });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.auth).toBe(`Bearer ${token}`);
    expect(seen[0]!.body.method).toBe("SendMessage");
    expect(seen[0]!.body.params.message.contextId).toBe(res.contextId);
    expect(r.stdout + r.stderr).not.toContain(token);
    const plain = await runCli(["ask", spec, "hub", "again", "--out", path.join(dir, "out")]);
    expect(plain.stdout).toBe("answer to: again\n");
    expect(seen[1]!.body.params.message.contextId).not.toBe(res.contextId); // a fresh context per ask
  });

  it("an answer that echoes the token is redacted", async () => {
    reply = () => ({ status: 200, json: completed(`leak ${token}`) });
    const r = await runCli(["ask", spec, "hub", "x", "--out", path.join(dir, "out")]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(token);
    expect(r.stdout).toContain("<redacted>");
  });

  it("a task that did not complete is exit 3 with the next command", async () => {
    reply = () => ({ status: 200, json: { jsonrpc: "2.0", id: 1, result: { task: { id: "t2", status: { state: "TASK_STATE_FAILED" } } } } });
    const r = await runCli(["ask", spec, "hub", "x", "--out", path.join(dir, "out"), "--json"]);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, state: "TASK_STATE_FAILED", next: expect.stringContaining("clawfed logs") });
  });

  it("an unknown gateway is exit 2 before anything is sent", async () => {
    seen.length = 0;
    const r = await runCli(["ask", spec, "nope", "x", "--out", path.join(dir, "out")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"nope", which is not a gateway of askfed/);
    expect(seen).toHaveLength(0);
  });

  it("a gateway nobody answers for is exit 3 naming clawfed status, without the token", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const free = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const down = path.join(dir, "down.yaml");
    await writeFile(down, (await readFile(spec, "utf8")).replace(`port: ${port}`, `port: ${free}`));
    const r = await runCli(["ask", down, "hub", "x", "--out", path.join(dir, "out")]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/not reachable/);
    expect(r.stderr).toMatch(/clawfed status/);
    expect(r.stdout + r.stderr).not.toContain(token);
  });
});
