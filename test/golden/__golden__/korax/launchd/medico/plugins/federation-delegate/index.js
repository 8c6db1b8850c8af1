// clawfed's federation-delegate OpenClaw plugin (plain ESM, no dependencies: it is loaded offline
// from a mounted folder through `plugins.load.paths`; OpenClaw docs gateway/config-extensions.md).
//
// Tool `federation_delegate {to, task}`: a blocking A2A `SendMessage` (docs channels/a2a.md) to a
// linked gateway with a fresh contextId per task (overlapping sends in one shared context fail on
// 2026.9.6: facts Appendix C), the peer's answer as the tool result. The depth rule is code:
// a run started by another federation gateway has depth >= 1, so delegating from it would reach
// depth 2 and is refused. When the peer cannot be reached the task goes to the file mailbox.
//
// Service `federation-mailbox`: every `mailboxEveryMs` it answers pending request files of its
// inbound mailbox folders by handing each to its own agent over loopback A2A (as the sending
// peer, so the depth rule applies) and writes the answer into the outbound folder.
//
// Tokens: the peer URL and bearer come from the gateway's own resolved config
// (`channels.a2a.peers.<peer>`); the model never sees them and the plugin adds none to the
// environment.
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

const PLUGIN_ID = "federation-delegate";
const TOOL = "federation_delegate";
const DEFAULT_TIMEOUT_MS = 120_000;
/** Depth a gateway may delegate at most to (hub 0 → spoke 1); beyond it the tool refuses. */
const MAX_DEPTH = 1;

const configJsonSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    self: { type: "string" },
    timeoutMs: { type: "integer", minimum: 1000, maximum: 600000 },
    mailboxEveryMs: { type: "integer", minimum: 1000 },
    selfUrl: { type: "string" },
    scrubEnv: { type: "array", items: { type: "string" } },
    peers: {
      type: "object",
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        properties: {
          description: { type: "string" },
          reachable: { type: "boolean" },
          outbox: { type: "string" },
          inbox: { type: "string" },
        },
      },
    },
  },
  required: ["self", "peers"],
};

/** Plugin config (plugins.entries.federation-delegate.config), checked by hand (no zod/typebox offline). */
function parseConfig(value) {
  const v = value ?? {};
  if (typeof v !== "object" || Array.isArray(v)) return { success: false, error: { issues: [{ path: [], message: "expected an object" }] } };
  if (typeof v.self !== "string" || typeof v.peers !== "object" || v.peers === null) {
    return { success: false, error: { issues: [{ path: ["self"], message: "self (string) and peers (object) are required" }] } };
  }
  return { success: true, data: v };
}

/** The federation depth of the current run: 0 when a person started it, 1 when a linked gateway did. */
export function runDepth(ctx, peers) {
  const sender = String(ctx?.requesterSenderId ?? "").toLowerCase();
  const key = String(ctx?.sessionKey ?? "").toLowerCase();
  const fromA2a = ctx?.messageChannel === "a2a" || key.includes(":a2a:");
  if (!fromA2a) return 0;
  // The operator peer (clawfed ask) is a person at the host: depth 0.
  for (const peer of Object.keys(peers)) {
    if (sender === peer || key.includes(`:${peer}:`) || key.endsWith(`:${peer}`)) return 1;
  }
  return 0;
}

function text(result) {
  const parts = [];
  for (const a of result?.artifacts ?? []) for (const p of a.parts ?? []) if (typeof p.text === "string") parts.push(p.text);
  if (parts.length === 0) for (const p of result?.status?.message?.parts ?? []) if (typeof p.text === "string") parts.push(p.text);
  return parts.join("\n").trim();
}

/** One blocking A2A SendMessage; returns { state, answer, taskId } or throws { unreachable }. */
export async function sendTask({ url, token, text: body, contextId, timeoutMs, depth, from }) {
  const request = {
    jsonrpc: "2.0",
    id: randomUUID(),
    method: "SendMessage",
    params: { message: { messageId: randomUUID(), contextId, role: "ROLE_USER", parts: [{ text: body }] } },
  };
  let res;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "x-clawfed-depth": String(depth), "x-clawfed-from": from },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const timedOut = err?.name === "TimeoutError";
    const e = new Error(timedOut ? `no answer within ${timeoutMs} ms` : `cannot reach it (${err?.cause?.code ?? err?.message ?? err})`);
    e.unreachable = !timedOut;
    e.timedOut = timedOut;
    throw e;
  }
  const json = await res.json().catch(() => undefined);
  if (!res.ok || !json) throw Object.assign(new Error(`HTTP ${res.status}`), { unreachable: res.status >= 502 });
  if (json.error) throw new Error(`A2A error ${json.error.code}: ${json.error.message}`);
  const task = json.result?.task ?? json.result;
  return { state: task?.status?.state ?? "unknown", answer: text(task), taskId: task?.id };
}

