// Can a running OpenClaw gateway CONTAINER take a new A2A peer with no restart? (clawfed issue 12,
// session 5; the native half is scripts/try-openclaw-reload.mjs --include.) Two containers of the
// local image: a "hub" on its own network with `channels.a2a.peers: { $include: "./secrets/peers.json" }`
// in a bind-mounted config DIRECTORY, and a new spoke "x" on a new link network. Then, live:
// `docker network connect --alias hub <link> <hub>` and the hub's peers file replaced by an atomic
// rename (owned by the image's uid 1000, mode 0600), while the hub's /healthz is probed every 200 ms.
// Prints: the reload log lines, hub → x and x → hub A2A status with the right token and a wrong one,
// probe failures, whether the hub is the same container process. Run under the e2e lock:
//   flock /work/notes/e2e.lock node scripts/try-openclaw-live-peer.mjs [image]
// Findings (2026-12-01 06:38 UTC, openclaw:2026.9.6-local): before the change hub → x fails
// (ENOTFOUND: no shared network) and x → hub too (EAI_AGAIN); 0.35 s after the rename the hub logs
// "config change detected; evaluating reload (channels.a2a.peers.x)" → "restarting a2a channel" →
// "config hot reload applied (channels.a2a.peers.x)"; 1.7 s after it, hub → x 200 and x → hub 200
// (TASK_STATE_REJECTED: the /status slash command, no model run), a wrong token 401; 16 /healthz
// probes of the hub, 0 failed; the same container process (pid and start time unchanged).
// So a live add is possible with OpenClaw 2026.9.6 in containers. What clawfed would have to change
// for it (not done; see ops/add.ts): the compose target would write every gateway's A2A peers with
// literal tokens into gateways/<id>/secrets/peers.json owned by uid 1000 (a chown: root, or a host
// user that is uid 1000) instead of `${VAR}`s of the container environment, and the hub's link
// networks would have to be attached outside its compose service (or compose recreates it at the
// next `up`, its config hash changed), re-attached by every path that recreates it.
import { execFileSync } from "node:child_process";
import { chownSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";

const IMAGE = process.argv[2] ?? "openclaw:2026.9.6-local";
const P = "cfs5live";
const HUB_PORT = 28795;
const UID = 1000;
const tok = () => randomBytes(24).toString("hex");
const T = { hubGw: tok(), xGw: tok(), hubToX: tok(), xToHub: tok() };
const sh = (args, o = {}) => execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...o }).trim();
const quiet = (args) => { try { return sh(args); } catch { return ""; } };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(path.join(os.tmpdir(), "cf-live-"));

