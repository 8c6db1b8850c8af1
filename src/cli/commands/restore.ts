import { Command, Option } from "commander";
import { UsageError } from "../../errors.js";
import { clawfed } from "../clawfed.js";
import { action, clean, deprecated, printJson, progress, write } from "../output.js";
import { sizeArg } from "./backup.js";
import { countArg, durationArg, listArg, withProgress } from "./runtime-args.js";

export function registerRestore(program: Command): void {
  program
    .command("restore")
    .description("Restore a federation from a clawfed backup archive: verify every checksum first, then put back state volumes, workspaces, mailbox, generated files and .env, and start the gateways.")
    .argument("<spec>", "federation spec, e.g. federations/korax.yaml")
    .argument("[file]", "archive made by clawfed backup (same as --from / --file)")
    .option("--from <file>", "archive made by clawfed backup")
    .option("-f, --file <file>", "the same as --from (the name backup uses)")
    .option("-o, --out <dir>", "output folder of the federation (default: out/<federation name>)")
    .addOption(new Option("--dir <dir>", "deprecated: use --out").hideHelp())
    .option("--only <ids>", "only these gateways (comma-separated): their state and workspaces; .env and the other shared files are left alone", listArg)
    .option("--force", "stop gateways that are running instead of refusing")
    .option("--with-knowledge", "also write the archived knowledge mounts back (files in the archive replace those on disk; nothing is deleted)")
    .option("--max-bytes <size>", "refuse archives larger than this once uncompressed (default 64G)", sizeArg)
    .option("--max-ratio <n>", "refuse archives that inflate to more than n times the compressed bytes read (past 64 MiB; default 200: a gzip bomb)", countArg)
    .option("--timeout <duration>", "how long each gateway may take to report started (default 4m)", durationArg)
    .option("--json", "print the result as JSON on stdout (progress stays on stderr)")
    .addHelpText(
      "after",
      "\nThe archive is treated as hostile, exactly as by `clawfed backup verify` (one validation): only regular files and" +
        "\ndirectories, no absolute or .. paths, no links or devices, no names that collide by case, limits on size, entry count and" +
        "\ncompression ratio. A refused archive, or a running gateway without --force, changes nothing." +
        "\nA federation whose containers and volumes are gone (down -v) is recreated with compose first." +
        "\nExit codes: 0 restored and started, 1 the archive is refused or the spec is invalid, 2 bad usage (e.g. an unknown --only id), 3 a gateway is running" +
        "\n(without --force), Docker failed or a gateway did not start.",
    )
    .action(
      action(async (spec: string, positional: string | undefined, opts: { from?: string; file?: string; out?: string; dir?: string; only?: string[]; force?: boolean; withKnowledge?: boolean; maxBytes?: number; maxRatio?: number; timeout?: number; json?: boolean }) => {
        const given = [...new Set([positional, opts.from, opts.file].filter((x): x is string => x !== undefined))];
        if (given.length !== 1) throw new UsageError(given.length ? `the archive is given more than once (${given.join(", ")})` : "no archive given", { hint: "clawfed restore <spec> <file>, or --from <file>" });
        const out = deprecated(opts.dir, "--dir", "--out") ?? opts.out;
        const ops = await clawfed();
        const res = await withProgress(opts.json, "interrupted: stopping before anything is changed; once files and volumes are being replaced the restore runs to its end (Ctrl-C again quits at once)", (p) =>
          ops.restore(spec, {
            out,
            from: given[0]!,
            only: opts.only,
            force: opts.force,
            withKnowledge: opts.withKnowledge,
            limits: { ...(opts.maxBytes ? { maxBytes: opts.maxBytes } : {}), ...(opts.maxRatio ? { maxRatio: opts.maxRatio } : {}) },
            healthTimeoutMs: opts.timeout,
            ...p,
          }),
        );
        if (opts.json) {
          printJson(res);
          return;
        }
        for (const w of res.warnings) progress(`warning: ${w}`);
        write(`${res.federation}: restored ${res.gateways.length} gateway(s) from ${res.from} in ${(res.ms / 1000).toFixed(1)} s\n`);
        for (const g of res.gateways) write(`  ${g.id}: ${g.capture === "live" ? "from its live OpenClaw archive" : "state copied back"}${g.stopped ? " (was running: stopped by --force)" : ""}; started after ${(g.startedMs / 1000).toFixed(1)} s\n`);
        write(res.shared ? "  .env, generated files and mailbox restored\n" : "  shared files (.env, generated files, mailbox) left as they were\n");
      }),
    );
}
