import { Command, Option } from "commander";
import { generate } from "../../generate.js";
import { action, printJson, progress } from "../output.js";

export function registerGenerate(program: Command): void {
  program
    .command("generate")
    .description("Compile a federation spec into docker-compose.yml, .env, per-gateway openclaw.json, workspaces and the delegate skill.")
    .argument("<spec>", "federation spec, e.g. federations/korax.yaml")
    .option("-o, --out <dir>", "output directory (default: out/<federation name>)")
    .addOption(new Option("-t, --target <target>", "what to generate").choices(["compose"]).default("compose"))
    .option("--rotate <gateway|all>", "replace the tokens of these gateways (comma-separated) or all of them")
    .option("--image <ref>", "image for every gateway that does not name its own")
    .option("--dry-run", "show what would change; write nothing")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      "\nExit codes: 0 written, 1 invalid spec (nothing written), 2 bad usage.\nTokens are kept across runs; only --rotate replaces them. Secrets are never printed.",
    )
    .action(
      action(async (spec: string, opts: { out?: string; target: "compose"; rotate?: string; image?: string; dryRun?: boolean; json?: boolean }) => {
        const rotate = opts.rotate === undefined ? undefined : opts.rotate === "all" ? ("all" as const) : opts.rotate.split(",").map((s) => s.trim()).filter(Boolean);
        const res = await generate({ spec, outDir: opts.out, target: opts.target, rotate, image: opts.image, dryRun: opts.dryRun });
        if (opts.json) {
          printJson({ ok: true, ...res });
          return;
        }
        for (const w of res.warnings) progress(`warning: ${w}`);
        const verb = opts.dryRun ? "would write" : "wrote";
        process.stdout.write(
          `${res.federation}: ${verb} ${res.written.length} file(s), ${res.unchanged.length} unchanged, ${res.removed.length} removed in ${res.outDir}\n`,
        );
        const e = res.env;
        if (e.generated.length) process.stdout.write(`  .env: generated ${e.generated.length} token(s)\n`);
        if (e.rotated.length) process.stdout.write(`  .env: rotated ${e.rotated.join(", ")}\n`);
        if (e.emptyUserSecrets.length) process.stdout.write(`  .env: fill in ${e.emptyUserSecrets.join(", ")}\n`);
        if (!opts.dryRun) process.stdout.write(`Next: cd ${res.outDir} && docker compose up -d   (or: clawfed up ${spec})\n`);
      }),
    );
}
