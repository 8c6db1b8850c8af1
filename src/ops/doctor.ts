/**
 * `doctor`: audit a federation without changing it, as a list of findings
 * `{check, status: ok|warn|fail, detail, fix}`. The checks are a plain list
 * ({@link DOCTOR_CHECKS}, in ./doctor-checks.ts): each reads what it needs from one shared,
 * lazily computed {@link DoctorInput} (the spec compiled in memory, the generated files, the
 * engine's containers) and returns its findings; adding a check is one entry in that list (the
 * list is passed in, so this file and the checks do not import each other).
 *
 * Exit code (CLI): 0 when no finding is `fail` (warnings included), 1 when any is.
 */
import path from "node:path";
import { UsageError } from "../errors.js";
import { compile } from "../targets/registry.js";
import { writeArtifacts, type WriteResult } from "../emit/write.js";
import { readFile } from "node:fs/promises";
import { configHashes as realConfigHashes, detectCompose, type ComposeCli } from "../runtime/compose.js";
import type { EngineFacts } from "../runtime/docker/types.js";
import { realHostFacts, type HostFacts } from "../runtime/host-facts.js";
import { redact } from "../runtime/redact.js";
import type { FederationContext } from "./context.js";
import type { ClawfedDeps } from "./deps.js";
import { observe, wantedFromCompose, type Observed, type Wanted } from "./drift.js";
import { COMPOSE_FILE, generationImage } from "./regenerate.js";
import { withImage } from "./generate.js";

export type FindingStatus = "ok" | "warn" | "fail";

/** One finding. `fix` says what to run or change (absent when ok). */
export interface Finding {
  check: string;
  status: FindingStatus;
  /** The gateway it is about, when it is about one. */
  gateway?: string;
  detail: string;
  fix?: string;
}

/** What `doctor` needs from the outside world: the engine, compose, this host. */
export type DoctorDeps = Pick<ClawfedDeps, "engine" | "clock"> &
  Partial<Pick<ClawfedDeps, "configHashes">> & {
    /** The compose CLI found on this host; default detectCompose. */
    composeCli?: () => Promise<ComposeCli>;
    /** Disk, ports, file modes; default the real host. */
    host?: HostFacts;
  };

/**
 * Everything the checks share, each part computed on first use and at most once. The engine parts
 * reject with the engine's RuntimeError when it cannot be reached (the `docker` check reports it;
 * the others then say they were not run).
 */
export interface DoctorInput {
  ctx: FederationContext;
  deps: Required<Pick<DoctorDeps, "composeCli" | "host" | "configHashes">> & DoctorDeps;
  /** The writer's preview of the spec compiled in memory against the output folder (nothing written). */
  preview(): Promise<WriteResult>;
  /** The compose file on disk (undefined when not generated). */
  composeOnDisk(): Promise<string | undefined>;
  /** What the compose file on disk asks for (undefined when not generated). */
  wanted(): Promise<Wanted | undefined>;
  /** compose's hash of each service of the compose file on disk. */
  hashes(): Promise<ReadonlyMap<string, string> | undefined>;
  engineFacts(): Promise<EngineFacts>;
  observed(): Promise<Observed>;
}

/** One check: a name (for `--skip`), a line of help, and the findings it makes. */
export interface DoctorCheck {
  name: string;
  description: string;
  run(input: DoctorInput): Promise<Finding[]>;
}

export interface DoctorOptions {
  /** Checks to leave out, by name. @throws UsageError for an unknown name. */
  skip?: string[];
  /** Image for every gateway the spec does not give its own (as `up --image`). */
  image?: string;
  onProgress?: (line: string) => void;
}

export interface DoctorResult {
  /** No finding is `fail`. */
  ok: boolean;
  federation: string;
  outDir: string;
  /** Findings per status. */
  summary: Record<FindingStatus, number>;
  findings: Finding[];
  /** Checks that ran, in order. */
  checks: string[];
  gateways: Array<{ id: string }>;
  next?: string;
  ms: number;
}

