// A scripted OpenAI-compatible model server (no LLM): real gateways talk to it exactly as to a
// provider (`models.providers.<id>.baseUrl`, api "openai-completions", POST /v1/chat/completions
// with stream: true; facts sheet Appendix C). Plain JavaScript so that bench/*.mjs (Node 20 on the
// host) and the vitest suites share it. Types: scripted-model.d.mts.
//
// Which gateway asks is the model id (`<provider>/<gateway>` in the spec → body.model "<gateway>").
// What it answers depends on the last user or tool message:
//   - a tool result (role "tool") → final text `<GATEWAY> RESULT: <tool result text>`.
//   - text containing `DELEGATE <peer>: <task>` → a call of the `federation_delegate` tool (directly
//     when offered, else through Tool Search's `tool_call`).
//   - text containing `EXEC: <command>` → a call of the `exec` tool.
//   - anything else → `<GATEWAY>-MARKER answered: <first 200 characters of the task>`.
// Model ids in `failing` answer HTTP 500 (the primary/fallback test).
// Every request is recorded (model, last user text, offered tools) for the tests to inspect.
import { createServer } from "node:http";

/** Last text of a chat message (string content or an array of text parts). */
function textOf(message) {
  if (!message) return "";
  const c = message.content;
  if (typeof c === "string") return c;
  if (Array.isArray(c)) return c.map((p) => (typeof p === "string" ? p : (p?.text ?? ""))).join("");
  return "";
}

const INTERNAL = "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>";

/** Text of the current turn: every user message after the last assistant or tool message. */
export function turnText(messages) {
  const out = [];
  for (let i = messages.length - 1; i >= 0 && messages[i].role === "user"; i--) out.unshift(textOf(messages[i]));
  return out.join("\n\n");
}

/** Names of the tools offered in a request. */
function toolNames(body) {
  return (body.tools ?? []).map((t) => t?.function?.name ?? t?.name).filter(Boolean);
}

/** The scripted decision for one request: `{ text }` or `{ tool: { name, args } }`. */
export function decide(body) {
  const model = String(body.model ?? "model").replace(/^.*\//, "");
  const label = model.toUpperCase();
  const messages = body.messages ?? [];
  // OpenClaw appends an internal-context user message after tool results: skip those.
  let i = messages.length - 1;
  while (i >= 0 && messages[i].role === "user" && textOf(messages[i]).startsWith(INTERNAL)) i--;
  if (messages[i]?.role === "tool") {
    return { text: `${label} RESULT: ${textOf(messages[i])}` };
  }
  const text = turnText(messages);
  const tools = toolNames(body);
  const via = (name, args) =>
    tools.includes(name) ? { tool: { name, args } } : tools.includes("tool_call") ? { tool: { name: "tool_call", args: { id: name, args } } } : { text: `${label} cannot call ${name}: not offered (tools: ${tools.join(",")})` };
  const delegate = /DELEGATE ([a-z0-9-]+): ([^\n"\\]+)/.exec(text);
  if (delegate) return via("federation_delegate", { to: delegate[1], task: delegate[2].trim() });
  const exec = /EXEC: ([^\n]+)/.exec(text);
  if (exec) return via("exec", { command: exec[1].trim() });
  const task = (/TASK (\S+)/.exec(text) ?? [])[1];
  const fed = (/\[federation from=[a-z0-9-]+ depth=\d+\]/.exec(text) ?? [])[0];
  return { text: `${label}-MARKER answered${task ? ` TASK ${task}` : ""}${fed ? ` (${fed})` : ""}` };
}

function sse(res, chunks) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  for (const c of chunks) res.write(`data: ${JSON.stringify(c)}\n\n`);
  res.end("data: [DONE]\n\n");
}

let seq = 0;
function reply(res, body, decision) {
  const id = `chatcmpl-${++seq}`;
  const created = Math.floor(Date.now() / 1000);
  const base = { id, object: "chat.completion.chunk", created, model: body.model };
  const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
  if (decision.tool) {
    const call = { id: `call_${seq}`, type: "function", function: { name: decision.tool.name, arguments: JSON.stringify(decision.tool.args) } };
    if (body.stream === false) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id, object: "chat.completion", created, model: body.model, usage, choices: [{ index: 0, finish_reason: "tool_calls", message: { role: "assistant", content: null, tool_calls: [call] } }] }));
      return;
    }
    sse(res, [
      { ...base, choices: [{ index: 0, delta: { role: "assistant", tool_calls: [{ index: 0, ...call }] }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }], usage },
    ]);
    return;
  }
  if (body.stream === false) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ id, object: "chat.completion", created, model: body.model, usage, choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: decision.text } }] }));
    return;
  }
  sse(res, [
    { ...base, choices: [{ index: 0, delta: { role: "assistant", content: decision.text }, finish_reason: null }] },
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage },
  ]);
}

/**
 * Start the server. `host` 0.0.0.0 lets containers reach it through `host.docker.internal`
 * (extra_hosts host-gateway). Returns the port, the request log and a close function.
 */
export async function startScriptedModel(opts = {}) {
  const requests = [];
  const failing = new Set(opts.failing ?? []);
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", () => {
      if (req.method === "GET" && /\/models$/.test(req.url ?? "")) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ object: "list", data: [] }));
        return;
      }
      if (req.method !== "POST" || !/\/chat\/completions$/.test(req.url ?? "")) {
        res.writeHead(404).end();
        return;
      }
      let body;
      try {
        body = JSON.parse(raw);
      } catch {
        res.writeHead(400).end();
        return;
      }
      const model = String(body.model ?? "").replace(/^.*\//, "");
      const messages = body.messages ?? [];
      const entry = { model, at: Date.now(), lastUser: turnText(messages), lastRole: messages[messages.length - 1]?.role, tools: toolNames(body), failed: failing.has(model), authorization: Boolean(req.headers.authorization) };
      if (failing.has(model)) {
        entry.decision = { status: 500 };
        requests.push(entry);
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "scripted failure", type: "server_error" } }));
        return;
      }
      const decision = decide(body);
      entry.decision = decision;
      requests.push(entry);
      reply(res, body, decision);
    });
  });
  await new Promise((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const port = server.address().port;
  return {
    port,
    requests,
    setFailing(models) {
      failing.clear();
      for (const m of models) failing.add(m);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
