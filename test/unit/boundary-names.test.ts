// Issue 9, class 1: every name clawfed derives from ids is injective. For any two distinct things
// of one namespace (env vars; networks; volumes; folders and native names) the derived names
// differ, whatever valid ids the spec uses; and a whole generated federation hands every token,
// network and mailbox folder to exactly the gateways it is meant for.
import { operatorTokenEnv } from "../../src/compile/delegation.js";
import fc from "fast-check";
import JSON5 from "json5";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/targets/registry.js";
import {
  a2aTokenEnv,
  COMMS_DIR,
  configDir,
  egressNetwork,
  gatewayTokenEnv,
  hooksTokenEnv,
  launchdLabel,
  linkNetwork,
  NATIVE_ROOT_DIRS,
  nativeHomeDir,
  pm2AppName,
  projectResource,
  routeDir,
  stateDir,
  stateVolume,
  systemdUnitName,
  workspaceDir,
} from "../../src/vocabulary/names.js";
import { SpecError } from "../../src/errors.js";
import { snapshotVolumeName } from "../../src/runtime/snapshot.js";
import { loadSpecText } from "../../src/federation/load.js";
import { ID_PATTERN } from "../../src/federation/schema.js";
import { federationArb, idArb, slices, wordsArb, type SpecShape } from "../helpers/spec-arb.js";

/** One thing of a namespace: a canonical key (equal iff the same thing) and its derived name. */
type Thing = { key: string; name: string };

/** No two different things of `things` share a name. */
function expectInjective(things: Thing[]): void {
  const byName = new Map<string, string>();
  for (const t of things) {
    const prev = byName.get(t.name);
    if (prev !== undefined && prev !== t.key) expect.fail(`${prev} and ${t.key} are both named ${t.name}`);
    byName.set(t.name, t.key);
  }
}

/**
 * For any list of words, every id cut from it (and a few fixed names) gives distinct names per
 * kind and per namespace: `namespace(ids)` lists every thing of the namespace over those ids.
 */
function injective(namespace: (ids: string[]) => Thing[], numRuns = 300): void {
  fc.assert(
    fc.property(wordsArb, fc.uniqueArray(idArb, { maxLength: 4 }), (words, more) => expectInjective(namespace([...new Set([...slices(words), ...more])]))),
    { numRuns },
  );
}

const pairsOf = (ids: string[]) => ids.flatMap((a) => ids.map((b) => [a, b] as const));

const envThings = (ids: string[]): Thing[] => [
  ...ids.map((id) => ({ key: `gateway ${id}`, name: gatewayTokenEnv(id) })),
  ...ids.map((id) => ({ key: `hooks ${id}`, name: hooksTokenEnv(id) })),
  ...pairsOf(ids).map(([f, t]) => ({ key: `a2a ${f} ${t}`, name: a2aTokenEnv(f, t) })),
  ...["COMPOSE_PROJECT_NAME", "CLAWFED_DOCKER_GID"].map((n) => ({ key: `fixed ${n}`, name: n })),
];

const networkThings = (ids: string[]): Thing[] => [
  ...pairsOf(ids).map(([a, b]) => ({ key: `link ${[a, b].sort().join(" ")}`, name: linkNetwork(a, b) })),
  ...ids.map((id) => ({ key: `egress ${id}`, name: egressNetwork(id) })),
];

/** Docker-wide: volumes and networks of any federations (projects) on one engine. */
const engineThings = (ids: string[]): Thing[] => [
  ...pairsOf(ids).map(([p, id]) => ({ key: `state ${p} ${id}`, name: projectResource(p, stateVolume(id)) })),
  ...pairsOf(ids).map(([p, id]) => ({ key: `snapshot ${p} ${id}`, name: snapshotVolumeName(p, id, 1_790_000_000_000) })),
  ...ids.slice(0, 6).flatMap((p) => networkThings(ids).map((n) => ({ key: `${p} ${n.key}`, name: projectResource(p, n.name) }))),
];

/** Paths of the compose output directory. */
const composeFolderThings = (ids: string[]): Thing[] => [
  ...ids.map((id) => ({ key: `config ${id}`, name: configDir(id) })),
  ...ids.map((id) => ({ key: `workspace ${id}`, name: workspaceDir(id) })),
  ...ids.map((id) => ({ key: `state ${id}`, name: stateDir(id) })),
  ...pairsOf(ids).map(([f, t]) => ({ key: `route ${f} ${t}`, name: `${COMMS_DIR}/${routeDir(f, t)}` })),
  ...["docker-compose.yml", ".env", "README.md", ".clawfed", COMMS_DIR, "gateways", "workspaces", "state"].map((n) => ({ key: `fixed ${n}`, name: n })),
];

