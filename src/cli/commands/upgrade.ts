import { Command, Option } from "commander";
import type { UpgradeOpResult } from "../../ops/index.js";
import { clawfed } from "../clawfed.js";
import { action, clean, EXIT, printJson, write } from "../output.js";
import { durationArg, listArg, withProgress } from "./runtime-args.js";

interface UpgradeFlags {
  to: string;
  out?: string;
  only?: string[];
  allowDowngrade?: boolean;
  pull: "missing" | "never";
  healthTimeout?: number;
  stable?: number;
  keepSnapshots?: boolean;
  json?: boolean;
}

/** One line per gateway (rehearsal, then rollout), the record line, for the terminal. */
export function renderUpgrade(res: UpgradeOpResult): string {
  const lines: string[] = [`OpenClaw ${res.to}: image ${res.image ?? "(none)"}${res.imageSource ? ` (${res.imageSource})` : ""}`];
  for (const g of res.gateways) {
    const r = g.rehearsal;
    const rehearsal = r ? (r.ok ? `rehearsal passed in ${(r.ms / 1000).toFixed(1)} s (doctor: ${r.doctor?.checksRun ?? "?"} checks, no errors)` : `rehearsal failed: ${r.reason}`) : "";
    const roll = g.rollout
      ? g.rollout.outcome === "updated"
        ? `updated in ${((g.rollout.ms ?? 0) / 1000).toFixed(1)} s (not serving for ${((g.rollout.downtimeMs ?? 0) / 1000).toFixed(1)} s)`
        : `${g.rollout.outcome}${g.rollout.reason ? `: ${g.rollout.reason}` : ""}`
      : g.outcome === "current"
        ? `already on ${res.to}`
        : "not touched";
    lines.push(`${g.id}: ${g.fromVersion ?? "?"} → ${res.to}: ${[rehearsal, roll].filter(Boolean).join("; ")}`);
    const tail = r?.logTail ?? g.rollout?.logTail;
    if (tail?.length) lines.push(`  last lines of ${g.id} on ${res.image}:`, ...tail.map((l) => `    ${l}`));
  }
  if (res.record?.changes.length) lines.push(`recorded in ${res.record.specFile}: ${res.record.changes.join(", ")}; docker-compose.yml regenerated`);
  return `${lines.join("\n")}\n`;
}

/** `clawfed upgrade`: one ops call (plan, then image, rehearse, rollout, record). */
export function registerUpgrade(program: Command): void {
  program
    .command("upgrade")
    .description("Upgrade the federation to another OpenClaw release: image, rehearsal on a copy of each gateway's state, health-gated rollout (spokes, then the hub), version recorded in the spec.")
    .argument("<spec>", "federation spec")
    .requiredOption("--to <version>", "OpenClaw version to move to, e.g. 2026.9.6")
    .option("-o, --out <dir>", "output folder (default: out/<federation name>)")
    .option("--only <ids>", "only these gateways, comma-separated (the spec then records gateways.<id>.image)", listArg)
    .option("--allow-downgrade", "allow a version older than a gateway runs now (OpenClaw's state migrations are one-way)")
    .addOption(new Option("--pull <when>", "missing: try the registry when the image is not present, then build offline; never: build offline at once").choices(["missing", "never"]).default("missing"))
    .option("--health-timeout <duration>", "how long a scratch or new gateway has to report started (default 120s)", durationArg)
    .option("--stable <duration>", "how long a new gateway must then stay up (default 1s)", durationArg)
    .option("--keep-snapshots", "keep the rollout's state snapshot volumes")
    .option("--json", "print the result as JSON on stdout (progress stays on stderr)")
    .addHelpText(
      "after",
      "\nSteps: 1 image: present locally (the spec's image with the new version in its tag, the official image, or" +
        "\nopenclaw:<version>-local), else pulled, else built offline (clawfed image build's recipe; OpenClaw from npm)." +
        "\n2 rehearse: per gateway, a scratch container of the new image on a copy of its state and workspace, with the new" +
        "\nconfig, no published ports, an internal network of its own, no mailboxes, no Docker socket; it must report started and" +
        "\n`openclaw doctor --lint` (read-only) must report no error. A failed rehearsal changes nothing and is cleaned up." +
        "\n3 rollout: as clawfed rollout (state snapshot, health gate, rollback), spokes first, the hub last." +
        "\n4 record: openclaw.version (and openclaw.image) in the spec, comments kept; docker-compose.yml regenerated." +
        "\nExit codes: 0 upgraded (or already there), 1 invalid spec, 2 bad usage (unknown --only id, a downgrade without" +
        "\n--allow-downgrade), 3 the image could not be had, a rehearsal failed (nothing changed), or a gateway was rolled back.",
    )
    .action(
      action(async (spec: string, opts: UpgradeFlags) => {
        const ops = await clawfed();
        const res: UpgradeOpResult = await withProgress(opts.json, "interrupted: stopping after the current step (a gateway being rolled out is rolled back)", (p) =>
          ops.upgrade(spec, {
            out: opts.out,
            to: opts.to,
            only: opts.only,
            allowDowngrade: opts.allowDowngrade,
            pull: opts.pull,
            healthTimeoutMs: opts.healthTimeout,
            stableMs: opts.stable,
            keepSnapshots: opts.keepSnapshots,
            ...p,
          }),
        );
        if (opts.json) printJson(res);
        else {
          write(renderUpgrade(res));
          if (!res.ok) process.stderr.write(clean(`error: ${res.message}\nNext: ${res.next}\n`));
        }
        return res.ok ? EXIT.ok : EXIT.runtime;
      }),
    );
}