function a2aPeer(config, name) {
  const peer = config?.channels?.a2a?.peers?.[name];
  if (!peer?.url || !peer?.outboundToken || String(peer.outboundToken).startsWith("${")) return undefined;
  return { url: peer.url, token: peer.outboundToken };
}

async function leaveInMailbox(dir, msg) {
  await mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const file = path.join(dir, `${stamp}-${msg.id.slice(0, 8)}.json`);
  await writeFile(`${file}.tmp`, JSON.stringify(msg, null, 2));
  await rename(`${file}.tmp`, file);
  return file;
}

function result(textOut, details) {
  return { content: [{ type: "text", text: textOut }], details };
}

function createTool(api, cfg, ctx) {
  const peers = cfg.peers ?? {};
  const names = Object.keys(peers).filter((n) => peers[n].reachable !== false);
  return {
    name: TOOL,
    label: "Federation delegate",
    description:
      `Hand a task to a linked gateway of the federation and wait for its answer (blocking, up to ${Math.round((cfg.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s). ` +
      `Linked gateways: ${names.map((n) => `${n} (${peers[n].description ?? "specialist"})`).join("; ") || "none"}. ` +
      "The other gateway does not see this conversation: put everything it needs in `task`.",
    parameters: {
      type: "object",
      additionalProperties: false,
      properties: {
        to: { type: "string", enum: names.length ? names : undefined, description: "Gateway id to delegate to." },
        task: { type: "string", description: "The complete task, self-contained." },
      },
      required: ["to", "task"],
    },
    async execute(_id, params) {
      const to = String(params?.to ?? "");
      const task = String(params?.task ?? "").trim();
      const depth = runDepth(ctx, peers) + 1;
      if (!names.includes(to)) {
        return result(`Refused: ${to || "(no gateway)"} is not linked with ${cfg.self}. Linked: ${names.join(", ") || "none"}. Answer the task yourself.`, { ok: false, refused: "not-linked", to });
      }
      if (depth > MAX_DEPTH) {
        return result(`Refused: this task came from another gateway (depth ${depth - 1}); forwarding it would reach depth ${depth}. Answer it yourself.`, { ok: false, refused: "depth", depth });
      }
      if (!task) return result("Refused: the task is empty.", { ok: false, refused: "empty" });
      const config = ctx?.getRuntimeConfig?.() ?? ctx?.runtimeConfig ?? api.config;
      const a2a = a2aPeer(config, to);
      const message = `[federation from=${cfg.self} depth=${depth}]\n${task}`;
      const timeoutMs = cfg.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      let failure;
      if (a2a) {
        try {
          const r = await sendTask({ url: a2a.url, token: a2a.token, text: message, contextId: `fed-${cfg.self}-${randomUUID()}`, timeoutMs, depth, from: cfg.self });
          if (r.state === "TASK_STATE_COMPLETED" && r.answer) return result(r.answer, { ok: true, to, depth, taskId: r.taskId });
          failure = `${to} did not complete the task (${r.state})${r.answer ? `: ${r.answer}` : ""}`;
          if (r.state === "TASK_STATE_WORKING") return result(`${failure}. It is still working on it; do not send it again.`, { ok: false, to, timedOut: true, timeoutMs });
        } catch (err) {
          failure = `${to}: ${err.message}`;
          if (!err.unreachable) return result(`Delegation failed: ${failure}.`, { ok: false, to, ...(err.timedOut ? { timedOut: true, timeoutMs } : {}) });
        }
      } else {
        failure = `${to} has no A2A route from ${cfg.self}`;
      }
      const outbox = peers[to]?.outbox;
      if (!outbox) return result(`Delegation failed: ${failure}; there is no mailbox to ${to}.`, { ok: false, to });
      const msg = { id: randomUUID(), from: cfg.self, to, timestamp: new Date().toISOString(), depth, type: "request", payload: { task }, status: "pending" };
      const file = await leaveInMailbox(outbox, msg);
      const inbox = peers[to]?.inbox;
      return result(
        `${failure}. The task was left in ${to}'s mailbox (${path.basename(file)}); ${to} answers it on its next heartbeat${inbox ? ` into ${inbox}` : ""}. Tell the user the answer will come later.`,
        { ok: true, to, mailbox: path.basename(file), queued: true },
      );
    },
  };
}

