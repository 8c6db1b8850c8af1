/**
 * `down`: stop and remove a federation's containers and networks through compose, plus anything
 * clawfed itself left with the federation's labels (a previous container of an interrupted
 * rollout, a copy job). With `volumes`: also the gateways' state — the named state volumes, the
 * `state/<id>` folders of sandboxed gateways, and rollout snapshots.
 */
import { existsSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { LABELS } from "../vocabulary/labels.js";
import { RuntimeError } from "../errors.js";
import { isOwned } from "../runtime/containers.js";
import { redact } from "../runtime/redact.js";
import { outFlag, type FederationContext } from "./context.js";
import type { ClawfedDeps } from "./deps.js";
import { COMPOSE_FILE } from "./regenerate.js";

/** Milliseconds `compose down` may take (each gateway stops in about a second). */
const COMPOSE_DOWN_TIMEOUT_MS = 5 * 60_000;

export interface DownOptions {
  /** Also delete state: named volumes, sandboxed gateways' state folders, snapshots. */
  volumes?: boolean;
  onProgress?: (line: string) => void;
}

export interface DownResult {
  federation: string;
  /** Names of the containers removed. */
  containers: string[];
  /** Volumes removed (with `volumes`). */
  volumes: string[];
  /** Host state folders emptied (with `volumes`). */
  stateDirs: string[];
}

/**
 * Take the federation down.
 * @throws RuntimeError when compose or the engine fails.
 */
export async function down(ctx: FederationContext, deps: Pick<ClawfedDeps, "engine" | "compose">, opts: DownOptions = {}): Promise<DownResult> {
  const say = opts.onProgress ?? (() => undefined);
  const owned = async () => (await deps.engine.listContainers({ [LABELS.federation]: ctx.fed.name, [LABELS.managed]: "true" })).filter((c) => isOwned(ctx, c.labels) || (c.labels[LABELS.kind] === "job" && c.labels[LABELS.federation] === ctx.fed.name));
  const before = await owned();
  const volsBefore = opts.volumes ? await deps.engine.listVolumes({ [LABELS.federation]: ctx.fed.name, [LABELS.managed]: "true" }) : [];

  if (existsSync(path.join(ctx.outDir, COMPOSE_FILE))) {
    say(`stopping ${ctx.fed.name} with compose`);
    const secrets = ctx.secrets;
    const args = ["down", "--remove-orphans", ...(opts.volumes ? ["--volumes"] : [])];
    const res = await deps.compose(ctx.project, args, { onLine: (l) => say(`  ${redact(l, secrets)}`), timeoutMs: COMPOSE_DOWN_TIMEOUT_MS });
    if (res.code !== 0) {
      throw new RuntimeError(`compose down failed (exit code ${res.code}): ${redact(res.stderr, secrets).trim().split("\n").slice(-5).join(" | ")}`, {
        next: `fix the cause above and run clawfed down ${ctx.loaded.file}${outFlag(ctx)} again`,
      });
    }
  }
  for (const c of await owned()) {
    say(`removing ${c.name}`);
    await deps.engine.remove(c.id, { force: true });
  }
  const result: DownResult = { federation: ctx.fed.name, containers: before.map((c) => c.name).sort(), volumes: [], stateDirs: [] };
  if (opts.volumes) {
    for (const v of await deps.engine.listVolumes({ [LABELS.federation]: ctx.fed.name, [LABELS.managed]: "true" })) {
      say(`removing volume ${v.name}`);
      await deps.engine.removeVolume(v.name);
    }
    result.volumes = volsBefore.map((v) => v.name).sort();
    for (const g of ctx.fed.gateways.filter((x) => x.sandboxed)) {
      const dir = path.join(ctx.outDir, "state", g.id);
      const entries = await readdir(dir).catch(() => [] as string[]);
      if (!entries.length) continue;
      say(`emptying ${dir}`);
      for (const e of entries) await rm(path.join(dir, e), { recursive: true, force: true });
      result.stateDirs.push(dir);
    }
  }
  return result;
}
