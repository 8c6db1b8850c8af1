/**
 * `clawfed ask`: one A2A task from the host to a gateway as the operator peer
 * (`clawfed.operator`, token `<ID>_OPERATOR_TOKEN` from the federation's .env; only the host and
 * that gateway hold it). A blocking `SendMessage` with a fresh or given contextId; the answer is the
 * task's artifact text (OpenClaw docs channels/a2a.md).
 *
 * The token travels only in the Authorization header: never in argv, output or error text (every
 * error is passed through redact()).
 */
import { randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";
import { operatorTokenEnv } from "../compile/delegation.js";
import { RuntimeError, UsageError } from "../errors.js";
import { openFederation, redact, secretValues } from "./context.js";

export interface AskOptions {
  /** Output directory (where .env is); default out/<federation name>. */
  outDir?: string;
  /** Blocking wait (ms); the gateway's own reply wait is at most 600 s. */
  timeoutMs?: number;
  /** Continue a conversation (A2A contextId); default a fresh one. */
  contextId?: string;
}

export interface AskResult {
  gateway: string;
  state: string;
  taskId?: string;
  contextId: string;
  answer: string;
  ms: number;
}

/** Default wait of `clawfed ask` (ms). */
export const ASK_TIMEOUT_MS = 120_000;
const CONTEXT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Send `text` to `gateway` and wait for its answer.
 * @throws UsageError (exit 2) for an unknown gateway or a bad context id; RuntimeError (exit 3)
 *   when the token is missing, the gateway is down or answers with an error.
 */
export async function ask(spec: string, gateway: string, text: string, opts: AskOptions = {}): Promise<AskResult> {
  const ctx = await openFederation(spec, { outDir: opts.outDir });
  const g = ctx.fed.gateways.find((x) => x.id === gateway);
  if (!g) throw new UsageError(`no gateway "${gateway}" in ${spec}`, { hint: `known: ${ctx.fed.gateways.map((x) => x.id).join(", ")}` });
  if (opts.contextId !== undefined && !CONTEXT_ID.test(opts.contextId)) {
    throw new UsageError(`--context "${opts.contextId}" is not an A2A context id`, { hint: "1-128 letters, digits, '.', '_', ':' or '-'" });
  }
  const tokenName = operatorTokenEnv(gateway);
  const token = ctx.env[tokenName];
  if (!token) {
    throw new RuntimeError(`${ctx.outDir}/.env has no ${tokenName}`, { next: `clawfed generate ${spec}${opts.outDir ? ` --out ${opts.outDir}` : ""} && clawfed up ${spec}` });
  }
  const contextId = opts.contextId ?? `ask-${randomUUID()}`;
  const timeoutMs = opts.timeoutMs ?? ASK_TIMEOUT_MS;
  const url = `http://127.0.0.1:${g.port}/a2a/v1`;
  const body = { jsonrpc: "2.0", id: randomUUID(), method: "SendMessage", params: { message: { messageId: randomUUID(), contextId, role: "ROLE_USER", parts: [{ text }] } } };
  const secrets = secretValues(ctx);
  const t0 = performance.now();
  let res: { status: number; ok: boolean; json(): Promise<unknown> };
  // A ref'd timer (AbortSignal.timeout is unref'd: with a half-open connection the process could
  // otherwise end with the request still pending).
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new DOMException("timeout", "TimeoutError")), timeoutMs);
  try {
    res = await post(url, { authorization: `Bearer ${token}`, "content-type": "application/json" }, JSON.stringify(body), abort.signal);
  } catch (err) {
    const e = err as Error & { cause?: { code?: string }; code?: string };
    if (!e.cause && e.code) e.cause = { code: e.code };
    if (e.name === "TimeoutError" || abort.signal.aborted) throw new RuntimeError(`${gateway} did not answer within ${Math.round(timeoutMs / 1000)} s`, { next: `clawfed ask ${spec} ${gateway} "…" --timeout ${Math.round((timeoutMs * 2) / 1000)}s` });
    clearTimeout(timer);
    throw new RuntimeError(`${gateway} is not reachable at ${url} (${redact(e.cause?.code ?? e.message, secrets)})`, { next: `clawfed status ${spec}   (then clawfed up ${spec})` });
  }
  const json = (await res.json().catch(() => undefined).finally(() => clearTimeout(timer))) as { error?: { code: number; message: string }; result?: { task?: A2aTask } & A2aTask } | undefined;
  if (res.status === 401) throw new RuntimeError(`${gateway} refused the operator token (HTTP 401)`, { next: `clawfed generate ${spec} && clawfed up ${spec}   (the gateway runs an older config)` });
  if (!res.ok || !json) throw new RuntimeError(`${gateway} answered HTTP ${res.status}`, { next: `clawfed logs ${spec} ${gateway} --tail 50` });
  if (json.error) throw new RuntimeError(`${gateway}: A2A error ${json.error.code}: ${redact(json.error.message, secrets)}`, { next: `clawfed logs ${spec} ${gateway} --tail 50` });
  const task = json.result?.task ?? json.result;
  const answer = artifactText(task);
  return { gateway, state: task?.status?.state ?? "unknown", taskId: task?.id, contextId, answer: redact(answer, secrets), ms: Math.round(performance.now() - t0) };
}

/**
 * One POST on a fresh connection (no keep-alive pool: a blocking task can outlive the server's
 * idle timeout of a pooled socket, which then fails with UND_ERR_SOCKET before the request is sent).
 */
function post(url: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<{ status: number; ok: boolean; json(): Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: "POST", agent: false, headers: { ...headers, "content-length": Buffer.byteLength(body) }, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const status = res.statusCode ?? 0;
        resolve({ status, ok: status >= 200 && status < 300, json: async () => JSON.parse(text) });
      });
    });
    req.on("error", (err) => reject(signal.aborted ? Object.assign(new Error("timeout"), { name: "TimeoutError" }) : err));
    req.end(body);
  });
}

interface A2aTask {
  id?: string;
  status?: { state?: string; message?: { parts?: Array<{ text?: string }> } };
  artifacts?: Array<{ parts?: Array<{ text?: string }> }>;
}

function artifactText(task: A2aTask | undefined): string {
  const parts = (task?.artifacts ?? []).flatMap((a) => a.parts ?? []).map((p) => p.text ?? "");
  if (parts.length === 0) parts.push(...(task?.status?.message?.parts ?? []).map((p) => p.text ?? ""));
  return parts.join("\n").trim();
}
