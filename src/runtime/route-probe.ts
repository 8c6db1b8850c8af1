/**
 * Route probes: from inside the calling gateway's container (so over the link network the two
 * share, by the callee's service name), call the callee's hooks or A2A endpoint once with each of
 * several tokens and report the HTTP status of each. Tokens travel in the exec's environment,
 * never in argv, and are never printed.
 *
 * Requests (OpenClaw docs: automation/cron-jobs/webhooks.md, gateway/config-hooks.md for hooks;
 * the A2A plugin's JSON-RPC endpoint for a2a):
 *  - hooks: `POST /hooks/wake` `{text, mode: "next-heartbeat"}` with `Authorization: Bearer <token>`
 *    (a valid token: 200 `{ok:true}`; a wrong one: 401);
 *  - a2a: `POST /a2a/v1` JSON-RPC `GetTask` of an id that does not exist, same header (a valid
 *    token: 200 with a JSON-RPC error body; a wrong one: 401). Neither starts an agent run.
 */
import type { Engine } from "./docker/types.js";
import { CONTAINER_PORT } from "../vocabulary/names.js";

/** Milliseconds one probe request may take inside the container. */
export const ROUTE_PROBE_TIMEOUT_MS = 20_000;

const SCRIPT = `
const tokens = JSON.parse(process.env.CLAWFED_PROBE_TOKENS);
const a2a = process.env.CLAWFED_PROBE_KIND === "a2a";
const url = "http://" + process.env.CLAWFED_PROBE_PEER + ":" + process.env.CLAWFED_PROBE_PORT + (a2a ? "/a2a/v1" : "/hooks/wake");
const body = a2a
  ? { jsonrpc: "2.0", id: "clawfed-rotate", method: "GetTask", params: { id: "clawfed-rotate-probe" } }
  : { text: "clawfed rotate: route probe", mode: "next-heartbeat" };
(async () => {
  const out = [];
  for (const t of tokens) {
    try {
      const r = await fetch(url, { method: "POST", signal: AbortSignal.timeout(${ROUTE_PROBE_TIMEOUT_MS}),
        headers: { authorization: "Bearer " + t, "content-type": "application/json" }, body: JSON.stringify(body) });
      await r.text();
      out.push(r.status);
    } catch (e) { out.push(String((e && e.cause && e.cause.code) || e)); }
  }
  console.log(JSON.stringify(out));
})();`;

/**
 * Call `peer`'s `kind` endpoint from container `from` once per token.
 * @returns per token, the HTTP status, or the error text when nothing answered
 * @throws RuntimeError when the exec itself fails (container gone, no node in the image)
 */
export async function probeRoute(engine: Engine, from: string, o: { peer: string; kind: "a2a" | "hooks"; tokens: string[]; port?: number }): Promise<Array<number | string>> {
  const r = await engine.exec(from, ["node", "-e", SCRIPT], {
    env: { CLAWFED_PROBE_TOKENS: JSON.stringify(o.tokens), CLAWFED_PROBE_KIND: o.kind, CLAWFED_PROBE_PEER: o.peer, CLAWFED_PROBE_PORT: String(o.port ?? CONTAINER_PORT) },
    timeoutMs: ROUTE_PROBE_TIMEOUT_MS * o.tokens.length + 10_000,
  });
  const line = r.stdout.trim().split("\n").pop() ?? "";
  try {
    const parsed = JSON.parse(line) as Array<number | string>;
    if (Array.isArray(parsed) && parsed.length === o.tokens.length) return parsed;
  } catch {
    // fall through
  }
  return o.tokens.map(() => `probe failed (exit ${r.exitCode})`);
}