const once = <T>(fn: () => Promise<T>): (() => Promise<T>) => {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
};

/** The shared, lazily computed input of the checks (see {@link DoctorInput}). */
export function doctorInput(ctx: FederationContext, deps: DoctorDeps, opts: Pick<DoctorOptions, "image"> = {}): DoctorInput {
  const full = { ...deps, composeCli: deps.composeCli ?? detectCompose, host: deps.host ?? realHostFacts, configHashes: deps.configHashes ?? realConfigHashes };
  const composeOnDisk = once(() => readFile(path.join(ctx.outDir, COMPOSE_FILE), "utf8").catch(() => undefined));
  const wanted = once(async () => {
    const text = await composeOnDisk();
    return text === undefined ? undefined : wantedFromCompose(text, ctx.project.name);
  });
  const engineFacts = once(async () => {
    await deps.engine.ping();
    return deps.engine.engineInfo();
  });
  return {
    ctx,
    deps: full,
    preview: once(async () => {
      const fed = withImage(ctx.fed, opts.image ?? (await generationImage(ctx)));
      return writeArtifacts(compile(fed, "compose"), { outDir: ctx.outDir, specFile: ctx.loaded.file, preview: true });
    }),
    composeOnDisk,
    wanted,
    hashes: once(async () => {
      const text = await composeOnDisk();
      return text === undefined ? undefined : full.configHashes(ctx.project, text);
    }),
    engineFacts,
    observed: once(async () => {
      await engineFacts();
      return observe(ctx, deps.engine, (await wanted())?.services.map((s) => s.image) ?? []);
    }),
  };
}

/**
 * Run every check (but the skipped ones) and collect the findings, secrets redacted. A check that
 * throws becomes one `fail` finding naming the error; the other checks still run.
 * @throws UsageError for an unknown name in `skip`
 */
export async function runDoctor(ctx: FederationContext, deps: DoctorDeps, checks: readonly DoctorCheck[], opts: DoctorOptions = {}): Promise<DoctorResult> {
  const t0 = deps.clock.now();
  const names = checks.map((c) => c.name);
  const unknown = (opts.skip ?? []).filter((s) => !names.includes(s));
  if (unknown.length) throw new UsageError(`--skip names ${unknown.map((u) => `"${u}"`).join(", ")}, which ${unknown.length === 1 ? "is not a check" : "are not checks"}`, { hint: `use one of: ${names.join(", ")}` });
  const input = doctorInput(ctx, deps, opts);
  const selected = checks.filter((c) => !opts.skip?.includes(c.name));
  const say = opts.onProgress ?? (() => undefined);
  const findings: Finding[] = [];
  for (const check of selected) {
    say(`checking ${check.name}: ${check.description}`);
    try {
      findings.push(...(await check.run(input)));
    } catch (err) {
      findings.push({ check: check.name, status: "fail", detail: `could not check: ${(err as Error).message.split("\n")[0]}`, fix: (err as { next?: string }).next ?? "fix the cause above, then run clawfed doctor again" });
    }
  }
  const clean = (s: string | undefined) => (s === undefined ? undefined : redact(s, ctx.secrets));
  const safe = findings.map((f): Finding => ({ ...f, detail: clean(f.detail)!, ...(f.fix !== undefined ? { fix: clean(f.fix) } : {}) }));
  const summary: Record<FindingStatus, number> = { ok: 0, warn: 0, fail: 0 };
  for (const f of safe) summary[f.status]++;
  const firstFail = safe.find((f) => f.status === "fail");
  return {
    ok: summary.fail === 0,
    federation: ctx.fed.name,
    outDir: ctx.outDir,
    summary,
    findings: safe,
    checks: selected.map((c) => c.name),
    gateways: ctx.fed.gateways.map((g) => ({ id: g.id })),
    ...(firstFail?.fix ? { next: firstFail.fix } : {}),
    ms: Math.round(deps.clock.now() - t0),
  };
}
