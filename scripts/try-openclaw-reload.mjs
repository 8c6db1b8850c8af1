// Does OpenClaw hot-apply a new channels.a2a.peers entry and a hooks change? (clawfed issue 12)
// Starts one native gateway (tools/openclaw, port 28789, a temporary home), then rewrites its
// openclaw.json: adds peer b and swaps the hooks token, probing /healthz every 200 ms. The new
// peer's token is either in the process environment from the start (default: what a hot reload
// needs) or written into <state>/.env only at the edit (--token-in-state-env: what a token created
// after the start looks like). Run under the e2e lock:
//   flock /work/notes/e2e.lock tools/openclaw/node_modules/.bin/node scripts/try-openclaw-reload.mjs [--token-in-state-env | --include [--touch]]
// Findings (2026-12-01, 2026.9.6): default → "config hot reload applied (channels.a2a.peers.b,
// hooks.token)", same pid, 0 failed probes, b answers 200 after ~1 s; --token-in-state-env → the
// reload is applied but b stays 401 (the ${VAR} is resolved from the environment of the start).
// --include (session 5, same day): the watcher follows the included file by itself (no touch of
// openclaw.json needed): "config change detected; evaluating reload (channels.a2a.peers.b)" →
// "config hot reload applied (channels.a2a.peers.b)", b answers 200 1.5 s after the rename, same
// pid, 23 /healthz probes, 0 failed. So OpenClaw can take a new peer with no restart when its
// token is a literal in an included file rather than a ${VAR}.
// Why `clawfed add` still recreates the linked gateways in the compose layout (not done live):
// - the container runs as node (uid 1000) with cap_drop ALL; a 0600 file written by the host user
//   (root here) in the read-only config mount is unreadable to it ("cat: Permission denied",
//   docker run --cap-drop ALL -v dir:/etc/clawfed:ro openclaw:2026.9.6-local): the writer would
//   have to chown every secrets file to the image's uid, which a non-root host user cannot;
// - the linked gateway must join the new link network: `docker network connect` does that live,
//   but the compose service lists its networks, so the next `compose up` (up, rollout, upgrade,
//   rotate, restore) sees a changed config hash and recreates it anyway; keeping the service
//   unchanged means every one of those paths re-attaching networks compose does not know about.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync, renameSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
const LATE = process.argv.includes("--token-in-state-env");
// --include: the peers (with literal tokens) live in cfg/secrets/peers.json (0600), included by
// `peers: { $include: "./secrets/peers.json" }`; the edit replaces only that file (atomic rename),
// openclaw.json is not touched (--touch: it is rewritten unchanged afterwards).
const INCLUDE = process.argv.includes("--include");
const TOUCH = process.argv.includes("--touch");
const ROOT = new URL("..", import.meta.url).pathname;
const dir = mkdtempSync(path.join(os.tmpdir(), "cf-reload-"));
mkdirSync(`${dir}/state`, { recursive: true }); mkdirSync(`${dir}/cfg/secrets`, { recursive: true });
const PORT = 28789;
const tok = () => randomBytes(24).toString("hex");
const env = { ...process.env, HOME: dir, OPENCLAW_STATE_DIR: `${dir}/state`, OPENCLAW_CONFIG_PATH: `${dir}/cfg/openclaw.json`, OPENCLAW_CONFIG_READONLY: "1", OPENCLAW_NO_AUTO_UPDATE: "1", OPENCLAW_SKIP_CHANNELS: "", GW_TOKEN: tok(), TOK_A: tok(), HOOKS_TOKEN: tok(), HOOKS_TOKEN2: tok() };
const TOK_B = tok();
if (!LATE) env.TOK_B = TOK_B;
writeFileSync(`${dir}/state/.env`, "UNUSED=1\n", { mode: 0o600 });
const cfg = (peers, hooksTok) => ({ gateway: { mode: "local", port: PORT, bind: "loopback", auth: { mode: "token", token: "${GW_TOKEN}" } },
  agents: { defaults: { skipBootstrap: true }, entries: { main: { name: "main", model: { primary: "anthropic/claude-sonnet-4-6" } } } },
  channels: { a2a: { enabled: true, exposeAgents: ["main"], peers } },
  hooks: { enabled: true, token: `\${${hooksTok}}`, path: "/hooks", allowedAgentIds: ["main"], allowRequestSessionKey: false } });
const writeAt = (file, c) => { writeFileSync(`${file}.tmp`, JSON.stringify(c, null, 2), { mode: 0o600 }); renameSync(`${file}.tmp`, file); };
const write = (c) => {
  if (INCLUDE) { writeAt(`${dir}/cfg/secrets/peers.json`, c.channels.a2a.peers); c = { ...c, channels: { a2a: { ...c.channels.a2a, peers: { $include: "./secrets/peers.json" } } } }; } writeFileSync(`${dir}/cfg/openclaw.json.tmp`, JSON.stringify(c, null, 2)); renameSync(`${dir}/cfg/openclaw.json.tmp`, `${dir}/cfg/openclaw.json`); };
