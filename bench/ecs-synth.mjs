// Benchmark: `cdk synth` of the CDK app `clawfed generate --target ecs` writes (issue 15).
//
// Each measure is a cold `cdk synth` process, offline and without AWS credentials, exactly as
// test/unit/ecs-app.test.ts runs it, alternating in one loop so every measure sees the same machine:
//   - app:        the generated app of the spec (CDK's template validation and cdk-nag on)
//   - app, no validation: the same with CDK_VALIDATION=false (what the validation costs)
//   - floor:      a minimal app with the same cdk.json, tsx loader and cdk-nag, and a stack of one
//                 log group: the fixed cost of the CLI, tsx, aws-cdk-lib (and, with validation on,
//                 of loading CDK's validation rules); measured with and without validation too
// Reports medians and the ratio app / floor (with validation, and without).
//
// Run: npm run build && node bench/ecs-synth.mjs [runs=3] [specs=korax,lab]
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { log, median } from "./common.mjs";

const run = promisify(execFile);
const RUNS = Number(process.argv[2] ?? 3);
const SPECS = (process.argv[3] ?? "korax,lab").split(",");
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CDK = path.join(ROOT, "node_modules/.bin/cdk");

const FLOOR_APP = `import { App, Stack, Validations } from "aws-cdk-lib";
import * as logs from "aws-cdk-lib/aws-logs";
import { AwsSolutionsChecks } from "cdk-nag";
const app = new App({ analyticsReporting: false });
const stack = new Stack(app, "floor");
new logs.LogGroup(stack, "Logs", { retention: logs.RetentionDays.ONE_MONTH });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
`;

async function synth(dir, extraEnv = {}) {
  const started = performance.now();
  await run(CDK, ["synth", "--no-notices", "-q", "-o", path.join(dir, "cdk.out")], {
    cwd: dir,
    maxBuffer: 64 * 1024 * 1024,
    env: { PATH: process.env.PATH, HOME: dir, AWS_SHARED_CREDENTIALS_FILE: "/dev/null", AWS_CONFIG_FILE: "/dev/null", AWS_EC2_METADATA_DISABLED: "true", CDK_DISABLE_CLI_TELEMETRY: "true", ...extraEnv },
  });
  return performance.now() - started;
}

const tmp = await mkdtemp(path.join(tmpdir(), "clawfed-bench-ecs-"));
try {
  const floor = path.join(tmp, "floor");
  await mkdir(path.join(floor, "bin"), { recursive: true });
  await writeFile(path.join(floor, "bin/app.ts"), FLOOR_APP);
  await writeFile(path.join(floor, "package.json"), JSON.stringify({ type: "module", private: true }));
  await writeFile(path.join(floor, "cdk.json"), JSON.stringify({ app: "node --import tsx bin/app.ts", versionReporting: false, pathMetadata: false, assetMetadata: false }));
  await symlink(path.join(ROOT, "node_modules"), path.join(floor, "node_modules"));
  const apps = {};
  for (const s of SPECS) {
    apps[s] = path.join(tmp, s);
    await run("node", [path.join(ROOT, "bin/clawfed.js"), "generate", path.join(ROOT, `federations/${s}.yaml`), "--target", "ecs", "--out", apps[s]]);
    await symlink(path.join(ROOT, "node_modules"), path.join(apps[s], "node_modules"));
  }
  const t = { floor: [], "floor (no validation)": [] };
  for (const s of SPECS) (t[s] = []), (t[`${s} (no validation)`] = []);
  for (let i = 0; i < RUNS; i++) {
    t.floor.push(await synth(floor));
    t["floor (no validation)"].push(await synth(floor, { CDK_VALIDATION: "false" }));
    for (const s of SPECS) {
      t[s].push(await synth(apps[s]));
      t[`${s} (no validation)`].push(await synth(apps[s], { CDK_VALIDATION: "false" }));
    }
    log(`run ${i + 1}/${RUNS} done`);
  }
  console.log(`| app | median cdk synth (${RUNS} runs) | / floor (same validation setting) |\n|---|---|---|`);
  for (const [k, xs] of Object.entries(t)) {
    const f = median(k.includes("no validation") ? t["floor (no validation)"] : t.floor);
    console.log(`| ${k} | ${(median(xs) / 1000).toFixed(1)} s | ${(median(xs) / f).toFixed(2)} |`);
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
