// A stand-in for the Telegram Bot API (enough for OpenClaw's Telegram channel to start polling):
// getMe answers a bot, getUpdates long-polls for its `timeout` and returns no updates, every
// other method answers ok. Logs each request (method, duration, whether the client went away).
const http = require("node:http");
const t0 = Date.now();
const log = (l) => console.log(`[tgfake ${((Date.now() - t0) / 1000).toFixed(1)}s] ${l}`);
http.createServer((req, res) => {
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    const method = (req.url.split("?")[0].split("/").pop() || "").trim();
    let params = {};
    try { params = body ? JSON.parse(body) : Object.fromEntries(new URL(req.url, "http://x").searchParams); } catch { params = {}; }
    const send = (result) => { if (!res.writableEnded) { res.setHeader("content-type", "application/json"); res.end(JSON.stringify({ ok: true, result })); } };
    const start = Date.now();
    if (method === "getMe") return send({ id: 1000001, is_bot: true, first_name: "bench", username: "bench_bot", can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false });
    if (method === "getWebhookInfo") return send({ url: "", has_custom_certificate: false, pending_update_count: 0 });
    if (method === "getUpdates") {
      const s = Math.min(Number(params.timeout ?? 0), 50);
      log(`getUpdates timeout=${s}`);
      const timer = setTimeout(() => send([]), s * 1000);
      res.on("close", () => { clearTimeout(timer); if (!res.writableEnded) log(`getUpdates aborted by the client after ${Date.now() - start} ms`); });
      return;
    }
    log(method);
    send(true);
  });
}).listen(8081, () => log("listening on 8081"));
