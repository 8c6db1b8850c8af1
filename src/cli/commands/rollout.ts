import { Command, Option } from "commander";
import type { RolloutResult } from "../../runtime/rollout.js";
import { action, EXIT, printJson, progress } from "../output.js";
import { durationArg, interruptSignal, listArg } from "./runtime-args.js";

function render(res: RolloutResult): string {
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
  if (res.ok && res.specUpdated) lines.push(`The spec now records the new image(s); docker-compose.yml was regenerated.`);
  return `${lines.join("\n")}\n`;
}

export function registerRollout(program: Command): void {
  program
    .command("rollout")
    .description("Health-gated rolling update: spokes one at a time (the hub last, only when asked), state snapshot first, automatic rollback on failure.")
    .argument("<spec>", "federation spec")
    .option("-o, --out <dir>", "output directory (default: out/<federation name>)")
    .option("--image <ref>", "new image for the selected gateways (default: the image the spec gives each)")
    .option("--only <ids>", "only these gateways, comma-separated (a hub named here is included)", listArg)
    .option("--include-hub", "also update the hub, after all spokes")
    .addOption(new Option("--pull <when>", "pull the image: always, only when missing locally, or never").choices(["always", "missing", "never"]).default("missing"))
    .option("--health-timeout <duration>", "how long each new gateway has to report started (default 120s)", durationArg)
    .option("--stable <duration>", "how long it must then stay up without a restart (default 1s)", durationArg)
    .option("--keep-snapshots", "keep the state snapshot volumes of successful updates")
    .option("--json", "print the result as JSON on stdout (progress stays on stderr)")
    .addHelpText(
      "after",
      "\nFor each gateway: the spec records the new image (gateways.<id>.image) and docker-compose.yml is regenerated; the container is stopped," +
        "\nits state (volume or state/<id> folder) copied to a snapshot volume, and a new container created with the new image and everything else kept." +
        "\nIt must report {\"status\":\"started\"} on /startupz and stay up. Otherwise the new container is removed, the state restored, the old" +
        "\ncontainer started again, the spec restored, and the rollout stops. Ctrl-C rolls the current gateway back and stops." +
        "\nExit codes: 0 all updated (or already current), 1 invalid spec, 2 bad usage, 3 a precondition failed (nothing changed) or a gateway was rolled back.",
    )
    .action(
      action(async (spec: string, opts: { out?: string; image?: string; only?: string[]; includeHub?: boolean; pull: "always" | "missing" | "never"; healthTimeout?: number; stable?: number; keepSnapshots?: boolean; json?: boolean }) => {
        const { openFederation } = await import("../../runtime/context.js");
        const { rollout } = await import("../../runtime/rollout.js");
        const { defaultDeps } = await import("../../runtime/status.js");
        const ctx = await openFederation(spec, { outDir: opts.out });
        const intr = interruptSignal(() => progress("interrupted: rolling back the gateway in progress, then stopping (Ctrl-C again to quit at once)"));
        try {
          const res = await rollout(ctx, defaultDeps(), {
            image: opts.image,
            only: opts.only,
            includeHub: opts.includeHub,
            pull: opts.pull,
            healthTimeoutMs: opts.healthTimeout,
            stableMs: opts.stable,
            keepSnapshots: opts.keepSnapshots,
            onProgress: progress,
            signal: intr.signal,
          });
          if (opts.json) printJson(res);
          else {
            process.stdout.write(render(res));
            if (!res.ok) process.stderr.write(`error: ${res.message}\nNext: ${res.next}\n`);
          }
          return res.ok ? EXIT.ok : EXIT.runtime;
        } finally {
          intr.dispose();
        }
      }),
    );
}