/**
 * Remove the named variables from this process's environment once OpenClaw has resolved its config
 * (their `${VAR}` values live on in the resolved snapshot), so that tools which inherit the gateway
 * environment (the exec tool's shell) no longer see them. It does not hide them from a process of
 * the same user reading /proc/<pid>/environ: only a sandbox does (README, "Tokens").
 */
const stash = new Map();
function scrubEnv(names, logger) {
  for (const n of names ?? []) {
    if (n in process.env) {
      stash.set(n, process.env[n]);
      delete process.env[n];
    }
  }
  if (stash.size) logger?.info?.(`federation-delegate: removed ${stash.size} token variables from the process environment`);
}
/** Put the removed variables back (service stop: a restart or respawn re-reads the config with them). */
function restoreEnv() {
  for (const [n, v] of stash) process.env[n] = v;
  stash.clear();
}

/** Answer the pending requests of the inbound mailbox folders through this gateway's own A2A endpoint. */
async function drainMailbox(cfg, config, logger) {
  for (const [peer, p] of Object.entries(cfg.peers ?? {})) {
    if (!p.inbox || !p.outbox) continue;
    const token = config?.channels?.a2a?.peers?.[peer]?.token;
    if (!token || !cfg.selfUrl) continue;
    let files = [];
    try {
      files = (await readdir(p.inbox)).filter((f) => f.endsWith(".json")).sort();
    } catch {
      continue;
    }
    for (const f of files) {
      const file = path.join(p.inbox, f);
      let msg;
      try {
        msg = JSON.parse(await readFile(file, "utf8"));
      } catch {
        continue;
      }
      if (msg.status !== "pending" || msg.type !== "request") continue;
      try {
        await writeFile(file, JSON.stringify({ ...msg, status: "read" }, null, 2));
      } catch (err) {
        // A file this gateway cannot mark would be answered on every heartbeat: leave it.
        logger?.warn?.(`mailbox: cannot mark ${f} as read (${err.code ?? err.message}); skipped`);
        continue;
      }
      const task = typeof msg.payload === "string" ? msg.payload : (msg.payload?.task ?? msg.payload?.summary ?? JSON.stringify(msg.payload));
      const depth = Math.max(1, Number(msg.depth) || 1);
      try {
        const r = await sendTask({ url: cfg.selfUrl, token, text: `[federation from=${peer} depth=${depth}] (mailbox ${msg.id})\n${task}`, contextId: `mailbox-${peer}-${randomUUID()}`, timeoutMs: cfg.timeoutMs ?? DEFAULT_TIMEOUT_MS, depth, from: peer });
        const answer = { id: randomUUID(), from: cfg.self, to: peer, timestamp: new Date().toISOString(), depth, type: "response", inReplyTo: msg.id, payload: { answer: r.answer, state: r.state }, status: "pending" };
        await leaveInMailbox(p.outbox, answer);
        await writeFile(file, JSON.stringify({ ...msg, status: "processed" }, null, 2));
      } catch (err) {
        logger?.warn?.(`mailbox: ${f} from ${peer} not answered: ${err.message}`);
        await writeFile(file, JSON.stringify({ ...msg, status: "pending" }, null, 2)).catch(() => undefined);
      }
    }
  }
}

export default {
  id: PLUGIN_ID,
  name: "Federation delegate (clawfed)",
  description: "Delegate a task to a linked gateway of a clawfed federation over blocking A2A, with the mailbox as fallback.",
  configSchema: { safeParse: parseConfig, jsonSchema: configJsonSchema },
  register(api) {
    const cfg = parseConfig(api.pluginConfig).data;
    if (!cfg) {
      api.logger?.warn?.("federation-delegate: no config (self, peers); the tool is not registered");
      return;
    }
    api.registerTool((ctx) => createTool(api, cfg, ctx), { name: TOOL });
    const mailbox = cfg.mailboxEveryMs && Object.values(cfg.peers).some((p) => p.inbox);
    let timer;
    let running = false;
    api.registerService({
      id: "federation-delegate",
      start(sctx) {
        scrubEnv(cfg.scrubEnv, sctx.logger ?? api.logger);
        if (!mailbox) return;
        timer = setInterval(() => {
          if (running) return;
          running = true;
          drainMailbox(cfg, sctx.config ?? api.config, sctx.logger ?? api.logger)
            .catch((err) => (sctx.logger ?? api.logger)?.warn?.(`mailbox: ${err.message}`))
            .finally(() => (running = false));
        }, cfg.mailboxEveryMs);
        timer.unref?.();
      },
      stop() {
        clearInterval(timer);
        restoreEnv();
      },
    });
  },
};
