import { Command, InvalidArgumentError, Option } from "commander";
import type { AddPlan, AddResult, RemovePlan, RemoveResult } from "../../ops/index.js";
import { clawfed } from "../clawfed.js";
import { reporter } from "../format.js";
import { action, clean, EXIT, printJson, write } from "../output.js";
import { durationArg, listArg } from "./runtime-args.js";

/** `--port auto|N`. */
export function portArg(value: string): number | "auto" {
  if (value === "auto") return "auto";
  if (!/^\d+$/.test(value) || Number(value) < 1024 || Number(value) > 65535) throw new InvalidArgumentError("a port from 1024 to 65535, or auto");
  return Number(value);
}

type Transport = "a2a" | "hooks" | "mailbox";
const TRANSPORTS: readonly string[] = ["a2a", "hooks", "mailbox"];

/** `--transports a2a,hooks`. */
export function transportsArg(value: string): Transport[] {
  const list = listArg(value);
  const bad = list.filter((t) => !TRANSPORTS.includes(t));
  if (bad.length || list.length === 0) throw new InvalidArgumentError(`one or more of ${TRANSPORTS.join(", ")}, comma-separated`);
  return list as Transport[];
}

/** A plan without the two spec texts (the spec is on disk; --json stays short). */
const planJson = (p: AddPlan | RemovePlan) => {
  const { before: _b, after: _a, ...rest } = p;
  return rest;
};

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function renderAdd(res: AddResult): string {
  const { id, port, links } = res.plan.gateway;
  if (!res.ok) return `${id}: not added (${res.rolledBack?.step.kind} failed: ${res.rolledBack?.reason}); everything was rolled back\n`;
  const lines = [`${id}: added on 127.0.0.1:${port}, linked to ${links.join(", ")}; started in ${secs(res.started?.ms ?? 0)}`];
  for (const r of res.recreated) lines.push(`${r.id}: recreated with its new peer; away for ${secs(r.ms)}`);
  lines.push(`total ${secs(res.ms)}; ${res.plan.specFile} records it`);
  return `${lines.join("\n")}\n`;
}

export function renderRemove(res: RemoveResult): string {
  const { id } = res.plan.gateway;
  if (!res.ok) return `${id}: not removed (${res.rolledBack?.step.kind} failed: ${res.rolledBack?.reason}); everything was rolled back\n`;
  const r = res.removed;
  const lines = [
    `${id}: removed; its backup: ${res.backup?.file} (verify: clawfed backup verify ${res.backup?.file})`,
    `  container(s) ${r.containers.join(", ") || "-"}; network(s) ${r.networks.join(", ") || "-"}; volume(s) ${r.volumes.join(", ") || (res.plan.keepState ? "kept" : "-")}`,
    `  folder(s) ${r.folders.join(", ") || "-"}; token(s) dropped from .env: ${r.tokens.join(", ") || "-"}`,
  ];
  for (const g of res.recreated) lines.push(`${g.id}: recreated without ${id}; away for ${secs(g.ms)}`);
  return `${lines.join("\n")}\n`;
}

