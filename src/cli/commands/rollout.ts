import { Command, Option } from "commander";
import type { RolloutOpResult } from "../../ops/index.js";
import { clawfed } from "../clawfed.js";
import { action, clean, EXIT, printJson, write } from "../output.js";
import { durationArg, listArg, withProgress } from "./runtime-args.js";

/** One line per gateway (with the failed container's last log lines), for the terminal. */
export function renderRollout(res: RolloutOpResult): string {
  const lines: string[] = [];
  for (const g of res.gateways) {
    const what =
      g.outcome === "updated"
        ? `updated ${g.from} → ${g.to} in ${((g.ms ?? 0) / 1000).toFixed(1)} s (not serving for ${((g.downtimeMs ?? 0) / 1000).toFixed(1)} s)`
        : g.outcome === "unchanged"
          ? `already on ${g.to}`
          : g.outcome === "not-touched"
            ? `not touched${g.reason ? `: ${g.reason}` : ""}`
            : `${g.outcome}: ${g.reason}`;
    lines.push(`${g.id}: ${what}${g.snapshotKept && g.snapshot ? ` (state snapshot kept in volume ${g.snapshot})` : ""}`);
    if (g.logTail?.length) lines.push(`  last lines of ${g.id} on ${g.to}:`, ...g.logTail.map((l) => `    ${l}`));
  }
  return `${lines.join("\n")}\n`;
}

/** The record steps in one line. */
function renderRecord(rec: NonNullable<RolloutOpResult["record"]>): string {
  return `recorded in ${rec.specFile}: ${rec.gateways.map((g) => `gateways.${g.id}.image = ${g.image}`).join(", ")}; docker-compose.yml regenerated\n`;
}

export function registerRollout(program: Command): void {
  program
    .command("rollout")
    .description("Health-gated rolling update: spokes one at a time (the hub last, only when asked), state snapshot first, automatic rollback on failure.")
    .argument("<spec>", "federation spec")
    .option("-o, --out <dir>", "output folder (default: out/<federation name>)")
    .option("--image <ref>", "new image for the selected gateways (default: the image the spec gives each; a gateway it gives none stays on its image)")
    .option("--only <ids>", "only these gateways, comma-separated (a hub named here is included)", listArg)
    .option("--include-hub", "also update the hub, after all spokes")
    .addOption(new Option("--pull <when>", "pull the image: always, only when missing locally, or never").choices(["always", "missing", "never"]).default("missing"))
    .option("--health-timeout <duration>", "how long each new gateway has to report started (default 120s)", durationArg)
    .option("--stable <duration>", "how long it must then stay up without a restart (default 1s)", durationArg)
    .option("--keep-snapshots", "keep the state snapshot volumes of successful updates")
    .option("--json", "print the result as JSON on stdout (progress stays on stderr)")
    .addHelpText(
      "after",
      "\nFirst a plan (which gateways, which image, in which order), then for each gateway: the container is stopped, its state" +
        "\n(volume or state/<id> folder) copied to a snapshot volume, and a new container created with the new image and everything" +
        "\nelse kept. It must report {\"status\":\"started\"} on /startupz and stay up. Otherwise the new container is removed, the state" +
        "\nrestored, the old container started again, and the rollout stops. Ctrl-C rolls the current gateway back and stops." +
        "\nRight after a gateway passes the health gate (never before), the spec records its new image (gateways.<id>.image) and" +
        "\ndocker-compose.yml is regenerated, so a later `compose up -d` leaves the new container alone." +
        "\nEvery step is journaled first (<out>/.clawfed/journal.json): if the rollout is killed, `clawfed resume` finishes it and" +
        "\n`clawfed abort` rolls the gateway in progress back; other commands refuse to run until then (exit 3)." +
        "\nExit codes: 0 all updated (or already current), 1 invalid spec, 2 bad usage (e.g. an unknown --only id), 3 a precondition" +
        "\nfailed (nothing changed), a gateway was rolled back, or the spec could not record the new images.",
    )
    .action(
      action(async (spec: string, opts: { out?: string; image?: string; only?: string[]; includeHub?: boolean; pull: "always" | "missing" | "never"; healthTimeout?: number; stable?: number; keepSnapshots?: boolean; json?: boolean }) => {
        const ops = await clawfed();
        const res: RolloutOpResult = await withProgress(opts.json, "interrupted: rolling back the gateway in progress, then stopping (Ctrl-C again to quit at once)", (p) =>
          ops.rollout(spec, {
            out: opts.out,
            image: opts.image,
            only: opts.only,
            includeHub: opts.includeHub,
            pull: opts.pull,
            healthTimeoutMs: opts.healthTimeout,
            stableMs: opts.stable,
            keepSnapshots: opts.keepSnapshots,
            ...p,
          }),
        );
        // Each gateway's new image was recorded in the spec right after its health gate (res.record).
        const record = res.record;
        // The plan's compose text is for the config hash, not for readers: --json keeps the steps.
        if (opts.json) printJson({ ...res, plan: { federation: res.plan.federation, steps: res.plan.steps }, record: record ?? null });
        else {
          write(renderRollout(res));
          if (record) write(renderRecord(record));
          if (!res.ok) process.stderr.write(clean(`error: ${res.message}\nNext: ${res.next}\n`));
        }
        return res.ok ? EXIT.ok : EXIT.runtime;
      }),
    );
}
