// `--target swarm` branches of up, status, logs and down: flags → one call of `clawfed().swarm`
// (src/ops) → text or --json of the same result → exit code.
import type { SwarmStatusResult } from "../../ops/index.js";
import type { SwarmStatus } from "../../ops/swarm-status.js";
import type { SwarmUpResult } from "../../ops/swarm.js";
import { UsageError } from "../../errors.js";
import { formatMs } from "../../runtime/clock.js";
import { clawfed } from "../clawfed.js";
import { reporter, table } from "../format.js";
import { clean, EXIT, printJson, progress, write } from "../output.js";
import { interruptSignal } from "./runtime-args.js";

/** The flags of up/status that `--target swarm` does not take, refused before anything runs (exit 2). */
function refuse(flags: Record<string, unknown>, why: string): void {
  const given = Object.entries(flags).filter(([, v]) => v !== undefined && v !== false).map(([k]) => k);
  if (given.length) throw new UsageError(`${given.join(" and ")} ${given.length === 1 ? "is" : "are"} not available with --target swarm`, { hint: why });
}

/** One line per gateway, then the summary. */
export function renderSwarmUp(res: SwarmUpResult): string {
  const lines = res.gateways.map((g) => `${g.ok ? "ok  " : "FAIL"} ${g.id}: ${g.reason}${g.ok ? ` after ${formatMs(g.ms)}` : ""}`);
  if (res.ok) lines.push(`${res.federation}: all ${res.gateways.length} gateway(s) up on Swarm in ${formatMs(res.ms)}`);
  return `${lines.join("\n")}\n`;
}

export async function swarmUpCommand(spec: string, opts: { out?: string; image?: string; timeout?: number; force?: boolean; json?: boolean; ready?: boolean }): Promise<number> {
  refuse({ "--ready": opts.ready }, "up waits for /startupz started on Swarm; check /readyz with curl on the published port");
  const report = await reporter({ plain: opts.json, clean });
  const intr = interruptSignal(() => report.line("interrupted: stopping the wait (the services keep running)"));
  try {
    const res = await (await clawfed()).swarm.up(spec, { out: opts.out, image: opts.image, timeoutMs: opts.timeout, force: opts.force, onProgress: report.line, signal: intr.signal });
    report.done();
    if (opts.json) printJson(res);
    else {
      write(renderSwarmUp(res));
      if (!res.ok) process.stderr.write(clean(`error: ${res.gateways.filter((g) => !g.ok).map((g) => g.id).join(", ")} did not come up\nNext: ${res.next}\n`));
    }
    return res.ok ? EXIT.ok : EXIT.runtime;
  } finally {
    intr.dispose();
  }
}

/** The swarm status as a table, then one line per problem and per recent failure, then `Next:`. */
export function renderSwarmStatus(st: SwarmStatus & { next?: string }): string {
  const rows = [["GATEWAY", "ROLE", "STATE", "TASK", "IMAGE", "UPDATE", "HEALTHZ", "STARTUPZ", "URL"]];
  const pr = (p: { ok: boolean; status?: string; httpStatus?: number } | undefined, ok: string) => (!p ? "-" : p.ok ? ok : p.status ?? (p.httpStatus ? `HTTP ${p.httpStatus}` : "down"));
  for (const g of st.gateways) {
    rows.push([g.id, g.role, g.state, g.task?.state ?? "-", g.image ?? "-", g.update?.state ?? "-", pr(g.probes?.healthz, "live"), pr(g.probes?.startupz, "started"), g.url]);
  }
  const healthy = st.gateways.filter((g) => g.healthy).length;
  const out = [`${st.federation} (swarm): ${healthy}/${st.gateways.length} healthy (${st.ms} ms)`, table(rows)];
  for (const g of st.gateways) {
    for (const p of g.problems) out.push(`  ${g.id}: ${p}`);
    for (const f of g.failures) out.push(`  ${g.id}: task on ${f.image} failed ${f.at}: ${f.error}`);
  }
  for (const o of st.others) out.push(`  also: service ${o} is not a gateway of the spec`);
  if (st.next) out.push(`Next: ${st.next}`);
  return `${out.join("\n")}\n`;
}

/** The status poll of `status --target swarm` (the status command runs it once or under --watch). */
export async function swarmStatusPoll(spec: string, opts: { out?: string; probeTimeout?: number; only?: string[]; ready?: boolean }): Promise<() => Promise<SwarmStatusResult>> {
  refuse({ "--ready": opts.ready }, "swarm status judges /healthz and /startupz");
  const ops = await clawfed();
  // An unfinished operation on the federation is printed as a warning line on stderr.
  return () => ops.swarm.status(spec, { out: opts.out, probeTimeoutMs: opts.probeTimeout, only: opts.only, onProgress: progress });
}

export async function swarmLogsCommand(spec: string, gateway: string, opts: { out?: string; follow?: boolean; tail?: number; since?: number; timestamps?: boolean }): Promise<number> {
  const intr = interruptSignal();
  try {
    // The stream is redacted line by line already (StreamRedactor); `clean` is the shared last pass.
    const sink = { stdout: (t: string) => write(t), stderr: (t: string) => void process.stderr.write(clean(t)) };
    await (await clawfed()).swarm.logs(spec, { gateway, sink, out: opts.out, follow: opts.follow, tail: opts.tail, sinceMs: opts.since, timestamps: opts.timestamps, signal: intr.signal });
    return EXIT.ok;
  } finally {
    intr.dispose();
  }
}

export async function swarmDownCommand(spec: string, opts: { out?: string; volumes?: boolean; json?: boolean }): Promise<number> {
  const report = await reporter({ plain: opts.json, clean });
  const res = await (await clawfed()).swarm.down(spec, { out: opts.out, volumes: opts.volumes, onProgress: report.line }).finally(() => report.done());
  if (opts.json) printJson(res);
  else write(`${res.federation}: removed ${res.services.length} service(s), ${res.networks.length} network(s), ${res.secrets.length} secret(s)${opts.volumes ? `, ${res.volumes.length} volume(s)` : ""}\n`);
  return EXIT.ok;
}