/** Entries of a native root (gateway ids that name a root folder are refused for native targets). */
const reservedNative = new Set<string>(Object.values(NATIVE_ROOT_DIRS));
const nativeRootThings = (ids: string[]): Thing[] => [
  ...ids.filter((id) => !reservedNative.has(id)).map((id) => ({ key: `home ${id}`, name: nativeHomeDir(id) })),
  ...pairsOf(ids).map(([f, t]) => ({ key: `route ${f} ${t}`, name: `${NATIVE_ROOT_DIRS.comms}/${routeDir(f, t)}` })),
  ...ids.map((id) => ({ key: `unit ${id}`, name: `${NATIVE_ROOT_DIRS.systemdDir}/${systemdUnitName(id)}` })),
  ...ids.map((id) => ({ key: `plist ${id}`, name: `${NATIVE_ROOT_DIRS.launchdDir}/${launchdLabel(id)}.plist` })),
  ...[...Object.values(NATIVE_ROOT_DIRS), "pm2.ecosystem.json", "README.md", ".env"].map((n) => ({ key: `fixed ${n}`, name: n })),
];

describe("ids", () => {
  it("never contain '--' (the separator of derived names), nor start or end with '-'", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9-]{1,40}$/), (s) => {
        if (ID_PATTERN.test(s)) expect(s).not.toMatch(/--|^-|-$/);
        else expect(s.includes("--") || s.startsWith("-") || s.endsWith("-")).toBe(true);
      }),
      { numRuns: 2000 },
    );
    expect(ID_PATTERN.test("a".repeat(40))).toBe(true);
    expect(ID_PATTERN.test("a".repeat(41))).toBe(false);
  });

  it("the arbitrary covers the reserved words and hyphens", () => {
    const sample = fc.sample(idArb, { numRuns: 500, seed: 1 });
    expect(sample.some((id) => id.includes("-"))).toBe(true);
    expect(sample.some((id) => /(^|-)to(-|$)/.test(id))).toBe(true);
    expect(sample.every((id) => ID_PATTERN.test(id))).toBe(true);
  });
});

describe("derived names are injective per namespace", () => {
  it("env vars: gateway, hooks and A2A tokens (and the fixed names) never share a name", () => injective(envThings));
  it("compose networks: link and egress networks never share a name (links are unordered pairs)", () => injective(networkThings));
  it("engine-wide volumes and networks: <project>_<name> of any two federations differ", () => injective(engineThings, 100));
  it("folders of the compose output", () => injective(composeFolderThings));
  it("entries of a native root, PM2 app names, unit names and launchd labels", () => {
    injective(nativeRootThings);
    injective((ids) => ids.map((id) => ({ key: id, name: pm2AppName(id) })));
  });
  it("the pairs that collided before this fix now differ", () => {
    expect(a2aTokenEnv("a-to", "b")).not.toBe(a2aTokenEnv("a", "to-b"));
    expect(linkNetwork("a", "b-c")).not.toBe(linkNetwork("a-b", "c"));
    expect(routeDir("a-to", "b")).not.toBe(routeDir("a", "to-b"));
    expect(egressNetwork("link-a")).not.toBe(linkNetwork("a", "egress"));
    expect(gatewayTokenEnv("a2a-x-to-y")).not.toBe(a2aTokenEnv("x", "y"));
  });
});