export function registerAdd(program: Command): void {
  program
    .command("add")
    .description("Add a gateway to a running federation: edit the spec (comments kept), generate, start the new gateway while its linked gateways are recreated with the new peer, health-gated.")
    .argument("<spec>", "federation spec")
    .argument("<id>", "id of the new gateway")
    .addOption(new Option("--role <role>", "its role").choices(["spoke", "hub"]).default("spoke"))
    .requiredOption("--link <ids>", "gateways linked to it, comma-separated (links from each of them to it)", listArg)
    .option("--port <port>", "host port, or auto: the next port spaced like the spec's others and free on this host", portArg, "auto")
    .option("--description <text>", "its domain in a sentence (shown to the gateways that delegate to it)")
    .option("--model <provider/model>", "its model (default: the first linked gateway's)")
    .option("--transports <list>", "transports of the new links, comma-separated: a2a, hooks, mailbox (default a2a)", transportsArg)
    .option("-o, --out <dir>", "output folder (default: out/<federation name>)")
    .option("--health-timeout <duration>", "how long each gateway has to report started (default 180s)", durationArg)
    .option("--dry-run", "print the plan (the steps and the port) and change nothing")
    .option("--json", "print the result as JSON on stdout (progress stays on stderr)")
    .addHelpText(
      "after",
      "\nThe edited spec is checked by the normal loader before it is written; a refused add leaves the spec byte-identical." +
        "\nSteps: write the spec, generate, then ONE compose up that starts the new gateway and recreates its linked gateways with" +
        "\nthe new peer, every health gate at once (a linked gateway's peer token and link network are fixed when its container is" +
        "\ncreated, so it is away while it restarts: about as long as one gateway takes to start). If any step fails, the previous" +
        "\nspec and files come back, the new container, networks and volume are removed and the linked gateways recreated as they" +
        "\nwere. The steps are journaled: an add that was killed is finished by `clawfed resume <spec>` or undone by" +
        "\n`clawfed abort <spec>` (every other command refuses until then)." +
        "\nExit codes: 0 added, 1 invalid spec (or the edit would make it invalid), 2 bad usage (existing id, unknown --link)," +
        "\n3 a step failed (rolled back).",
    )
    .action(
      action(async (spec: string, id: string, opts: { role: "spoke" | "hub"; link: string[]; port: number | "auto"; description?: string; model?: string; transports?: Transport[]; out?: string; healthTimeout?: number; dryRun?: boolean; json?: boolean }) => {
        const ops = await clawfed();
        const args = { out: opts.out, role: opts.role, links: opts.link, port: opts.port, description: opts.description, model: opts.model, transports: opts.transports, healthTimeoutMs: opts.healthTimeout };
        if (opts.dryRun) {
          const plan = await ops.planAdd(spec, id, args);
          if (opts.json) printJson(planJson(plan));
          else write(`${plan.gateway.id} on port ${plan.gateway.port}, linked to ${plan.gateway.links.join(", ")}; steps: ${plan.steps.map((s) => s.kind + ("id" in s ? ` ${s.id}` : "")).join(", ")}\n`);
          return EXIT.ok;
        }
        const report = await reporter({ plain: opts.json, clean });
        const res = await ops.add(spec, id, { ...args, onProgress: report.line }).finally(() => report.done());
        if (opts.json) printJson({ ...res, plan: planJson(res.plan) });
        else {
          write(renderAdd(res));
          if (res.next) process.stderr.write(clean(`Next: ${res.next}\n`));
        }
        return res.ok ? EXIT.ok : EXIT.runtime;
      }),
    );
}

export function registerRemove(program: Command): void {
  program
    .command("remove")
    .description("Remove a spoke from a running federation: back up its state, remove its container, networks, volume, folders and tokens, edit the spec, recreate its peers.")
    .argument("<spec>", "federation spec")
    .argument("<id>", "id of the gateway to remove (not the hub)")
    .option("--keep-state", "keep its state volume and workspace folder")
    .option("--backup-file <path>", "where to write its backup (default: <out>/../backups/<name>-<time>.tar.gz)")
    .option("-o, --out <dir>", "output folder (default: out/<federation name>)")
    .option("--health-timeout <duration>", "how long each recreated gateway has to report started (default 180s)", durationArg)
    .option("--dry-run", "print the plan and change nothing")
    .option("--json", "print the result as JSON on stdout (progress stays on stderr)")
    .addHelpText(
      "after",
      "\nThe gateway is stopped and backed up first (the archive format of clawfed backup; check it with clawfed backup verify)." +
        "\nIts networks, volume, folders and tokens go only after every linked gateway has started again without it; before that," +
        "\nany failure puts the spec, the files and the gateway back." +
        "\nExit codes: 0 removed, 1 invalid spec, 2 bad usage (unknown id, the hub), 3 a step failed (rolled back).",
    )
    .action(
      action(async (spec: string, id: string, opts: { keepState?: boolean; backupFile?: string; out?: string; healthTimeout?: number; dryRun?: boolean; json?: boolean }) => {
        const ops = await clawfed();
        const args = { out: opts.out, keepState: opts.keepState, backupFile: opts.backupFile, healthTimeoutMs: opts.healthTimeout };
        if (opts.dryRun) {
          const plan = await ops.planRemove(spec, id, args);
          if (opts.json) printJson(planJson(plan));
          else write(`${plan.gateway.id}: steps: ${plan.steps.map((s) => s.kind + ("id" in s ? ` ${s.id}` : "")).join(", ")}\n`);
          return EXIT.ok;
        }
        const report = await reporter({ plain: opts.json, clean });
        const res = await ops.remove(spec, id, { ...args, onProgress: report.line }).finally(() => report.done());
        if (opts.json) printJson({ ...res, plan: planJson(res.plan) });
        else {
          write(renderRemove(res));
          if (res.next) process.stderr.write(clean(`Next: ${res.next}\n`));
        }
        return res.ok ? EXIT.ok : EXIT.runtime;
      }),
    );
}
