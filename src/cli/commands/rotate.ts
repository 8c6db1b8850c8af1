import { Command } from "commander";
import type { RotateResult } from "../../ops/index.js";
import { clawfed } from "../clawfed.js";
import { reporter } from "../format.js";
import { action, clean, EXIT, printJson, write } from "../output.js";
import { durationArg } from "./runtime-args.js";

/** Token names, gateways recreated, routes proved: never a token value. */
export function renderRotate(res: RotateResult): string {
  const lines = [`${res.federation}: rotated ${res.tokens.length} token(s) (${res.target}): ${res.tokens.join(", ")}`];
  for (const g of res.gateways) lines.push(`${g.id}: ${g.reason ? `not started: ${g.reason}` : `recreated${g.ms !== undefined ? `, started in ${(g.ms / 1000).toFixed(1)} s` : ""}`}`);
  for (const r of res.routes) lines.push(`${r.from} → ${r.to} (${r.transport}, ${r.token}): new token ${r.newStatus}, old token ${r.oldStatus}${r.ok ? "" : "  NOT PROVED"}`);
  return `${lines.join("\n")}\n`;
}

export function registerRotate(program: Command): void {
  program
    .command("rotate")
    .description("Replace the tokens of a gateway, a link (<from>:<to>) or all; recreate exactly the gateways that hold them (health-gated, one at a time); prove every affected route.")
    .argument("<spec>", "federation spec")
    .argument("<target>", "a gateway id, a link as <from>:<to> (either direction), or all")
    .option("-o, --out <dir>", "output folder (default: out/<federation name>)")
    .option("--health-timeout <duration>", "how long each recreated gateway has to report started (default 120s)", durationArg)
    .option("--json", "print the result as JSON on stdout (progress stays on stderr)")
    .addHelpText(
      "after",
      "\nA gateway target replaces every token that rotates with it (as generate --rotate does): its gateway token, its hooks" +
        "\ntoken, the A2A tokens of its links. A link replaces the A2A tokens between its two ends (both directions) and the hooks" +
        "\ntoken of an end it calls over hooks (shared by that end's other hooks callers, which are recreated too)." +
        "\nNew values (32 random bytes, base64url) go into .env (0600); each holder is recreated by compose and must report" +
        "\nstarted; then each affected route is called from inside its caller with the new token (must get 200) and the old one" +
        "\n(must get 401). Only token NAMES are printed, never values. The steps are journaled: if interrupted, run" +
        "\n`clawfed resume <spec>` (a rotation cannot be rolled back: clawfed keeps no old token)." +
        "\nExit codes: 0 rotated and every route proved, 1 invalid spec, 2 bad usage (unknown target), 3 a holder is not" +
        "\nhealthy (nothing changed), a gateway did not start again, a route was not proved, or an unfinished operation.",
    )
    .action(
      action(async (spec: string, target: string, opts: { out?: string; healthTimeout?: number; json?: boolean }) => {
        const ops = await clawfed();
        const report = await reporter({ plain: opts.json, clean });
        let res: RotateResult;
        try {
          res = await ops.rotate(spec, target, { out: opts.out, healthTimeoutMs: opts.healthTimeout, onProgress: report.line });
        } finally {
          report.done();
        }
        if (opts.json) printJson(res);
        else {
          write(renderRotate(res));
          if (!res.ok) process.stderr.write(clean(`error: ${res.message}\nNext: ${res.next}\n`));
        }
        return res.ok ? EXIT.ok : EXIT.runtime;
      }),
    );
}