describe("the spec refuses ids that would break the construction", () => {
  const spec = (id: string, target?: string) =>
    loadSpecText(
      [`name: fed`, "topology: mesh", "gateways:", `  ${id}: { port: 20000, description: d, model: anthropic/claude-sonnet-4-6 }`, ""].join("\n"),
      "fed.yaml",
      target ? { target } : {},
    ).then(
      () => undefined,
      (e: unknown) => (e as SpecError).issues,
    );

  it("'--' in a gateway id, knowledge name or federation name: located message and hint", async () => {
    const issues = await spec("a--b");
    expect(issues).toHaveLength(1);
    expect(issues![0]).toMatchObject({ line: 4, col: 3, path: "gateways.a--b", hint: "use a single '-', e.g. a-b" });
    expect(issues![0]!.message).toMatch(/contains "--"/);
    const where = async (name: string, knowledge: string) => {
      const text = [`name: ${name}`, "topology: mesh", "knowledge:", `  ${knowledge}: { path: /srv/k }`, "gateways:", "  g: { port: 20000, description: d, model: anthropic/claude-sonnet-4-6 }", ""].join("\n");
      const err = (await loadSpecText(text, "x.yaml").catch((e: unknown) => e)) as SpecError;
      expect(err).toBeInstanceOf(SpecError);
      return err.issues.map((i) => `${i.line}:${i.col} ${i.path} ${i.hint}`);
    };
    expect(await where("my--fed", "k")).toEqual(["1:7 name use a single '-', e.g. my-fed"]);
    expect(await where("fed", "k--b")).toEqual(["4:3 knowledge.k--b use a single '-', e.g. k-b"]);
  });

  it("a gateway id that starts with a digit (it would begin an env var name no one substitutes)", async () => {
    const issues = await spec("0a");
    expect(issues?.[0]).toMatchObject({ line: 4, col: 3, path: "gateways.0a", hint: "rename it, e.g. g0a" });
    expect(issues?.[0]?.message).toMatch(/starts with a digit.*0A_GATEWAY_TOKEN/);
  });

  it("gateway ids named like a folder of the native root: refused for native targets only", async () => {
    for (const id of ["comms", "systemd", "launchd"]) {
      expect(await spec(id)).toBeUndefined();
      for (const target of ["native", "systemd", "launchd"]) {
        const issues = await spec(id, target);
        expect(issues?.[0]?.message).toMatch(new RegExp(`gateway id "${id}" is the name of a folder`));
        expect(issues?.[0]).toMatchObject({ line: 4, col: 3 });
      }
    }
  });

  it("user secrets named like a generated variable are still refused", async () => {
    const text = [
      "name: fed",
      "topology: mesh",
      "gateways:",
      "  a-to: { port: 20000, description: d, model: anthropic/claude-sonnet-4-6, secrets: [A2A_B__A_TO_TOKEN, B_HOOKS_TOKEN] }",
      "  b: { port: 20200, description: d, model: anthropic/claude-sonnet-4-6 }",
      "links: [{ from: a-to, to: b, transports: [a2a, hooks] }]",
      "",
    ].join("\n");
    const err = (await loadSpecText(text, "x.yaml").catch((e: unknown) => e)) as SpecError;
    expect(err.issues.map((i) => i.message)).toEqual([
      "A2A_B__A_TO_TOKEN is the name clawfed gives the A2A token b → a-to",
      "B_HOOKS_TOKEN is the name clawfed gives b's hooks token",
    ]);
  });
});

/** Every generated env var (by what it is for), its name and who must receive it, from the links alone. */
function intendedEnv(spec: SpecShape): Array<{ thing: string; name: string; consumers: Set<string> }> {
  const routes = new Map<string, Set<string>>(); // "from\0to" → transports
  for (const l of spec.links) {
    for (const [f, t] of l.oneWay ? [[l.from, l.to]] : [[l.from, l.to], [l.to, l.from]]) routes.set(`${f}\0${t}`, new Set(l.transports));
  }
  const has = (f: string, t: string, tr: string) => routes.get(`${f}\0${t}`)?.has(tr) ?? false;
  const ids = Object.keys(spec.gateways);
  const out: Array<{ thing: string; name: string; consumers: Set<string> }> = [];
  for (const id of ids) {
    out.push({ thing: `gateway token of ${id}`, name: gatewayTokenEnv(id), consumers: new Set([id]) });
    out.push({ thing: `operator token of ${id}`, name: operatorTokenEnv(id), consumers: new Set([id]) });
    const callers = ids.filter((c) => has(c, id, "hooks"));
    const hooks = (spec.gateways[id]!.hooks as boolean | undefined) ?? callers.length > 0;
    if (hooks) out.push({ thing: `hooks token of ${id}`, name: hooksTokenEnv(id), consumers: new Set([id, ...callers]) });
    for (const peer of ids) {
      // Both directions of an a2a pair have a token; the receiver always holds it, the sender only when allowed.
      if (peer !== id && (has(peer, id, "a2a") || has(id, peer, "a2a"))) {
        out.push({ thing: `A2A token ${peer} → ${id}`, name: a2aTokenEnv(peer, id), consumers: new Set(has(peer, id, "a2a") ? [id, peer] : [id]) });
      }
    }
  }
  const users = new Map<string, Set<string>>();
  for (const [id, g] of Object.entries(spec.gateways)) for (const s of g.secrets as string[]) users.set(s, new Set([...(users.get(s) ?? []), id]));
  for (const [name, consumers] of users) out.push({ thing: `user secret ${name}`, name, consumers });
  return out;
}

const sortedSet = (s: Iterable<string>) => [...s].sort();

