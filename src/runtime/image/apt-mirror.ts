/** Which Debian mirror this host's apt uses (the image's base is bootstrapped from it). */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";

/**
 * The Debian mirror to bootstrap from: the first `deb` source for a Debian release suite (not
 * -security/-updates/-backports) in /etc/apt/sources.list, *.list and *.sources (deb822).
 * Exported for tests. `aptDir` defaults to /etc/apt.
 */
export function debianMirrorFromApt(aptDir = "/etc/apt"): string | undefined {
  const files: string[] = [];
  if (existsSync(path.join(aptDir, "sources.list"))) files.push(path.join(aptDir, "sources.list"));
  const d = path.join(aptDir, "sources.list.d");
  if (existsSync(d)) for (const f of readdirSync(d).sort()) if (/\.(list|sources)$/.test(f)) files.push(path.join(d, f));
  const isReleaseSuite = (s: string) => /^(bookworm|trixie|forky|bullseye|buster|sid|stable|testing|unstable|oldstable)$/.test(s);
  const usable = (uri: string) => /^https?:\/\//.test(uri) && !/security/.test(uri);
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    if (file.endsWith(".sources")) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, "im").exec(stanza)?.[1]?.trim() ?? "";
        if (!/\bdeb\b/.test(field("Types")) || /^(no|false)$/i.test(field("Enabled"))) continue;
        const suites = field("Suites").split(/\s+/);
        const uri = field("URIs").split(/\s+/).find(usable);
        if (uri && suites.some(isReleaseSuite)) return uri.replace(/\/+$/, "");
      }
    } else {
      for (const raw of text.split("\n")) {
        const line = raw.replace(/#.*/, "").trim();
        const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
        if (m && usable(m[1]!) && isReleaseSuite(m[2]!)) return m[1]!.replace(/\/+$/, "");
      }
    }
  }
  return undefined;
}
