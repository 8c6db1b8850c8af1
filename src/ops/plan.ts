/**
 * `plan`: what `clawfed up` would change, changing nothing (the `terraform plan` / `cdk diff` of a
 * federation). The spec is compiled in memory and handed to the writer in preview mode (it reads
 * the output folder, writes nothing); the engine is only read; compose computes its config hashes
 * from a private temporary copy of the compose text. Every secret value in the diffs is replaced by
 * `<redacted>` (the secret list of the env plan, as runtime/redact.ts uses everywhere).
 *
 * The plan has three parts, each a list of entries with an action and, for containers, the reasons:
 * - files: add / change / mode / remove, with a unified diff (the `diff` package);
 * - containers: create / recreate (image, config hash, env names, labels) / start / remove / keep;
 * - networks and volumes: create / keep / unused (`up` leaves unused ones; `down` removes them).
 */
import { createTwoFilesPatch } from "diff";
import { parse as parseDotenv } from "dotenv";
import { compile } from "../targets/registry.js";
import { writeArtifacts, type FileChange } from "../emit/write.js";
import { ENV_FILE } from "../emit/env-file.js";
import { planEnv } from "../vocabulary/env-plan.js";
import { configHashes as realConfigHashes } from "../runtime/compose.js";
import { redact, REDACTED, secretValues } from "../runtime/redact.js";
import { outFlag, type FederationContext } from "./context.js";
import type { ClawfedDeps } from "./deps.js";
import { changedSettings, driftOf, observe, orphanContainers, wantedFromCompose, type Wanted } from "./drift.js";
import { withImage } from "./generate.js";
import { COMPOSE_FILE, generationImage } from "./regenerate.js";

export interface PlanOptions {
  /** Image for every gateway the spec does not give its own (as `up --image`). */
  image?: string;
  /** Leave the unified diffs out (paths and actions only). */
  noDiff?: boolean;
}

/** One file `up` would write or remove. */
export interface PlannedFile {
  path: string;
  action: FileChange["action"];
  /** Octal modes, e.g. "0600" (before undefined for add, after undefined for remove). */
  modeBefore?: string;
  mode?: string;
  /** Unified diff, secrets redacted (absent with noDiff and for mode changes). */
  diff?: string;
}

/** One container `up` would create, recreate, start, remove, or keep. */
export interface PlannedContainer {
  /** Gateway id (for a removed container: the gateway it served). */
  gateway: string;
  /** The existing container's name (absent for create). */
  container?: string;
  action: "create" | "recreate" | "start" | "remove" | "keep";
  /** Why (recreate: image, config hash, env names, labels; start: its state). */
  reasons: string[];
  /** Top-level compose settings of the service that changed (recreate), e.g. ["ports"]. */
  settings?: string[];
}

/** A network or volume of the compose project. */
export interface PlannedResource {
  name: string;
  action: "create" | "keep" | "unused";
}

/** The whole plan. `changes` counts what `up` would do; 0 means `up` leaves everything as it is. */
export interface PlanResult {
  ok: true;
  federation: string;
  outDir: string;
  /** Number of changes `up` would make (files, containers, networks, volumes). */
  changes: number;
  files: PlannedFile[];
  containers: PlannedContainer[];
  networks: PlannedResource[];
  volumes: PlannedResource[];
  /** Names of tokens `up` would generate (never values). */
  newTokens: string[];
  warnings: string[];
  gateways: Array<{ id: string }>;
  /** The command that applies the plan (when there are changes). */
  next?: string;
  ms: number;
}

const octal = (m: number | undefined) => (m === undefined ? undefined : `0${(m & 0o7777).toString(8).padStart(3, "0")}`);

/**
 * A `.env` text with each secret value replaced by {@link REDACTED} (by variable: the names the env
 * plan calls secret); on the `after` side a value that differs from `before` becomes
 * `<redacted> (new value)`, so a changed token shows as a changed line without showing either value.
 */
export function redactEnvText(text: string, isSecret: (name: string) => boolean, compare?: Record<string, string>): string {
  const values = parseDotenv(text);
  return text
    .split("\n")
    .map((line) => {
      const m = /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)(\s*=\s*)(.*)$/.exec(line);
      if (!m || !isSecret(m[2]!) || !values[m[2]!]) return line;
      const changed = compare !== undefined && compare[m[2]!] !== values[m[2]!];
      return `${m[1]}${m[2]}${m[3]}${REDACTED}${changed ? " (new value)" : ""}`;
    })
    .join("\n");
}

/** A unified diff of one change, secrets redacted. */
export function fileDiff(change: FileChange, secrets: readonly string[], isSecret: (name: string) => boolean): string {
  let before = change.before ?? "";
  let after = change.after ?? "";
  if (change.path === ENV_FILE) {
    const old = parseDotenv(before);
    before = redactEnvText(before, isSecret);
    after = redactEnvText(after, isSecret, old);
  }
  const from = change.action === "add" ? "/dev/null" : `a/${change.path}`;
  const to = change.action === "remove" ? "/dev/null" : `b/${change.path}`;
  const patch = createTwoFilesPatch(from, to, before, after, undefined, undefined, { context: 3 });
  // The header line of createTwoFilesPatch ("====…") carries nothing: drop it.
  return redact(patch.replace(/^=+\n/, ""), secrets);
}

