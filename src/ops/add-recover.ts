/**
 * `clawfed resume` / `clawfed abort` of an add that did not finish (killed, or a rollback that
 * left problems). Both judge from the disk and Docker, not only from the step statuses, and can
 * run again if they are themselves killed:
 * - resume: the spec gets the new gateway (unless it has it already), the output is regenerated
 *   (unless the journal says that was done), then the new gateway and the linked gateways not yet
 *   done are brought up together (compose leaves a service whose container is current alone) and
 *   health-gated. A gateway that does not report started ends it with `ok: false` and the journal
 *   kept (resume again, or abort).
 * - abort: undoAdd (ops/add-steps.ts): the spec text from before, the output regenerated from it,
 *   the new container, networks, volume and folders removed, the linked gateways recreated from
 *   the previous files; the journal is deleted only when all of that worked.
 */
import { readFile } from "node:fs/promises";
import { RuntimeError } from "../errors.js";
import { isDone, type Journal } from "../vocabulary/journal.js";
import { openFederation, outFlag, type FederationContext } from "./context.js";
import type { ClawfedDeps } from "./deps.js";
import { addArgsOf, bringUp, undoAdd } from "./add-steps.js";
import { journalHandle, recoveryCommands } from "./journal.js";
import { regenerate, writeSpecText } from "./regenerate.js";
import type { RecoverGateway, RecoverOptions, RecoverResult } from "./recover-types.js";

/** Finish or undo an interrupted add (see the file comment). @throws RuntimeError when the spec was changed since, or an undo left problems */
export async function recoverAdd(ctx: FederationContext, deps: ClawfedDeps, journal: Journal, action: "resume" | "abort", opts: RecoverOptions): Promise<RecoverResult> {
  const t0 = deps.clock.now();
  const say = opts.onProgress ?? (() => undefined);
  const a = addArgsOf(journal);
  const base = { federation: ctx.fed.name, operation: "add", action } as const;
  const spec = await readFile(a.specFile, "utf8");
  if (spec !== a.before && spec !== a.after) {
    throw new RuntimeError(`${a.specFile} was changed since the add of ${a.id} stopped (it is neither the text before nor after the add)`, { next: `put back the text the add left, or check the federation by hand and move ${ctx.outDir}/.clawfed/journal.json away` });
  }
  const ms = () => Math.round(deps.clock.now() - t0);
  if (action === "abort") {
    const problems = await undoAdd(a, deps, journal, say);
    if (problems.length) throw new RuntimeError(`abort of the add of ${a.id} left problems:\n  ${problems.join("\n  ")}`, { next: `fix the cause, then run ${recoveryCommands(ctx).abort} again` });
    await journalHandle(ctx.outDir, journal).finish();
    const gateways: RecoverGateway[] = [{ id: a.id, outcome: "rolled-back", detail: "removed with its networks, volume and folders; the spec as before" }, ...a.links.map((l) => ({ id: l, outcome: "rolled-back", detail: "as before the add" }))];
    return { ...base, ok: true, gateways, ms: ms() };
  }
  const j = journalHandle(ctx.outDir, journal);
  if (!isDone(j.current, "write-spec")) {
    if (stepStatus(j.current, "write-spec") === "pending") await j.begin("write-spec");
    if (spec !== a.after) await writeSpecText(a.specFile, a.after);
    await j.end("write-spec");
  }
  if (!isDone(j.current, "generate")) {
    if (stepStatus(j.current, "generate") === "pending") await j.begin("generate");
    await regenerate(await openFederation(a.specFile, { outDir: a.outDir }), a.image ?? undefined);
    await j.end("generate");
  }
  const up = await bringUp(a, deps, j, say);
  const all = [...(up.started ? [up.started] : []), ...up.recreated];
  const gateways: RecoverGateway[] = [a.id, ...a.links].map((id) => {
    const r = all.find((x) => x.id === id);
    if (!r) return { id, outcome: "kept", detail: "the add had finished it" };
    return { id, outcome: r.ok ? "finished" : "failed", detail: r.ok ? `started in ${(r.ms / 1000).toFixed(1)} s` : r.reason };
  });
  if (up.failed) {
    const { resume, abort } = recoveryCommands(ctx);
    return { ...base, ok: false, gateways, message: `${up.failed.id} did not report started: ${up.failed.reason}. The add is not finished (the journal stays).`, next: `clawfed logs ${a.specFile} ${up.failed.id}${outFlag(ctx)}; then ${resume}, or undo the add: ${abort}`, ms: ms() };
  }
  await j.finish();
  return { ...base, ok: true, gateways, ms: ms() };
}

const stepStatus = (j: Journal, key: string) => j.steps.find((s) => s.key === key)?.status;
