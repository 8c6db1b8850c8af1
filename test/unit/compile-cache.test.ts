// Where a gateway container's Node compile cache lives (src/vocabulary/compile-cache.ts) and how the
// local image makes its read-only one (src/runtime/image/compile-cache.ts, src/runtime/image/recipe.ts).
import { Script } from "node:vm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/targets/registry.js";
import { containerCompileCacheDir, IMAGE_COMPILE_CACHE_DIR, imageShipsCompileCache, STATE_COMPILE_CACHE_DIR } from "../../src/vocabulary/compile-cache.js";
import { CONTAINER_STATE_DIR } from "../../src/vocabulary/names.js";
import { loadSpecFile } from "../../src/federation/load.js";
import { warmCompileCacheSteps, WARMUP_SCRIPT } from "../../src/runtime/image/compile-cache.js";
import { defaultImageTag, dockerfile } from "../../src/runtime/image/index.js";

const version = fc.tuple(fc.nat(9999), fc.nat(99), fc.nat(99)).map((v) => v.join("."));

describe("containerCompileCacheDir()", () => {
  it("clawfed's local image (any version) uses the image's read-only cache", () => {
    fc.assert(fc.property(version, (v) => containerCompileCacheDir(defaultImageTag(v)) === IMAGE_COMPILE_CACHE_DIR));
  });

  it("every other image uses a cache inside the gateway's own state", () => {
    const other = fc.oneof(
      version.map((v) => `ghcr.io/openclaw/openclaw:${v}`),
      version.map((v) => `registry.example:5000/openclaw:${v}-local`),
      version.map((v) => `myorg/openclaw:${v}-local`),
      version.map((v) => `openclaw:${v}`),
      version.map((v) => `openclaw:${v}-local@sha256:${"a".repeat(64)}`),
      fc.stringMatching(/^[a-z0-9]+(\/[a-z0-9]+)?:[a-z0-9.]+$/).filter((r) => !r.endsWith("-local")),
    );
    fc.assert(fc.property(other, (ref) => !imageShipsCompileCache(ref) && containerCompileCacheDir(ref) === STATE_COMPILE_CACHE_DIR));
    expect(STATE_COMPILE_CACHE_DIR.startsWith(`${CONTAINER_STATE_DIR}/`)).toBe(true);
  });

  it("the compose service of each gateway gets it as NODE_COMPILE_CACHE (per gateway, under its own state)", async () => {
    const { federation } = await loadSpecFile("federations/korax.yaml");
    for (const [image, dir] of [["ghcr.io/openclaw/openclaw:2026.9.6", STATE_COMPILE_CACHE_DIR], ["openclaw:2026.9.6-local", IMAGE_COMPILE_CACHE_DIR]] as const) {
      const fed = { ...federation, gateways: federation.gateways.map((g) => ({ ...g, image })) };
      const compose = compile(fed, "compose").artifacts.find((a) => a.path === "docker-compose.yml")! as { content: string };
      const doc = (await import("yaml")).parse(compose.content) as { services: Record<string, { environment: Record<string, string>; volumes: string[] }> };
      for (const svc of Object.values(doc.services)) {
        expect(svc.environment.NODE_COMPILE_CACHE).toBe(dir);
        // The state mount is the gateway's own (named volume or folder), never shared.
        expect(svc.volumes.filter((v) => v.endsWith(`:${CONTAINER_STATE_DIR}`))).toHaveLength(1);
      }
      const stateMounts = Object.values(doc.services).map((s) => s.volumes.find((v) => v.endsWith(`:${CONTAINER_STATE_DIR}`)));
      expect(new Set(stateMounts).size).toBe(stateMounts.length);
    }
  });

  it("the kubernetes gateway container gets it too (the state is the pod's own volumeClaimTemplate)", async () => {
    const { federation } = await loadSpecFile("federations/korax.yaml");
    const YAML = await import("yaml");
    for (const [image, dir] of [["ghcr.io/openclaw/openclaw:2026.9.6", STATE_COMPILE_CACHE_DIR], ["openclaw:2026.9.6-local", IMAGE_COMPILE_CACHE_DIR]] as const) {
      const fed = { ...federation, gateways: federation.gateways.map((g) => ({ ...g, image })) };
      const res = compile(fed, "kubernetes");
      for (const g of fed.gateways) {
        const art = res.artifacts.find((a) => a.path === `gateways/${g.id}/statefulset.yaml`) as { content: string };
        const set = YAML.parse(art.content) as { spec: { template: { spec: { containers: Array<{ name: string; env: Array<{ name: string; value?: string }> }> } } } };
        const gw = set.spec.template.spec.containers.find((c) => c.name === "gateway")!;
        expect(gw.env.find((e) => e.name === "NODE_COMPILE_CACHE")?.value).toBe(dir);
      }
    }
  });
});

describe("the local image's warm compile cache", () => {
  const text = dockerfile("2026.9.6", "24.21.0");

  it("is made in one RUN as uid 1000, then root-owned and read-only, and NODE_COMPILE_CACHE points at it", () => {
    expect(text).toContain(warmCompileCacheSteps());
    const run = text.split("\n").findIndex((l) => l.startsWith("RUN mkdir -p /opt/openclaw/compile-cache"));
    const block = text.split("\n").slice(run, run + 10).join("\n");
    expect(block).toContain("setpriv --reuid=1000 --regid=1000 --clear-groups");
    expect(block).toMatch(/rm -rf \/tmp\/clawfed-warm-up/);
    // OpenClaw writes fixed /tmp paths whatever TMPDIR says (its log, state locks): deleted too,
    // and the build fails on any other file of uid 1000 outside /home/node.
    expect(block).toContain("find /tmp /var/tmp -mindepth 1 -maxdepth 1 -user 1000 -exec rm -rf {} +");
    expect(block).toMatch(/find \/ -xdev -path \/home\/node -prune -o -user 1000 -print.*\n.*exit 1; fi$/);
    expect(block).toContain(`chown -R -h 0:0 ${IMAGE_COMPILE_CACHE_DIR}`);
    expect(block).toContain(`chmod -R a+rX,a-w ${IMAGE_COMPILE_CACHE_DIR}`);
    expect(text).toContain(`ENV NODE_COMPILE_CACHE=${IMAGE_COMPILE_CACHE_DIR}`);
    // Made after NODE_ENV is set (the gateway starts as in production) and before USER node.
    expect(text.indexOf("NODE_ENV=production")).toBeLessThan(text.indexOf("setpriv"));
    expect(text.indexOf("setpriv")).toBeLessThan(text.indexOf("USER node"));
  });

  it("warm-up script is valid JavaScript that starts the gateway as the compose service does", () => {
    expect(() => new Script(WARMUP_SCRIPT)).not.toThrow();
    expect(WARMUP_SCRIPT).toContain('["dist/index.js", "gateway", "--port", String(port)]');
    expect(WARMUP_SCRIPT).toContain('body.status === "started"');
  });
});
