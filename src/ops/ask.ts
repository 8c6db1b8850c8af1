/**
 * `ask`: one A2A task from the host to a gateway as the operator peer (`clawfed.operator`, token
 * `<ID>_OPERATOR_TOKEN` from the federation's .env; only the host and that gateway hold it). A
 * blocking `SendMessage` with a fresh or given contextId; the answer is the task's artifact text
 * (OpenClaw docs channels/a2a.md). The HTTP request is runtime/a2a-client.ts.
 *
 * The token is never in argv, the result or error text (errors pass through redact()).
 */
import { randomUUID } from "node:crypto";
import { RuntimeError, UsageError } from "../errors.js";
import { A2aTransportError, artifactText, sendA2aMessage } from "../runtime/a2a-client.js";
import { redact } from "../runtime/redact.js";
import { operatorTokenEnv } from "../vocabulary/names.js";
import { outFlag, pickGateways, type FederationContext } from "./context.js";

export interface AskOptions {
  /** Blocking wait (ms); default {@link ASK_TIMEOUT_MS}. The gateway's own reply wait is at most 600 s. */
  timeoutMs?: number;
  /** Continue a conversation (A2A contextId); default a fresh one. */
  contextId?: string;
}

/** What `ask` returns: the task's final state and answer text; `ok` when the task completed. */
export interface AskResult {
  ok: boolean;
  next?: string;
  gateway: string;
  gateways: Array<{ id: string }>;
  /** A2A task state, e.g. `TASK_STATE_COMPLETED`; `unknown` when the reply had no task. */
  state: string;
  taskId?: string;
  contextId: string;
  /** The answer text, secrets of the federation redacted. */
  answer: string;
  ms: number;
}

/** Default wait of `clawfed ask` (ms). */
export const ASK_TIMEOUT_MS = 120_000;
const CONTEXT_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const COMPLETED = "TASK_STATE_COMPLETED";

/**
 * Send `text` to `gateway` and wait for its answer.
 * @throws UsageError (exit 2) for an unknown gateway or a bad context id; RuntimeError (exit 3)
 *   when the token is missing, the gateway is down, times out or answers with an error.
 */
export async function ask(ctx: FederationContext, gateway: string, text: string, opts: AskOptions = {}): Promise<AskResult> {
  const spec = ctx.loaded.file;
  const out = outFlag(ctx);
  const g = pickGateways(ctx.fed, [gateway], "<gateway>")[0]!;
  if (opts.contextId !== undefined && !CONTEXT_ID.test(opts.contextId)) {
    throw new UsageError(`--context "${opts.contextId}" is not an A2A context id`, { hint: "1-128 letters, digits, '.', '_', ':' or '-'" });
  }
  const tokenName = operatorTokenEnv(g.id);
  const token = ctx.env[tokenName];
  if (!token) {
    throw new RuntimeError(`${ctx.outDir}/.env has no ${tokenName}`, { next: `clawfed generate ${spec}${out} && clawfed up ${spec}${out}` });
  }
  const contextId = opts.contextId ?? `ask-${randomUUID()}`;
  const timeoutMs = opts.timeoutMs ?? ASK_TIMEOUT_MS;
  const url = `http://127.0.0.1:${g.port}/a2a/v1`;
  const logsNext = `clawfed logs ${spec} ${g.id} --tail 50${out}`;
  const t0 = performance.now();
  let reply;
  try {
    reply = await sendA2aMessage({ url, token, text, contextId, timeoutMs });
  } catch (err) {
    if (!(err instanceof A2aTransportError)) throw err;
    if (err.reason === "timeout") {
      throw new RuntimeError(`${g.id} did not answer within ${Math.round(timeoutMs / 1000)} s`, { next: `clawfed ask ${spec} ${g.id} "…" --timeout ${Math.round((timeoutMs * 2) / 1000)}s${out}` });
    }
    throw new RuntimeError(`${g.id} is not reachable at ${url} (${redact(err.code, ctx.secrets)})`, { next: `clawfed status ${spec}${out}   (then clawfed up ${spec}${out})` });
  }
  if (reply.status === 401) throw new RuntimeError(`${g.id} refused the operator token (HTTP 401)`, { next: `clawfed generate ${spec}${out} && clawfed up ${spec}${out}   (the gateway runs an older config)` });
  if (reply.status < 200 || reply.status >= 300 || (!reply.task && !reply.error)) throw new RuntimeError(`${g.id} answered HTTP ${reply.status}`, { next: logsNext });
  if (reply.error) throw new RuntimeError(`${g.id}: A2A error ${reply.error.code}: ${redact(reply.error.message, ctx.secrets)}`, { next: logsNext });
  const state = reply.task?.status?.state ?? "unknown";
  const ok = state === COMPLETED;
  return {
    ok,
    ...(ok ? {} : { next: logsNext }),
    gateway: g.id,
    gateways: [{ id: g.id }],
    state,
    taskId: reply.task?.id,
    contextId,
    answer: redact(artifactText(reply.task), ctx.secrets),
    ms: Math.round(performance.now() - t0),
  };
}
