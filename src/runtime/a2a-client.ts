/**
 * A2A over HTTP (adapter): one blocking `SendMessage` JSON-RPC request to a gateway's
 * `/a2a/v1` endpoint and the task it returns (OpenClaw docs channels/a2a.md). Knows nothing of
 * specs or `.env`: the caller (ops/ask.ts) picks the URL and the token and turns failures into
 * clawfed errors with the next command.
 *
 * The token travels only in the Authorization header; nothing here prints or throws it.
 */
import { randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";

/** One task to send. */
export interface A2aSend {
  /** Endpoint, e.g. `http://127.0.0.1:18789/a2a/v1`. */
  url: string;
  /** Bearer token of the calling peer (never logged). */
  token: string;
  /** The task text (one text part). */
  text: string;
  /** A2A contextId of the conversation. */
  contextId: string;
  /** Blocking wait in ms before the request is aborted. */
  timeoutMs: number;
}

/** A task as a gateway returns it (the fields clawfed reads). */
export interface A2aTask {
  id?: string;
  status?: { state?: string; message?: { parts?: Array<{ text?: string }> } };
  artifacts?: Array<{ parts?: Array<{ text?: string }> }>;
}

/** The HTTP reply: status, and the JSON-RPC error or task when the body was JSON. */
export interface A2aReply {
  status: number;
  error?: { code: number; message: string };
  task?: A2aTask;
}

/** The request did not get a reply: `timeout` (no answer within timeoutMs) or `unreachable` (connection failed; `code` e.g. ECONNREFUSED). */
export class A2aTransportError extends Error {
  constructor(
    readonly reason: "timeout" | "unreachable",
    readonly code: string,
  ) {
    super(`A2A request ${reason} (${code})`);
    this.name = "A2aTransportError";
  }
}

/**
 * Send one message and wait for the task.
 * @throws A2aTransportError when no HTTP reply came (timeout or connection error)
 */
export async function sendA2aMessage(req: A2aSend): Promise<A2aReply> {
  const body = JSON.stringify({
    jsonrpc: "2.0",
    id: randomUUID(),
    method: "SendMessage",
    params: { message: { messageId: randomUUID(), contextId: req.contextId, role: "ROLE_USER", parts: [{ text: req.text }] } },
  });
  // A ref'd timer (AbortSignal.timeout is unref'd: with a half-open connection the process could
  // otherwise end with the request still pending).
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), req.timeoutMs);
  try {
    const res = await post(req.url, { authorization: `Bearer ${req.token}`, "content-type": "application/json" }, body, abort.signal);
    let json: { error?: { code: number; message: string }; result?: { task?: A2aTask } & A2aTask } | undefined;
    try {
      json = JSON.parse(res.text);
    } catch {
      json = undefined;
    }
    return { status: res.status, ...(json?.error ? { error: json.error } : {}), ...(json?.result ? { task: json.result.task ?? json.result } : {}) };
  } catch (err) {
    if (abort.signal.aborted) throw new A2aTransportError("timeout", "ETIMEDOUT");
    const e = err as NodeJS.ErrnoException;
    throw new A2aTransportError("unreachable", e.code ?? e.name);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One POST on a fresh connection (no keep-alive pool: a blocking task can outlive the server's
 * idle timeout of a pooled socket, which then fails with UND_ERR_SOCKET before the request is sent).
 */
function post(url: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: "POST", agent: false, headers: { ...headers, "content-length": Buffer.byteLength(body) }, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** The answer text of a task: its artifacts' text parts, else its status message's. */
export function artifactText(task: A2aTask | undefined): string {
  const parts = (task?.artifacts ?? []).flatMap((a) => a.parts ?? []).map((p) => p.text ?? "");
  if (parts.length === 0) parts.push(...(task?.status?.message?.parts ?? []).map((p) => p.text ?? ""));
  return parts.join("\n").trim();
}
