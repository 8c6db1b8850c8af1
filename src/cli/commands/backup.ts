import { Command, InvalidArgumentError, Option } from "commander";
import { UsageError } from "../../errors.js";
import { clawfed } from "../clawfed.js";
import { reporter } from "../format.js";
import { action, clean, deprecated, printJson, progress, write } from "../output.js";
import { countArg, durationArg, interruptSignal, listArg } from "./runtime-args.js";

export const SECRETS_NOTICE =
  "This archive holds secrets (the tokens in .env and each gateway's credentials and sessions): it is mode 0600; keep it private and store it encrypted.";

const UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `500M`, `10G`, `1.5GiB`, `1048576` → bytes. */
export function sizeArg(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`"${value}" is not a size (use e.g. 500M, 10G or a number of bytes)`);
  const n = Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
  if (!(n > 0)) throw new InvalidArgumentError(`"${value}" must be more than zero`);
  return n;
}

interface BackupFlags {
  out?: string;
  file?: string;
  dir?: string;
  only?: string[];
  live?: boolean;
  withKnowledge?: boolean;
  timeout?: number;
  json?: boolean;
}

/**
 * The output folder and the archive file from the flags: `--out` is the folder (as everywhere),
 * the archive is `--file` or the positional argument. Before 0.2 `--out` named the archive and
 * `--dir` the folder: `--dir` still works with a warning, and an `--out` ending in .tar.gz/.tgz
 * (without `--dir`) is still read as the archive, with a warning.
 * @throws UsageError when the archive is given twice
 */