function config(gwTokenEnv) {
  return { gateway: { mode: "local", port: 18789, bind: "lan", auth: { mode: "token", token: `\${${gwTokenEnv}}` } },
    agents: { defaults: { skipBootstrap: true }, entries: { main: { name: "main", model: { primary: "anthropic/claude-sonnet-4-6" } } } },
    channels: { a2a: { enabled: true, exposeAgents: ["main"], peers: { $include: "./secrets/peers.json" } } } };
}
/** Write `file` as uid 1000, 0600, through a temporary file and a rename (what a writer would do). */
function writeOwned(file, value) {
  writeFileSync(`${file}.tmp`, JSON.stringify(value, null, 2), { mode: 0o600 });
  chownSync(`${file}.tmp`, UID, UID);
  renameSync(`${file}.tmp`, file);
}
function gatewayDir(name, gwTokenEnv, peers) {
  const d = path.join(dir, name);
  mkdirSync(path.join(d, "secrets"), { recursive: true });
  writeFileSync(path.join(d, "openclaw.json"), JSON.stringify(config(gwTokenEnv), null, 2));
  writeOwned(path.join(d, "secrets", "peers.json"), peers);
  for (const p of [d, path.join(d, "secrets"), path.join(d, "openclaw.json")]) chownSync(p, UID, UID);
  return d;
}
function run(name, net, alias, cfgDir, env, port) {
  sh(["run", "-d", "--name", `${P}-${name}`, "--hostname", name, "--network", net, "--network-alias", alias, "--cap-drop", "ALL", "--init",
    ...(port ? ["-p", `127.0.0.1:${port}:18789`] : []), "-v", `${cfgDir}:/etc/clawfed:ro`,
    ...Object.entries({ OPENCLAW_STATE_DIR: "/home/node/.openclaw", OPENCLAW_CONFIG_PATH: "/etc/clawfed/openclaw.json", OPENCLAW_CONFIG_READONLY: "1", OPENCLAW_NO_AUTO_UPDATE: "1", ...env }).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
    IMAGE, "node", "dist/index.js", "gateway", "--port", "18789"]);
}
/** A2A SendMessage from inside `from` to `host` with the token (passed through the exec env, not argv). */
function a2a(from, host, token) {
  const js = `fetch("http://${host}:18789/a2a/v1",{method:"POST",signal:AbortSignal.timeout(20000),headers:{authorization:"Bearer "+process.env.TK,"content-type":"application/json"},body:JSON.stringify({jsonrpc:"2.0",id:"1",method:"SendMessage",params:{message:{messageId:"m"+Date.now(),role:"ROLE_USER",parts:[{text:"/status"}]}}})}).then(async r=>console.log(r.status+" "+((await r.json().catch(()=>({}))).result?.task?.status?.state??"")),e=>console.log("ERR "+e.cause?.code))`;
  return quiet(["exec", "-e", `TK=${token}`, `${P}-${from}`, "node", "-e", js]);
}
async function started(name) {
  for (let i = 0; i < 240; i++) {
    if (quiet(["exec", `${P}-${name}`, "node", "-e", `fetch("http://127.0.0.1:18789/startupz").then(r=>r.text()).then(t=>console.log(t))`]).includes('"started"')) return true;
    await sleep(500);
  }
  return false;
}
try {
  sh(["network", "create", `${P}-hubnet`]);
  sh(["network", "create", "--internal", `${P}-link`]);
  run("hub", `${P}-hubnet`, "hub", gatewayDir("hub", "HUB_GW", {}), { HUB_GW: T.hubGw }, HUB_PORT);
  run("x", `${P}-link`, "x", gatewayDir("x", "X_GW", { hub: { token: T.hubToX, url: "http://hub:18789/a2a/v1", outboundToken: T.xToHub } }), { X_GW: T.xGw });
  console.log("started:", await started("hub"), await started("x"));
  const pid0 = sh(["inspect", "-f", "{{.State.Pid}} {{.State.StartedAt}}", `${P}-hub`]);
  console.log("before: hub → x", a2a("hub", "x", T.hubToX), "| x → hub", a2a("x", "hub", T.xToHub));
  let stop = false, probes = 0, fails = 0;
  const prober = (async () => { while (!stop) { probes++; try { const r = await fetch(`http://127.0.0.1:${HUB_PORT}/healthz`, { signal: AbortSignal.timeout(1000) }); if (!(await r.json()).ok) fails++; } catch { fails++; } await sleep(200); } })();
  const t0 = Date.now();
  sh(["network", "connect", "--alias", "hub", `${P}-link`, `${P}-hub`]);
  writeOwned(path.join(dir, "hub", "secrets", "peers.json"), { x: { token: T.xToHub, url: "http://x:18789/a2a/v1", outboundToken: T.hubToX } });
  let hx = "", xh = "";
  for (let i = 0; i < 40; i++) { await sleep(500); hx = a2a("hub", "x", T.hubToX); xh = a2a("x", "hub", T.xToHub); if (hx.startsWith("200") && xh.startsWith("200")) break; }
  console.log(`after ${(Date.now() - t0) / 1000} s: hub → x ${hx} | x → hub ${xh} | wrong token x → hub ${a2a("x", "hub", tok())}`);
  await sleep(2000); stop = true; await prober;
  console.log("hub /healthz probes", probes, "failed", fails, "| same hub process:", sh(["inspect", "-f", "{{.State.Pid}} {{.State.StartedAt}}", `${P}-hub`]) === pid0);
  console.log(quiet(["logs", `${P}-hub`]).split("\n").filter((l) => /reload|a2a|include/i.test(l)).slice(-8).join("\n"));
} finally {
  for (const n of ["hub", "x"]) quiet(["rm", "-f", "-v", `${P}-${n}`]);
  for (const n of ["hubnet", "link"]) quiet(["network", "rm", `${P}-${n}`]);
  rmSync(dir, { recursive: true, force: true });
}
