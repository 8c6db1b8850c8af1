// Host preparation shared by the e2e suites: knowledge folders the spec names, and the host ports
// a federation publishes (other suites start gateways on the same ports; wait for them).
import { execFile } from "node:child_process";
import { mkdir, stat, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Create each missing knowledge folder with one small sample file. Docker would otherwise create
 * a missing bind source itself, as an empty folder owned by root. Existing folders are left alone.
 * @returns the folders created.
 */
export async function ensureKnowledgeDirs(knowledge: Array<{ name: string; hostPath: string }>): Promise<string[]> {
  const created: string[] = [];
  for (const k of knowledge) {
    const exists = await stat(k.hostPath).then((s) => s.isDirectory(), () => false);
    if (exists) continue;
    await mkdir(k.hostPath, { recursive: true, mode: 0o755 });
    await writeFile(
      path.join(k.hostPath, "README.md"),
      `# ${k.name}\n\nSample knowledge folder created by clawfed's demo/tests because ${k.hostPath} did not exist.\nPut the real \`${k.name}\` files here; the gateways see them read-only.\n`,
      { mode: 0o644 },
    );
    created.push(k.hostPath);
  }
  return created;
}

/** True when nothing listens on 127.0.0.1:<port> (a listener on 0.0.0.0 also makes the bind fail). */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host: "127.0.0.1", exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** Who holds a port, from `ss -ltnp` (empty when ss is missing or shows nothing). */
export async function portHolder(port: number): Promise<string> {
  try {
    const { stdout } = await run("ss", ["-ltnpH", `sport = :${port}`], { timeout: 5_000 });
    return stdout.trim().replace(/\s+/g, " ");
  } catch {
    return "";
  }
}

/**
 * Wait until every port is free, polling every 10 s. @throws after `timeoutMs`, naming the holders.
 */
export async function waitForFreePorts(ports: number[], opts: { timeoutMs: number; onWait?: (busy: string) => void }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const busy: number[] = [];
    for (const p of ports) if (!(await portFree(p))) busy.push(p);
    if (busy.length === 0) return;
    const who = (await Promise.all(busy.map(async (p) => `${p} (${(await portHolder(p)) || "unknown holder"})`))).join(", ");
    if (Date.now() >= deadline) {
      throw new Error(`host ports still in use after ${Math.round(opts.timeoutMs / 1000)} s: ${who}. Stop whatever holds them and run the tests again.`);
    }
    opts.onWait?.(who);
    await new Promise((r) => setTimeout(r, 10_000));
  }
}