describe("a generated federation compiled for compose", () => {
  it("every variable reaches exactly its gateways, every link network joins exactly its two gateways, every mailbox folder is mounted into exactly its two", async () => {
    await fc.assert(
      fc.asyncProperty(federationArb, async (spec) => {
        const loaded = await loadSpecText(JSON.stringify(spec), "fed.yaml");
        const res = compile(loaded.federation, "compose");
        const text = res.artifacts.find((a) => a.path === "docker-compose.yml");
        const compose = parseYaml(text?.kind === "file" ? text.content : "") as {
          services: Record<string, { environment: Record<string, string>; networks: string[]; volumes: string[] }>;
          networks: Record<string, { internal?: boolean }>;
        };
        const ids = Object.keys(spec.gateways);
        expect(Object.keys(compose.services).sort()).toEqual([...ids].sort());

        // Env vars: who gets each ${VAR} reference, against the links.
        const got = new Map<string, Set<string>>();
        for (const [svc, s] of Object.entries(compose.services)) {
          for (const [k, v] of Object.entries(s.environment)) {
            if (v !== `\${${k}}`) continue; // fixed OPENCLAW_* values
            got.set(k, new Set([...(got.get(k) ?? []), svc]));
          }
        }
        const want = intendedEnv(spec);
        expectInjective(want.map((w) => ({ key: w.thing, name: w.name })));
        expect(sortedSet(got.keys())).toEqual(sortedSet(want.map((w) => w.name)));
        for (const w of want) expect(sortedSet(got.get(w.name)!), w.thing).toEqual(sortedSet(w.consumers));
        // The .env plan agrees: one slot per variable, the same consumers.
        for (const w of want) expect(res.env.filter((slot) => slot.name === w.name).map((slot) => slot.consumers)).toEqual([sortedSet(w.consumers)]);

        // Networks: one internal network per linked pair with exactly those two, one egress each.
        const members = new Map<string, string[]>();
        for (const [svc, s] of Object.entries(compose.services)) for (const n of s.networks) members.set(n, [...(members.get(n) ?? []), svc]);
        const pairs = new Set(spec.links.map((l) => [l.from, l.to].sort().join("\0")));
        expectInjective([
          ...[...pairs].map((p) => ({ key: `link ${p}`, name: linkNetwork(...(p.split("\0") as [string, string])) })),
          ...ids.map((id) => ({ key: `egress ${id}`, name: egressNetwork(id) })),
        ]);
        const seenPairs = new Set<string>();
        for (const [name, def] of Object.entries(compose.networks)) {
          const m = (members.get(name) ?? []).sort();
          if (def.internal) {
            expect(m, name).toHaveLength(2);
            expect(pairs.has(m.join("\0")), name).toBe(true);
            expect(name).toBe(linkNetwork(m[0]!, m[1]!));
            seenPairs.add(m.join("\0"));
          } else {
            expect(m, name).toHaveLength(1);
            expect(name).toBe(egressNetwork(m[0]!));
          }
        }
        expect(seenPairs.size).toBe(pairs.size);
        expect(Object.keys(compose.networks)).toHaveLength(pairs.size + ids.length);

        // Mailbox folders: each mounted into exactly the two gateways of one mailbox direction.
        const mounts = new Map<string, string[]>();
        for (const [svc, s] of Object.entries(compose.services)) {
          for (const v of s.volumes) {
            const m = /^\.\/comms\/([^:]+):\/shared\/comms\/([^:]+)$/.exec(v);
            if (m) {
              expect(m[2]).toBe(m[1]);
              mounts.set(m[1]!, [...(mounts.get(m[1]!) ?? []), svc]);
            }
          }
        }
        const mailRoutes = spec.links.flatMap((l) => (l.transports.includes("mailbox") ? (l.oneWay ? [[l.from, l.to]] : [[l.from, l.to], [l.to, l.from]]) : []));
        expectInjective(mailRoutes.map(([f, t]) => ({ key: `${f} → ${t}`, name: routeDir(f!, t!) })));
        expect(mounts.size).toBe(mailRoutes.length);
        for (const [f, t] of mailRoutes) expect(sortedSet(mounts.get(routeDir(f!, t!)) ?? [])).toEqual(sortedSet([f!, t!]));

        // Each gateway's openclaw.json references only variables its container receives.
        for (const id of ids) {
          const a = res.artifacts.find((x) => x.path === `${configDir(id)}/openclaw.json`);
          const refs = [...(a?.kind === "file" ? a.content : "").matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]!);
          const mine = new Set(Object.keys(compose.services[id]!.environment));
          for (const r of refs) expect(mine.has(r), `${id}: ${r}`).toBe(true);
          expect(JSON5.parse(a?.kind === "file" ? a.content : "{}").gateway.auth.token).toBe(`\${${gatewayTokenEnv(id)}}`);
        }
      }),
      { numRuns: 200 },
    );
  });
});
