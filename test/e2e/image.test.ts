// The local OpenClaw image, built offline from the npm release (src/runtime/image/): it exists
// after ensureOpenClawImage, carries the version label, runs as uid 1000, is not rebuilt by a
// second call, `clawfed image build` builds another tag through the CLI, and its gateway comes up
// healthy on a named state volume.
// Needs a real Docker Engine: without one this file FAILS (it never skips).
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultImageTag, ensureOpenClawImage, RECIPE, RECIPE_LABEL, VERSION_LABEL, type EnsureImageResult } from "../../src/runtime/image/index.js";
import { DEFAULT_OPENCLAW_VERSION } from "../../src/federation/schema.js";
import { runCli } from "../helpers/cli.js";

const run = promisify(execFile);
const VERSION = DEFAULT_OPENCLAW_VERSION;
const TAG = defaultImageTag(VERSION);

async function docker(args: string[], timeout = 120_000): Promise<string> {
  const { stdout } = await run("docker", args, { timeout, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

async function requireDocker(): Promise<void> {
  try {
    await docker(["info", "--format", "{{.ServerVersion}}"], 30_000);
  } catch (err) {
    throw new Error(
      `Docker Engine is not available (${(err as Error).message.split("\n")[0]}). ` +
        "Run scripts/provision-docker.sh (as root on Debian it installs docker.io, docker-compose and debootstrap and starts dockerd), then run npm test again.",
    );
  }
}

describe(`local OpenClaw image ${TAG}`, () => {
  let first: EnsureImageResult;

  beforeAll(async () => {
    await requireDocker();
    first = await ensureOpenClawImage({ version: VERSION, onProgress: (l) => process.stderr.write(`[image] ${l}\n`) });
  }, 900_000);

  it("exists after ensureOpenClawImage, with the version label", async () => {
    expect(first.tag).toBe(TAG);
    const labels = JSON.parse(await docker(["image", "inspect", "--format", "{{json .Config.Labels}}", TAG])) as Record<string, string>;
    expect(labels[VERSION_LABEL]).toBe(VERSION);
    expect(labels[RECIPE_LABEL]).toBe(RECIPE);
  });

  it("runs as uid/gid 1000 (node) with Node 24, OpenClaw at /app and a writable ~/.openclaw", async () => {
    const out = await docker([
      "run", "--rm", "--entrypoint", "sh", TAG, "-c",
      'echo "$(id -u):$(id -g):$(id -un)"; node -v; pwd; echo "$HOME"; test -f /app/dist/index.js && echo dist-ok; touch /home/node/.openclaw/probe && echo state-ok; openclaw --version',
    ]);
    const [ids, node, cwd, home, dist, state, version] = out.split("\n");
    expect(ids).toBe("1000:1000:node");
    expect(node).toMatch(/^v24\./);
    expect(cwd).toBe("/app");
    expect(home).toBe("/home/node");
    expect(dist).toBe("dist-ok");
    expect(state).toBe("state-ok");
    expect(version).toContain(`OpenClaw ${VERSION}`);
  });

  it("a second call finds the image and does not rebuild", async () => {
    const again = await ensureOpenClawImage({ version: VERSION });
    expect(again).toMatchObject({ tag: TAG, built: false });
    expect(again.seconds).toBeLessThan(15);
  });

  describe("clawfed image build", () => {
    // Another tag of the same recipe: docker build runs for real (through src/runtime/exec.ts) but
    // hits the layer cache of the image above, so it takes seconds, not a minute.
    const tag = `clawfed-image-cli-${randomBytes(4).toString("hex")}:${VERSION}`;
    afterAll(async () => {
      await docker(["image", "rm", tag]).catch(() => undefined);
    });

    it("builds a new tag with progress on stderr and --json on stdout, then finds it", async () => {
      const r = await runCli(["image", "build", "--version", VERSION, "--tag", tag, "--json"], { timeoutMs: 900_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, tag, version: VERSION, built: true, ms: expect.any(Number) });
      expect(r.stderr).toContain(`docker build -t ${tag}`);
      expect(r.stderr).toMatch(/Successfully tagged/);
      const labels = JSON.parse(await docker(["image", "inspect", "--format", "{{json .Config.Labels}}", tag])) as Record<string, string>;
      expect(labels[VERSION_LABEL]).toBe(VERSION);
      const again = await runCli(["image", "build", "--version", VERSION, "--tag", tag]);
      expect(again.code).toBe(0);
      expect(again.stdout.trim()).toBe(tag);
      expect(again.stderr).toMatch(/already present; not rebuilt/);
    }, 900_000);
  });

  describe("its gateway, with a named volume at /home/node/.openclaw", () => {
    const id = randomBytes(4).toString("hex");
    const name = `clawfed-image-test-${id}`;
    const volume = `clawfed-image-test-${id}`;
    const config = JSON.stringify({ gateway: { mode: "local", port: 18789, bind: "lan", auth: { mode: "token", token: "${OPENCLAW_GATEWAY_TOKEN}" } } });

    afterAll(async () => {
      await docker(["rm", "-f", name]).catch(() => undefined);
      await docker(["volume", "rm", "-f", volume]).catch(() => undefined);
    });

    it("answers /healthz with {ok:true,status:live} and keeps state in the volume", async () => {
      await docker(["volume", "create", "--label", "ai.clawfed.test=image", volume]);
      // Write the config into the volume as the image's user, as an operator would.
      await docker(["run", "--rm", "-v", `${volume}:/home/node/.openclaw`, "--entrypoint", "sh", TAG, "-c", 'printf "%s" "$0" > /home/node/.openclaw/openclaw.json', config]);
      await docker([
        "run", "-d", "--name", name, "--init", "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true",
        "-p", "127.0.0.1::18789", "-v", `${volume}:/home/node/.openclaw`,
        "-e", "OPENCLAW_NO_AUTO_UPDATE=1", "-e", `OPENCLAW_GATEWAY_TOKEN=image-test-${id}-${randomBytes(12).toString("hex")}`, TAG,
      ]);
      const port = (await docker(["port", name, "18789/tcp"])).split("\n")[0]!.split(":").pop();
      const deadline = Date.now() + 240_000;
      let body: unknown;
      while (Date.now() < deadline) {
        body = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3_000) })
          .then((r) => r.json())
          .catch(() => undefined);
        if ((body as { ok?: boolean } | undefined)?.ok === true) break;
        const state = await docker(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name]);
        if (!state.startsWith("running")) throw new Error(`gateway container stopped (${state}):\n${await docker(["logs", "--tail", "40", name]).catch(() => "")}`);
        await new Promise((r) => setTimeout(r, 1_000));
      }
      expect(body).toEqual({ ok: true, status: "live" });
      const listing = await docker(["exec", name, "sh", "-c", "stat -c '%u:%g %n' /home/node/.openclaw /home/node/.openclaw/state && ls /home/node/.openclaw/state"]);
      expect(listing).toContain("1000:1000 /home/node/.openclaw\n");
      expect(listing).toContain("1000:1000 /home/node/.openclaw/state\n");
      expect(listing).toMatch(/\.sqlite/);
    });
  });
});
