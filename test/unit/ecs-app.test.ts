// The generated CDK app itself: `clawfed generate --target ecs`, then the real `cdk synth` (the
// aws-cdk CLI and tsx are devDependencies of clawfed; the app's node_modules is a link to
// clawfed's) for both example specs, with no AWS credentials, no AWS config, and every HTTP(S)
// request sent to a closed port: synthesis must need neither an account nor the network. CDK's
// built-in CloudFormation validation runs here with findings as errors (APP_CONTEXT), and cdk-nag
// fails the synth on any unacknowledged finding.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execFile } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import { generate } from "../../src/ops/generate.js";
import { loadSpecFile } from "../../src/federation/load.js";

const CDK = path.resolve("node_modules/.bin/cdk");
let tmp = "";
const runs = new Map<string, { exitCode: number; stderr: string; ms: number; outDir: string; cdkOut: string }>();

beforeAll(async () => {
  if (!existsSync(CDK) || !existsSync("node_modules/tsx")) throw new Error("the aws-cdk CLI and tsx are missing: run `npm ci` (they are devDependencies of clawfed)");
  tmp = await mkdtemp(path.join(os.tmpdir(), "clawfed-ecs-app-"));
  await Promise.all(
    ["korax", "lab"].map(async (name) => {
      const outDir = path.join(tmp, name);
      await generate({ spec: `federations/${name}.yaml`, outDir, target: "ecs" });
      await symlink(path.resolve("node_modules"), path.join(outDir, "node_modules"));
      const cdkOut = path.join(tmp, `${name}.out`);
      const started = Date.now();
      const r = await new Promise<{ exitCode: number; stderr: string }>((resolve) => {
        const child = execFile(CDK, ["synth", "--no-notices", "-q", "-o", cdkOut], { cwd: outDir, env: {
          PATH: process.env.PATH,
          HOME: tmp,
          AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
          AWS_CONFIG_FILE: "/dev/null",
          AWS_EC2_METADATA_DISABLED: "true",
          CDK_DISABLE_CLI_TELEMETRY: "true",
          HTTP_PROXY: "http://127.0.0.1:9",
          HTTPS_PROXY: "http://127.0.0.1:9",
        }, maxBuffer: 16 * 1024 * 1024 }, (_err, _stdout, stderr) => resolve({ exitCode: child.exitCode ?? -1, stderr: String(stderr) }));
      });
      runs.set(name, { exitCode: r.exitCode, stderr: r.stderr, ms: Date.now() - started, outDir, cdkOut });
    }),
  );
}, 240_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

it.each(["korax", "lab"])("cdk synth of the generated %s app succeeds offline, without credentials", async (name) => {
  const r = runs.get(name)!;
  expect(r.exitCode, r.stderr).toBe(0);
  const template = JSON.parse(await readFile(path.join(r.cdkOut, `clawfed-${name}.template.json`), "utf8")) as { Resources: Record<string, { Type: string }> };
  const gateways = (await loadSpecFile(`federations/${name}.yaml`, { target: "ecs" })).federation.gateways.length;
  expect(gateways).toBeGreaterThan(1);
  expect(Object.values(template.Resources).filter((x) => x.Type === "AWS::ECS::Service")).toHaveLength(gateways);
  process.stderr.write(`ecs-app: cdk synth ${name} took ${r.ms} ms\n`);
});