/** The containers part (pure): what `up` does to each gateway's container, and to orphans. */
export function planContainers(
  ctx: Pick<FederationContext, "fed" | "project">,
  wanted: Wanted,
  obs: Awaited<ReturnType<typeof observe>>,
  hashes: ReadonlyMap<string, string> | undefined,
  before: Wanted | undefined,
): PlannedContainer[] {
  const out: PlannedContainer[] = [];
  for (const w of wanted.services) {
    const info = obs.containers.get(w.id);
    if (!info) {
      out.push({ gateway: w.id, action: "create", reasons: ["no container"] });
      continue;
    }
    const reasons = driftOf(w, info, obs, hashes?.get(w.service));
    if (reasons.length) {
      const settings = changedSettings(before?.services.find((s) => s.service === w.service)?.raw, w.raw);
      out.push({ gateway: w.id, container: info.name, action: "recreate", reasons: reasons.map((r) => r.detail), ...(settings.length ? { settings } : {}) });
    } else if (!info.running) {
      out.push({ gateway: w.id, container: info.name, action: "start", reasons: [`container ${info.status}`] });
    } else out.push({ gateway: w.id, container: info.name, action: "keep", reasons: [] });
  }
  for (const c of orphanContainers(ctx, wanted, obs)) {
    out.push({ gateway: c.labels["ai.clawfed.gateway"] ?? "?", container: c.name, action: "remove", reasons: ["its gateway is not in the spec"] });
  }
  return out;
}

/** Networks or volumes: create what is missing, keep what is there, name what is unused. */
export function planResources(want: readonly string[], have: readonly string[]): PlannedResource[] {
  const h = new Set(have);
  const w = new Set(want);
  return [...want.map((name): PlannedResource => ({ name, action: h.has(name) ? "keep" : "create" })), ...have.filter((n) => !w.has(n)).map((name): PlannedResource => ({ name, action: "unused" }))];
}

/**
 * Plan `up` for a federation: nothing is written, started or removed.
 * @throws SpecError for an invalid spec (before, when the federation is opened); UsageError for a
 *   bad `image` or an output folder clawfed did not create; RuntimeError when the engine cannot be
 *   reached or the output folder cannot be read.
 */
export async function planUp(ctx: FederationContext, deps: Pick<ClawfedDeps, "engine" | "clock"> & Partial<Pick<ClawfedDeps, "configHashes">>, opts: PlanOptions = {}): Promise<PlanResult> {
  const t0 = deps.clock.now();
  const fed = withImage(ctx.fed, opts.image ?? (await generationImage(ctx)));
  const result = compile(fed, "compose");
  const preview = await writeArtifacts(result, { outDir: ctx.outDir, specFile: ctx.loaded.file, preview: true });
  const changes = preview.changes ?? [];
  const composeText = result.artifacts.find((a) => a.kind === "file" && a.path === COMPOSE_FILE);
  const text = composeText?.kind === "file" ? composeText.content : "";
  const wanted = wantedFromCompose(text, ctx.project.name);
  const oldCompose = changes.find((c) => c.path === COMPOSE_FILE)?.before;
  const before = oldCompose ? wantedFromCompose(oldCompose, ctx.project.name) : undefined;

  await deps.engine.ping();
  const [obs, hashes] = await Promise.all([observe(ctx, deps.engine, wanted.services.map((s) => s.image)), (deps.configHashes ?? realConfigHashes)(ctx.project, text)]);
  const containers = planContainers(ctx, wanted, obs, hashes, before);
  const networks = planResources(wanted.networks, obs.networks);
  const volumes = planResources(wanted.volumes, obs.volumes);

  // Secrets: the env plan's secret names, and their values before and after (new tokens included).
  const slots = planEnv(ctx.fed, { projectName: true, dockerGid: true });
  const open = new Set(slots.filter((s) => s.kind === "fixed" || s.kind === "host").map((s) => s.name));
  const envAfter = changes.find((c) => c.path === ENV_FILE)?.after;
  const secrets = [...ctx.secrets, ...secretValues(envAfter ? parseDotenv(envAfter) : {}, slots)];
  const files = changes.map((c): PlannedFile => {
    const f: PlannedFile = { path: c.path, action: c.action };
    if (c.modeBefore !== undefined) f.modeBefore = octal(c.modeBefore);
    if (c.mode !== undefined) f.mode = octal(c.mode);
    if (!opts.noDiff && c.action !== "mode") f.diff = fileDiff(c, secrets, (n) => !open.has(n));
    return f;
  });
  const count =
    files.length + containers.filter((c) => c.action !== "keep").length + [...networks, ...volumes].filter((r) => r.action === "create").length;
  return {
    ok: true,
    federation: ctx.fed.name,
    outDir: ctx.outDir,
    changes: count,
    files,
    containers,
    networks,
    volumes,
    newTokens: [...preview.env.generated],
    warnings: [...result.warnings, ...preview.warnings],
    gateways: ctx.fed.gateways.map((g) => ({ id: g.id })),
    ...(count ? { next: `clawfed up ${ctx.loaded.file}${outFlag(ctx)}${opts.image ? ` --image ${opts.image}` : ""}` } : {}),
    ms: Math.round(deps.clock.now() - t0),
  };
}