export function backupPaths(positional: string | undefined, opts: BackupFlags): { out?: string; file?: string } {
  if (positional && opts.file && positional !== opts.file) throw new UsageError(`the archive is given twice (${positional} and --file ${opts.file})`, { hint: "give one" });
  let file = opts.file ?? positional;
  let out = opts.out;
  const oldArchive = () => {
    progress("warning: --out now names the output folder (as in every command); the archive is --file (or the second argument). Reading this --out as the archive.");
    if (file !== undefined && file !== opts.out) throw new UsageError(`the archive is given twice (${file} and --out ${opts.out})`, { hint: "use --file only" });
    file = opts.out;
  };
  if (opts.dir !== undefined) {
    // The old vocabulary: --dir the folder, --out the archive.
    out = deprecated(opts.dir, "--dir", "--out");
    if (opts.out !== undefined) oldArchive();
  } else if (opts.out !== undefined && /\.(tar\.gz|tgz)$/i.test(opts.out)) {
    oldArchive();
    out = undefined;
  }
  return { out, file };
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

export function registerBackup(program: Command): void {
  const backup = program
    .command("backup")
    .description("Back up the whole federation (each gateway's state, workspaces, mailbox, spec, generated files and .env) into one verified .tar.gz.")
    .argument("<spec>", "federation spec, e.g. federations/korax.yaml")
    .argument("[file]", "archive to write (same as --file)")
    .option("-o, --out <dir>", "output folder of the generated federation (default: out/<federation name>)")
    .option("-f, --file <file>", "archive to write (default: backups/<federation>-<UTC time>.tar.gz next to the output folder); never replaced")
    .addOption(new Option("--dir <dir>", "deprecated: use --out").hideHelp())
    .option("--only <ids>", "only these gateways (comma-separated): their state and workspaces, without the shared files", listArg)
    .option("--live", "do not stop gateways: run `openclaw backup create --verify` inside each running gateway and include its archive")
    .option("--with-knowledge", "also include the knowledge mounts (often large; they live outside the output folder)")
    .option("--timeout <duration>", "how long a restarted gateway may take to report started (default 4m)", durationArg)
    .option("--json", "print the result as JSON on stdout (progress stays on stderr)")
    .addHelpText(
      "after",
      "\nDefault: one gateway at a time (spokes first, the hub last) is stopped, its state copied through the Docker" +
        "\nEngine (no image is pulled), then started again and awaited until /startupz says started." +
        "\nThe archive is written under a temporary name, mode 0600, and published without replacing any file." +
        `\n${SECRETS_NOTICE}` +
        "\n\nSubcommand: clawfed backup verify <file>  checks an archive without changing anything." +
        "\nExit codes: 0 written, 1 invalid spec, 2 bad usage (e.g. an unknown --only id), 3 Docker or a gateway failed (no archive is published).",
    )
    .action(
      action(async (spec: string, positional: string | undefined, opts: BackupFlags) => {
        const { out, file } = backupPaths(positional, opts);
        const report = await reporter({ plain: opts.json, clean });
        const intr = interruptSignal(() => report.line("interrupted: finishing the gateway being copied and starting it again, then stopping (Ctrl-C again quits at once and may leave it stopped)"));
        const res = await (await clawfed())
          .backup(spec, { out, file, only: opts.only, live: opts.live, withKnowledge: opts.withKnowledge, healthTimeoutMs: opts.timeout, onProgress: report.line, signal: intr.signal })
          .finally(() => (report.done(), intr.dispose()));
        if (opts.json) {
          printJson({ ...res, notice: SECRETS_NOTICE });
          progress(SECRETS_NOTICE);
          return;
        }
        for (const w of res.warnings) progress(`warning: ${w}`);
        write(`${res.federation}: backed up ${res.gateways.length} gateway(s) into ${res.file}\n`);
        write(`  ${mb(res.bytes)} compressed, ${mb(res.contentBytes)} of content in ${res.files} files and ${res.dirs} folders, ${(res.ms / 1000).toFixed(1)} s\n`);
        for (const g of res.gateways) {
          const how = g.capture === "live" ? "live (openclaw backup create --verify)" : g.wasRunning ? `stopped copy, down ${((g.downMs ?? 0) / 1000).toFixed(1)} s` : "copy (it was not running)";
          write(`  ${g.id}: ${how}, ${g.stateFiles} state file(s), ${mb(g.stateBytes)}\n`);
        }
        if (!res.shared) write("  shared files (.env, generated files, mailbox) not included: --only was given\n");
        write(`${SECRETS_NOTICE}\nCheck it: clawfed backup verify ${res.file}\nRestore:  clawfed restore ${spec} --from ${res.file}${out ? ` --out ${out}` : ""}\n`);
      }),
    );
  registerBackupVerify(backup);
}

/** `clawfed backup verify <file>`: check an archive, change nothing. */
function registerBackupVerify(backup: Command): void {
  backup
    .command("verify")
    .description("Verify a clawfed backup archive: safe structure (regular files and directories only, no absolute or .. paths, limits) and every checksum in its manifest.")
    .argument("<file>", "archive (.tar.gz) made by clawfed backup")
    .option("--max-bytes <size>", "refuse archives larger than this once uncompressed (default 64G)", sizeArg)
    .option("--max-entries <n>", "refuse archives with more members than this (default 1000000)", countArg)
    .option("--max-ratio <n>", "refuse archives that inflate to more than n times the compressed bytes read (past 64 MiB; default 200: a gzip bomb)", countArg)
    .option("--json", "print the result as JSON")
    .addHelpText("after", "\nNothing is extracted or changed.\nExit codes: 0 valid, 1 the archive is refused (the reason is printed), 2 bad usage.")
    .action(
      action(async (file: string, own: { maxBytes?: number; maxEntries?: number; maxRatio?: number; json?: boolean }, cmd: Command) => {
        // `backup` has its own --json, which commander hands to the parent: read both.
        const opts = { ...own, json: Boolean(own.json || cmd.optsWithGlobals<{ json?: boolean }>().json) };
        const limits = { ...(opts.maxBytes ? { maxBytes: opts.maxBytes } : {}), ...(opts.maxEntries ? { maxEntries: opts.maxEntries } : {}), ...(opts.maxRatio ? { maxRatio: opts.maxRatio } : {}) };
        const v = await (await clawfed()).verifyBackup(file, { limits, onProgress: progress });
        if (opts.json) printJson(v);
        else {
          write(`ok: ${v.file}: backup of ${v.federation} made ${v.createdAt} by clawfed ${v.clawfedVersion} (OpenClaw ${v.openclawVersion})\n`);
          write(`  ${v.files} files, ${v.dirs} folders, ${mb(v.contentBytes)} of content; every sha256 matches its manifest\n`);
          write(`  gateways: ${v.gateways.map((g) => `${g.id} (${g.capture})`).join(", ") || "none"}${v.shared ? "; with .env, generated files and mailbox" : ""}\n`);
          if (v.skipped.length) write(`  ${v.skipped.length} path(s) were skipped when it was made (links or special files)\n`);
        }
      }),
    );
}