const lit = (peers) => INCLUDE ? Object.fromEntries(Object.entries(peers).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([f, x]) => [f, x.replace(/^\$\{(\w+)\}$/, (_, n) => n === "TOK_B" ? TOK_B : env[n])]))])) : peers;
write(cfg(lit({ a: { token: "${TOK_A}" } }), "HOOKS_TOKEN"));
const node = path.join(ROOT, "tools/openclaw/node_modules/.bin/node");
const entry = path.join(ROOT, "tools/openclaw/node_modules/openclaw/openclaw.mjs");
const child = spawn(process.argv.slice(2).find((a) => !a.startsWith("--")) ?? node, [entry, "gateway", "--port", String(PORT)], { env, stdio: ["ignore", "pipe", "pipe"] });
const logs = []; const t0 = Date.now();
for (const s of [child.stdout, child.stderr]) s.on("data", (d) => { for (const l of String(d).split("\n")) if (l.trim()) logs.push(`${((Date.now()-t0)/1000).toFixed(1)} ${l}`); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const get = async (p) => { try { const r = await fetch(`http://127.0.0.1:${PORT}${p}`, { signal: AbortSignal.timeout(1000) }); return r.status + " " + (await r.text()).slice(0, 80); } catch (e) { return "ERR " + e.cause?.code; } };
const a2a = async (token) => { const r = await fetch(`http://127.0.0.1:${PORT}/a2a/v1`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: "1", method: "SendMessage", params: { message: { messageId: "m" + Date.now(), role: "ROLE_USER", parts: [{ text: "/status" }] } } }) }); const t = await r.text(); return r.status + " " + (JSON.parse(t).result?.task?.status?.state ?? t.slice(0, 80)); };
const wake = async (token) => (await fetch(`http://127.0.0.1:${PORT}/hooks/wake`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ text: "x", mode: "next-heartbeat" }) })).status;
let started = false;
for (let i = 0; i < 600 && !started; i++) { await sleep(500); started = (await get("/startupz")).includes('"started"'); }
console.log("started after", (Date.now() - t0) / 1000, "s");
const pid0 = child.pid;
console.log("before: A", await a2a(env.TOK_A), "| B", await a2a(TOK_B), "| hooks old", await wake(env.HOOKS_TOKEN));
// probe /healthz every 200 ms during the change
let fails = 0, probes = 0, stop = false;
const prober = (async () => { while (!stop) { probes++; const r = await get("/healthz"); if (!r.startsWith("200")) fails++; await sleep(200); } })();
const tEdit = Date.now();
if (LATE) writeFileSync(`${dir}/state/.env.tmp`, `UNUSED=1\nTOK_B=${TOK_B}\n`, { mode: 0o600 }); if (LATE) renameSync(`${dir}/state/.env.tmp`, `${dir}/state/.env`);
if (INCLUDE) writeAt(`${dir}/cfg/secrets/peers.json`, lit({ a: { token: "${TOK_A}" }, b: { token: "${TOK_B}", url: "http://127.0.0.1:1/a2a/v1", outboundToken: "${TOK_A}" } }));
else write(cfg({ a: { token: "${TOK_A}" }, b: { token: "${TOK_B}", url: "http://127.0.0.1:1/a2a/v1", outboundToken: "${TOK_A}" } }, "HOOKS_TOKEN2"));
if (TOUCH) { await sleep(3000); console.log("B before touch:", await a2a(TOK_B)); write(cfg(lit({ a: { token: "${TOK_A}" }, b: { token: "${TOK_B}", url: "http://127.0.0.1:1/a2a/v1", outboundToken: "${TOK_A}" } }), "HOOKS_TOKEN")); }
let bOk = "", hooksNew = 0;
for (let i = 0; i < 60; i++) { await sleep(500); bOk = await a2a(TOK_B).catch((e) => "ERR " + e.message); hooksNew = await wake(env.HOOKS_TOKEN2).catch(() => 0); if (bOk.startsWith("200") && (INCLUDE || hooksNew === 200)) break; }
console.log("after edit (", (Date.now() - tEdit) / 1000, "s): B", bOk, "| hooks new", hooksNew, "| hooks old", await wake(env.HOOKS_TOKEN), "| A", await a2a(env.TOK_A));
await sleep(3000); stop = true; await prober;
console.log("healthz probes", probes, "failures", fails, "same pid", child.pid === pid0, "exited", child.exitCode);
console.log(logs.filter((l) => /reload|restart|config|a2a|hook/i.test(l)).slice(-30).join("\n"));
child.kill("SIGTERM"); await sleep(3000); child.kill("SIGKILL");
rmSync(dir, { recursive: true, force: true });
