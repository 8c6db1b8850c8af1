// A fake `compose up -d --no-deps <service>…` over the in-memory engine, for unit tests of the
// operations that start or recreate gateways (add): it reads the generated docker-compose.yml and,
// like compose, leaves a service whose running container has the current config hash alone,
// and otherwise replaces the container (labels, published port, state volume) and creates the
// networks and volume the service names. The hash is a digest of the service's YAML, which is
// what compose's config hash changes with. Real compose: test/e2e.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import type { ComposeRunner } from "../../src/ops/deps.js";
import { COMPOSE_CONFIG_HASH_LABEL, COMPOSE_PROJECT_LABEL } from "../../src/runtime/containers.js";
import { LABELS } from "../../src/vocabulary/labels.js";
import { projectResource } from "../../src/vocabulary/names.js";
import type { MemoryEngine } from "./memory-engine.js";

interface ComposeService {
  image: string;
  ports: string[];
  volumes: string[];
  networks: string[];
  labels: Record<string, string>;
}

/** The config hash the fake compose gives a service of the compose file in `outDir` now. */
export async function serviceHash(outDir: string, service: string): Promise<string | undefined> {
  const doc = parseYaml(await readFile(path.join(outDir, "docker-compose.yml"), "utf8")) as { services: Record<string, unknown> };
  const s = doc.services[service];
  return s === undefined ? undefined : createHash("sha256").update(JSON.stringify(s)).digest("hex").slice(0, 16);
}

/**
 * A compose runner for project `project` whose compose file is in `outDir`. `calls` receives every
 * argument list; `fail(service)` true makes a call naming that service exit 1 before it changes
 * anything (as compose does for a missing image); `imageOf` swaps a service's image (e.g. for an
 * image whose behaviour is "crash").
 */
export function fakeCompose(eng: MemoryEngine, outDir: string, project: string, o: { calls?: string[][]; fail?: (service: string) => boolean; imageOf?: (service: string, image: string) => string } = {}): ComposeRunner {
  return async (_p, args) => {
    o.calls?.push(args);
    if (args[0] !== "up") return { code: 0, stdout: "", stderr: "" };
    const services = args.slice(1).filter((a) => !a.startsWith("-"));
    const bad = services.find((s) => o.fail?.(s));
    if (bad) return { code: 1, stdout: "", stderr: `ERROR: for ${bad}  no such image` };
    const doc = parseYaml(await readFile(path.join(outDir, "docker-compose.yml"), "utf8")) as { services: Record<string, ComposeService> };
    for (const name of services) {
      const svc = doc.services[name];
      if (!svc) return { code: 1, stdout: "", stderr: `ERROR: No such service: ${name}` };
      const hash = (await serviceHash(outDir, name))!;
      const id = svc.labels[LABELS.gateway]!;
      const have = await eng.listContainers({ [LABELS.gateway]: id, [COMPOSE_PROJECT_LABEL]: project });
      if (have.some((c) => c.status === "running" && c.labels[COMPOSE_CONFIG_HASH_LABEL] === hash)) continue;
      for (const c of have) await eng.remove(c.id);
      for (const n of svc.networks) if (!eng.createdNetworks.has(projectResource(project, n))) await eng.createNetwork(projectResource(project, n), {});
      const stateVol = projectResource(project, svc.volumes[0]!.split(":")[0]!);
      if (!eng.volumeLabels.has(stateVol)) await eng.createVolume(stateVol, { [COMPOSE_PROJECT_LABEL]: project });
      eng.addContainer({
        name: `${project}_${name}_1`,
        image: o.imageOf ? o.imageOf(name, svc.image) : svc.image,
        labels: { ...svc.labels, [COMPOSE_PROJECT_LABEL]: project, [COMPOSE_CONFIG_HASH_LABEL]: hash },
        port: Number(svc.ports[0]!.split(":")[1]),
        state: { kind: "volume", name: stateVol },
      });
      eng.calls.push(`compose create ${name}`);
    }
    return { code: 0, stdout: "", stderr: "" };
  };
}
