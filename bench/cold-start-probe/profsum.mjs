#!/usr/bin/env node
// usage: node profsum.mjs PROFILE.cpuprofile [--until-ms N] [--top N]
// Self time of a V8 CPU profile (node --cpu-prof) grouped by package / dist chunk / node internals,
// and the top functions. --until-ms keeps only samples in the first N ms of the profile
// (e.g. up to the gateway's `started`, dropping the shutdown).
import fs from "node:fs";
const args = process.argv.slice(2);
const file = args[0];
const opt = (k, d) => { const i = args.indexOf(k); return i < 0 ? d : Number(args[i + 1]); };
const until = opt("--until-ms", Infinity) * 1000;
const topN = opt("--top", 25);
const callersOf = args.includes("--callers") ? args[args.indexOf("--callers") + 1] : undefined;
const p = JSON.parse(fs.readFileSync(file, "utf8"));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
let t = 0;
let total = 0;
for (let i = 0; i < p.samples.length; i++) {
  t += p.timeDeltas[i];
  if (t > until) break;
  const dt = p.timeDeltas[i + 1] ?? 0; // time attributed to this sample: until the next one
  self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + dt);
  total += dt;
}
const group = (cf) => {
  const u = cf.url || "";
  if (!u) return cf.functionName.startsWith("(") ? cf.functionName : "(native/v8) " + cf.functionName;
  if (u.startsWith("node:")) return "node:" + u.slice(5).split("/").slice(0, 3).join("/");
  const nm = u.lastIndexOf("/node_modules/");
  if (nm >= 0) { const r = u.slice(nm + 14).split("/"); return "pkg " + (r[0].startsWith("@") ? r[0] + "/" + r[1] : r[0]); }
  const d = u.indexOf("/dist/");
  if (d >= 0) return "openclaw dist/" + u.slice(d + 6).replace(/-[A-Za-z0-9_-]{8}\.(m?js)$/, ".$1");
  return u;
};
const byGroup = new Map(), byFn = new Map();
for (const [id, us] of self) {
  const n = byId.get(id);
  const g = group(n.callFrame);
  byGroup.set(g, (byGroup.get(g) ?? 0) + us);
  const f = `${n.callFrame.functionName || "(anon)"} ${g}:${n.callFrame.lineNumber + 1}`;
  byFn.set(f, (byFn.get(f) ?? 0) + us);
}
// inclusive time per group: a sample counts once for every group on its stack
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const incl = new Map();
for (const [id, us] of self) {
  const seen = new Set();
  for (let x = id; x !== undefined; x = parent.get(x)) seen.add(group(byId.get(x).callFrame));
  for (const g of seen) incl.set(g, (incl.get(g) ?? 0) + us);
}
const ms = (us) => (us / 1000).toFixed(0).padStart(7) + " ms";
const idle = byGroup.get("(idle)") ?? 0;
console.log(`${file}: ${ms(total)} sampled, ${ms(total - idle)} busy (${p.samples.length} samples)`);
// coarse buckets
const bucket = (g) => g.startsWith("pkg ") ? "npm packages" : g.startsWith("openclaw dist/") ? "openclaw dist" : g.startsWith("node:") ? "node internals (JS)" : g;
const byBucket = new Map();
for (const [g, us] of byGroup) byBucket.set(bucket(g), (byBucket.get(bucket(g)) ?? 0) + us);
console.log("-- buckets"); for (const [g, us] of [...byBucket].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(ms(us), g);
console.log("-- groups"); for (const [g, us] of [...byGroup].sort((a, b) => b[1] - a[1]).slice(0, topN)) console.log(ms(us), g);
console.log("-- inclusive (groups on the stack)"); for (const [g, us] of [...incl].filter(([g]) => !g.startsWith("(")).sort((a, b) => b[1] - a[1]).slice(0, topN)) console.log(ms(us), g);
console.log("-- functions"); for (const [g, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, topN)) console.log(ms(us), g);
// categories: where a sample's self frame is, judged with its nearest frame that has a URL
const cat = (id) => {
  const n = byId.get(id), f = n.callFrame.functionName, u = n.callFrame.url;
  if (f === "(idle)" || f === "(garbage collector)" || f === "(program)") return f;
  let x = id; while (x !== undefined && !byId.get(x).callFrame.url) x = parent.get(x);
  const js = x === undefined ? "" : byId.get(x).callFrame.url;
  if (/^node:internal\/modules\//.test(js) || ["ModuleWrap", "compileSourceTextModule", "internalModuleStat", "compileFunctionForCJSLoader"].includes(f)) return "module loading (resolve, read, link, compile: node loader)";
  if (!u && /^(read|lstat|stat|fstat|open|openFileHandle|close|realpath|existsSync|readFileUtf8|readdir|writeString|writeBuffer|readlink|access|mkdir|rename|unlink|rmSync|writeFileUtf8)$/.test(f)) return "file-system calls (outside the loader)";
  if (/^node:internal\/child_process|^node:child_process/.test(js)) return "child processes (spawnSync)";
  if (/sqlite|kysely/.test(js)) return "sqlite / kysely (dist)";
  if (js.startsWith("node:")) return "other node internals";
  if (js.includes("/node_modules/")) return "npm packages";
  return "openclaw dist (other)";
};
const byCat = new Map();
for (const [id, us] of self) { const c = cat(id); byCat.set(c, (byCat.get(c) ?? 0) + us); }
const byLoadFn = new Map();
for (const [id, us] of self) if (cat(id).startsWith("module loading")) { const cf = byId.get(id).callFrame; const k = `${cf.functionName || "(anon)"} ${cf.url.replace(/^node:internal\/modules\//, "")}`; byLoadFn.set(k, (byLoadFn.get(k) ?? 0) + us); }
if (args.includes("--loader")) { console.log("-- module loading by function"); for (const [g, us] of [...byLoadFn].sort((a, b) => b[1] - a[1]).slice(0, topN)) console.log(ms(us), g); }
console.log("-- categories"); for (const [g, us] of [...byCat].sort((a, b) => b[1] - a[1])) console.log(ms(us), g);
if (callersOf) {
  // inclusive time of frames named callersOf, split by the first non-node: frame above them
  const by = new Map();
  for (const [id, us] of self) {
    let x = id, hit = false;
    for (; x !== undefined; x = parent.get(x)) if (byId.get(x).callFrame.functionName === callersOf) { hit = true; break; }
    if (!hit) continue;
    let y = parent.get(x);
    const chain = [];
    for (; y !== undefined && chain.length < 4; y = parent.get(y)) { const cf = byId.get(y).callFrame; if (cf.url && !cf.url.startsWith("node:")) chain.push(`${cf.functionName || "(anon)"} ${group(cf)}:${cf.lineNumber + 1}`); }
    const k = chain.join(" < ");
    by.set(k, (by.get(k) ?? 0) + us);
  }
  console.log(`-- callers of ${callersOf}`); for (const [g, us] of [...by].sort((a, b) => b[1] - a[1]).slice(0, topN)) console.log(ms(us), g);
}
