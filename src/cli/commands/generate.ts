import { Command, Option } from "commander";
import { UsageError } from "../../errors.js";
import { clawfed } from "../clawfed.js";
import { action, printJson, progress, write } from "../output.js";

interface GenerateFlags {
  out?: string;
  target: "compose" | "native" | "systemd" | "launchd" | "kubernetes" | "swarm" | "ecs";
  namespace?: string;
  rotate?: string;
  image?: string;
  dryRun?: boolean;
  force?: boolean;
  json?: boolean;
  root?: string;
  node?: string;
  openclawEntry?: string;
  systemdScope?: "user" | "system";
  systemdUser?: string;
  systemdVersion?: string;
}

/** The command to run after generating for a target. */
function nextStep(target: GenerateFlags["target"], spec: string, outDir: string, rootGiven: boolean): string {
  if (target === "native") return `clawfed native up ${spec}${rootGiven ? ` --out ${outDir}` : ""}`;
  if (target === "systemd") return `install the units in ${outDir}/systemd (see ${outDir}/README.md)`;
  if (target === "kubernetes") return `fill in .env, then: kubectl apply -k ${outDir} && kubectl get pods -n <namespace> (see ${outDir}/README.md)`;
  if (target === "swarm") return `clawfed up ${spec} --target swarm${rootGiven ? ` --out ${outDir}` : ""}   (or by hand: see ${outDir}/README.md)`;
  if (target === "ecs") return `cd ${outDir} && npm ci && npx cdk synth   (then npx cdk deploy; see ${outDir}/README.md)`;
  if (target === "launchd") return `install the plists in ${outDir}/launchd, then clawfed audit ~/Library/LaunchAgents (see ${outDir}/README.md)`;
  return `cd ${outDir} && docker compose up -d   (or: clawfed up ${spec})`;
}

export function registerGenerate(program: Command): void {
  program
    .command("generate")
    .description("Compile a federation spec into docker-compose.yml, .env, per-gateway openclaw.json, workspaces and the delegate skill.")
    .argument("<spec>", "federation spec, e.g. federations/korax.yaml")
    .option("-o, --out <dir>", "output directory (default: out/<federation name>)")
    .addOption(new Option("-t, --target <target>", "what to generate: compose, a Docker Swarm stack (swarm), native processes (native = PM2, systemd units, launchd plists), a Kustomize base (kubernetes), or an AWS CDK app for ECS Fargate (ecs)").choices(["compose", "swarm", "native", "systemd", "launchd", "kubernetes", "ecs"]).default("compose"))
    .option("--root <dir>", "native targets: where the gateways live and run (default: --out, else ~/.clawfed/<federation>)")
    .option("--node <path>", "native targets: Node >= 24.16 binary the gateways run with (default: the pinned one in tools/openclaw)")
    .option("--openclaw-entry <path>", "native targets: OpenClaw's openclaw.mjs (default: the pinned one in tools/openclaw)")
    .addOption(new Option("--systemd-scope <scope>", "systemd: user units (~/.config/systemd/user) or system units (/etc/systemd/system)").choices(["user", "system"]).default("user"))
    .option("--systemd-user <name>", "systemd scope system: the account the gateways run as (default: the current user)")
    .option("--systemd-version <n>", "systemd: version of the systemd that runs the units (default: this host's, else 254)")
    .option("--namespace <name>", "kubernetes: namespace of every object (default: kubernetes.namespace in the spec, else the federation name)")
    .option("--rotate <gateway|all>", "replace the tokens of these gateways (comma-separated) or all of them")
    .option("--image <ref>", "image for every gateway that does not name its own")
    .option("--dry-run", "show what would change; write nothing")
    .option("--force", "write into a non-empty folder clawfed did not create (files with the names it generates are replaced)")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      "\nNative targets write the gateways' folders (config, state, workspace, own secrets file) under the root,\n" +
        "plus pm2.ecosystem.json (native), systemd/*.service (systemd) or launchd/*.plist (launchd).\n" +
        "Base ports must be at least 120 apart there (each gateway also uses base + 2 ... base + 110).\n" +
        "\nThe output folder must be new, empty, or one clawfed generated (it has .clawfed/manifest.json); --force\n" +
        "writes into any other folder. Links below it are never followed: a planted link is refused, naming it.\n" +
        "\nExit codes: 0 written, 1 invalid spec (nothing written), 2 bad usage (e.g. a non-empty folder clawfed did not\n" +
        "create, without --force), 3 the output folder cannot be written safely (a file, a dangling or planted link,\n" +
        "read-only or not writable: nothing written) or OpenClaw not found (native targets).\n" +
        "Tokens are kept across runs; only --rotate replaces them. Secrets are never printed.",
    )
    .action(
      action(async (spec: string, opts: GenerateFlags) => {
        const rotate = opts.rotate === undefined ? undefined : opts.rotate === "all" ? ("all" as const) : opts.rotate.split(",").map((s) => s.trim()).filter(Boolean);
        let systemdVersion: number | undefined;
        if (opts.systemdVersion !== undefined) {
          systemdVersion = Number(opts.systemdVersion);
          if (!Number.isInteger(systemdVersion) || systemdVersion < 200) {
            throw new UsageError(`--systemd-version must be a systemd major version such as 252 or 256, got "${opts.systemdVersion}"`);
          }
        }
        const res = await (await clawfed()).generate(spec, {
          out: opts.out,
          target: opts.target,
          rotate,
          image: opts.image,
          dryRun: opts.dryRun,
          force: opts.force,
          root: opts.root,
          openclaw: { node: opts.node, entry: opts.openclawEntry },
          systemd: { scope: opts.systemdScope, user: opts.systemdUser, version: systemdVersion },
          ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
        });
        if (opts.json) {
          printJson(res);
          return;
        }
        for (const w of res.warnings) progress(`warning: ${w}`);
        const verb = opts.dryRun ? "would write" : "wrote";
        write(
          `${res.federation}: ${verb} ${res.written.length} file(s), ${res.unchanged.length} unchanged, ${res.removed.length} removed in ${res.outDir}\n`,
        );
        const e = res.env;
        if (e.generated.length) write(`  .env: generated ${e.generated.length} token(s)\n`);
        if (e.rotated.length) write(`  .env: rotated ${e.rotated.join(", ")}\n`);
        if (e.emptyUserSecrets.length) write(`  .env: fill in ${e.emptyUserSecrets.join(", ")}\n`);
        if (!opts.dryRun) write(`Next: ${nextStep(opts.target, spec, res.root ?? res.outDir, Boolean(opts.root ?? opts.out))}\n`);
      }),
    );
}
