// Issue 9, class 2: `$` never reaches an interpreter. Compose interpolates `$VAR`/`${VAR…}` in every
// string of docker-compose.yml; OpenClaw substitutes `${VAR}` in every string of openclaw.json.
// Whatever a user writes with `$`, `{` and `}`, the spec is refused, or the compose file (after
// compose's own interpolation, with the tokens in the environment) holds the user's literal string
// and no token, and no openclaw.json references a variable clawfed did not plan for that gateway.
import fc from "fast-check";
import JSON5 from "json5";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { compile, type TargetName } from "../../src/targets/registry.js";
import { envFor } from "../../src/vocabulary/env-plan.js";
import { SpecError, UsageError } from "../../src/errors.js";
import { checkImageFlag } from "../../src/ops/generate.js";
import { loadSpecText } from "../../src/federation/load.js";
import { imageRefProblem } from "../../src/federation/schema.js";
import { composeRef, escapeCompose } from "../../src/targets/compose/interpolation.js";

/**
 * Compose's interpolation of one string (compose-go template: `$$` → `$`; `$name`, `${name}`,
 * `${name:-d}`, `${name-d}`, `${name:+r}`, `${name+r}`, `${name:?e}`, `${name?e}`, names
 * `[_a-z][_a-z0-9]*` case-insensitive, defaults interpolated again).
 * @throws Error where compose reports "invalid interpolation format" or a required variable.
 */
function interpolate(s: string, env: Record<string, string>): string {
  let out = "";
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    const next = s[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
      continue;
    }
    const named = /^[_a-z][_a-z0-9]*/i.exec(s.slice(i + 1));
    if (named) {
      out += env[named[0]] ?? "";
      i += 1 + named[0].length;
      continue;
    }
    if (next !== "{") throw new Error(`invalid interpolation format in ${JSON.stringify(s)}`);
    // Find the matching close brace (defaults may nest).
    let depth = 1;
    let j = i + 2;
    for (; j < s.length && depth > 0; j++) {
      if (s[j] === "{") depth++;
      else if (s[j] === "}") depth--;
    }
    if (depth > 0) throw new Error(`invalid interpolation format in ${JSON.stringify(s)}`);
    const body = s.slice(i + 2, j - 1);
    const m = /^([_a-z][_a-z0-9]*)(?:(:?[-+?])([\s\S]*))?$/i.exec(body);
    if (!m) throw new Error(`invalid interpolation format in ${JSON.stringify(s)}`);
    const [, name, op, arg = ""] = m;
    const value = env[name!];
    const set = value !== undefined && (op?.startsWith(":") ? value !== "" : true);
    if (!op) out += value ?? "";
    else if (op.endsWith("-")) out += set ? value! : interpolate(arg, env);
    else if (op.endsWith("+")) out += set ? interpolate(arg, env) : "";
    else if (!set) throw new Error(`required variable ${name} is missing: ${arg}`);
    else out += value!;
    i = j;
  }
  return out;
}

/** Every string value of a parsed YAML/JSON document, with its key path. */
function strings(v: unknown, p: string[] = []): Array<[string[], string]> {
  if (typeof v === "string") return [[p, v]];
  if (Array.isArray(v)) return v.flatMap((x, i) => strings(x, [...p, String(i)]));
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => strings(x, [...p, k]));
  return [];
}

function mapStrings(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === "string") return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, f)]));
  return v;
}

/** Pieces hostile strings are made of: references to real variables, compose and OpenClaw syntax. */
const PIECES = ["$", "$$", "{", "}", "${", "$${", ":-", ":?", "+", "-", "_", "/", " ", "a", "X", "HOME", "ALPHA_GATEWAY_TOKEN", "BETA_HOOKS_TOKEN", "A2A_ALPHA__BETA_TOKEN", "ANTHROPIC_API_KEY", "SHELL_SECRET"];
const hostile = fc.oneof(
  fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 8 }).map((xs) => xs.join("")),
  fc.string({ maxLength: 12 }),
  fc.constantFrom("${ALPHA_GATEWAY_TOKEN}", "$ALPHA_GATEWAY_TOKEN", "${X:-${BETA_HOOKS_TOKEN}}", "$${ALPHA_GATEWAY_TOKEN}", "a$b", "ok"),
);

/** Mostly the plain value, sometimes a hostile one: so specs are often accepted and reach compose. */
const maybe = (arb: fc.Arbitrary<string>, plain: string) => fc.oneof({ arbitrary: fc.constant(plain), weight: 3 }, { arbitrary: arb, weight: 1 });

interface UserFields {
  image: string;
  gwImage: string;
  agentName: string;
  knowledgePath: string;
  knowledgeMount: string;
  commsPath: string;
  description: string;
}

function specText(u: UserFields): string {
  const spec = {
    name: "fed",
    topology: "mesh",
    description: u.description,
    openclaw: { image: u.image },
    knowledge: { docs: { path: `/srv/${u.knowledgePath}`, mount: `/shared/${u.knowledgeMount}`, description: u.description } },
    comms: { path: `/srv/comms/${u.commsPath}` },
    gateways: {
      alpha: { port: 20000, description: u.description, model: "anthropic/claude-sonnet-4-6", agent: { name: u.agentName }, knowledge: ["docs"], secrets: ["ANTHROPIC_API_KEY"] },
      beta: { port: 20200, description: "beta", model: "anthropic/claude-sonnet-4-6", image: u.gwImage, knowledge: ["docs"] },
    },
    links: [{ from: "alpha", to: "beta", transports: ["a2a", "hooks", "mailbox"] }],
  };
  return JSON.stringify(spec);
}

const NATIVE_OPTS = { root: "/srv/clawfed/fed", openclaw: { node: "/usr/bin/node", entry: "/opt/openclaw/openclaw.mjs" } };

describe("user strings with $, { and }", () => {
  it("are refused, or reach compose literally and never pull in a token", async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          image: maybe(hostile, "openclaw:2026.9.6-local"),
          gwImage: maybe(hostile, "ghcr.io/openclaw/openclaw:2026.9.6"),
          agentName: maybe(hostile, "Alpha"),
          knowledgePath: maybe(hostile, "docs"),
          knowledgeMount: maybe(hostile, "docs"),
          commsPath: maybe(hostile, "fed"),
          description: maybe(hostile, "A gateway"),
        }),
        async (u) => {
          let fed;
          try {
            fed = (await loadSpecText(specText(u), "fed.yaml")).federation;
          } catch (err) {
            expect(err).toBeInstanceOf(SpecError);
            return;
          }
          accepted++;
          const res = compile(fed, "compose");
          // Every variable compose can see (the .env plan and the shell), each with a recognisable value.
          const env: Record<string, string> = { SHELL_SECRET: "value-of-SHELL_SECRET", HOME: "value-of-HOME", X: "value-of-X" };
          for (const slot of res.env) env[slot.name] = `value-of-${slot.name}`;
          const text = res.artifacts.find((a) => a.path === "docker-compose.yml");
          const doc = parseYaml(text?.kind === "file" ? text.content : "") as { services: Record<string, Record<string, unknown>> };
          const seen = mapStrings(doc, (s) => interpolate(s, env)) as typeof doc;

          // Values reach only the environment entries clawfed wrote for them (and group_add).
          for (const [p, s] of strings(seen)) {
            const own = p[0] === "services" && ((p[2] === "environment" && s === env[p[3]!]) || p[2] === "group_add");
            if (own) continue;
            for (const [name, value] of Object.entries(env)) expect(s, `${p.join(".")} holds ${name}`).not.toContain(value);
          }
          // The user's strings arrive as written.
          const all = strings(seen).map(([, s]) => s);
          expect(seen.services.alpha!.image).toBe(u.image);
          expect(seen.services.beta!.image).toBe(u.gwImage);
          for (const literal of [fed.knowledge[0]!.hostPath, fed.knowledge[0]!.mountPath, fed.comms.hostPath!]) {
            expect(all.some((s) => s.includes(literal)), literal).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(accepted).toBeGreaterThan(60);
  });

  it("never make an openclaw.json reference a variable clawfed did not plan for that gateway", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          image: fc.constant("openclaw:1"),
          gwImage: fc.constant("openclaw:2"),
          agentName: maybe(hostile, "Alpha"),
          knowledgePath: maybe(hostile, "docs"),
          knowledgeMount: maybe(hostile, "docs"),
          commsPath: maybe(hostile, "fed"),
          description: maybe(hostile, "A gateway"),
        }),
        fc.constantFrom<TargetName>("compose", "native", "systemd", "launchd"),
        async (u, target) => {
          let fed;
          try {
            fed = (await loadSpecText(specText(u), "fed.yaml", { target })).federation;
          } catch (err) {
            expect(err).toBeInstanceOf(SpecError);
            return;
          }
          let res;
          try {
            res = compile(fed, target, NATIVE_OPTS);
          } catch (err) {
            // systemd refuses paths it cannot write literally (a SpecError, exit 1).
            expect(err).toBeInstanceOf(SpecError);
            return;
          }
          for (const g of fed.gateways) {
            const a = res.artifacts.find((x) => x.kind === "file" && x.path.endsWith("openclaw.json") && (x.path.startsWith(`gateways/${g.id}/`) || x.path.startsWith(`${g.id}/`)));
            expect(a?.kind).toBe("file");
            const config = JSON5.parse(a?.kind === "file" ? a.content : "{}");
            const planned = new Set(envFor(res.env, g.id));
            for (const [p, s] of strings(config)) {
              // OpenClaw: `${NAME}` with NAME = [A-Z_][A-Z0-9_]*; `$${` is an escape. Allow only exact planned references.
              for (const m of s.matchAll(/\$+\{/g)) {
                const ref = /^\$\{([A-Z_][A-Z0-9_]*)\}/.exec(s.slice(m.index));
                expect(m[0], `${g.id} ${p.join(".")}: ${s}`).toBe("${");
                expect(ref && planned.has(ref[1]!), `${g.id} ${p.join(".")}: ${s}`).toBe(true);
              }
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("named cases: the agent name, a knowledge path and a mount with ${VAR} are refused at their place", async () => {
    const text = [
      "name: fed",
      "topology: mesh",
      "knowledge:",
      "  docs: { path: '/srv/${ALPHA_GATEWAY_TOKEN}', mount: '/shared/$${X}' }",
      "gateways:",
      "  alpha: { port: 20000, description: d, model: anthropic/claude-sonnet-4-6, agent: { name: 'Bot ${ANTHROPIC_API_KEY}' }, knowledge: [docs] }",
      "",
    ].join("\n");
    const err = (await loadSpecText(text, "fed.yaml").catch((e: unknown) => e)) as SpecError;
    expect(err).toBeInstanceOf(SpecError);
    const where = err.issues.map((i) => `${i.line}:${i.col} ${i.path}`);
    expect(where).toEqual(expect.arrayContaining(["4:17 knowledge.docs.path", "4:55 knowledge.docs.mount", "6:92 gateways.alpha.agent.name"]));
    for (const i of err.issues.filter((x) => x.path.endsWith("name") || x.path.startsWith("knowledge"))) {
      expect(i.message).toMatch(/contains "\$\{", which OpenClaw reads as an environment variable reference/);
      expect(i.hint).toMatch(/remove the '\$'/);
    }
  });
});

describe("image references", () => {
  const good = [
    "openclaw:2026.9.6-local",
    "ghcr.io/openclaw/openclaw:2026.9.6",
    "localhost:5000/team/openclaw@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "[::1]:5000/a/b:c",
    "registry.example.com/a__b/c-d.e:TAG_1",
    "ubuntu",
  ];
  const bad = ["", "openclaw:${ALPHA_GATEWAY_TOKEN}", "$IMAGE", "Openclaw:1", "openclaw: 1", "openclaw:1\nx: y", "a//b", "a:", ":tag", "a@sha256:123", "-a", "a-", `a:${"t".repeat(129)}`, `${"a".repeat(256)}`];

  it("the Docker reference grammar: accepted and refused examples", () => {
    for (const r of good) expect(imageRefProblem(r), r).toBeUndefined();
    for (const r of bad) expect(imageRefProblem(r), r).toMatch(/not a Docker image reference|longer than/);
  });

  it("anything with '$', whitespace or a control character is refused, quickly", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.constantFrom("$", " ", "\n", "\t", "{", "\u0000"), fc.nat(60), (s, bad, at) => {
        const ref = s.slice(0, at) + bad + s.slice(at);
        expect(imageRefProblem(ref)).toBeDefined();
      }),
      { numRuns: 2000 },
    );
    const t0 = performance.now();
    for (const hostile of ["a".repeat(500) + "!", `${"a.".repeat(200)}/`, `${"a-".repeat(250)}$`, `${"a_".repeat(250)}:`]) imageRefProblem(hostile);
    expect(performance.now() - t0).toBeLessThan(200);
  });

  it("in the spec: refused at openclaw.image and gateways.<id>.image with file:line:col", async () => {
    const text = [
      "name: fed",
      "openclaw: { image: 'img:${ALPHA_GATEWAY_TOKEN}' }",
      "gateways:",
      "  alpha: { role: hub, port: 20000, description: d, model: anthropic/claude-sonnet-4-6, image: 'a b' }",
      "",
    ].join("\n");
    const err = (await loadSpecText(text, "fed.yaml").catch((e: unknown) => e)) as SpecError;
    expect(err).toBeInstanceOf(SpecError);
    expect(err.issues.map((i) => `${i.line}:${i.col} ${i.path}`)).toEqual(["2:20 openclaw.image", "4:95 gateways.alpha.image"]);
    expect(err.issues[0]!.message).toMatch(/is not a Docker image reference/);
  });

  it("--image: a UsageError (exit 2) for anything else", () => {
    expect(() => checkImageFlag("openclaw:2026.9.6-local")).not.toThrow();
    expect(() => checkImageFlag(undefined)).not.toThrow();
    for (const r of bad) expect(() => checkImageFlag(r), r).toThrow(UsageError);
  });
});

describe("the compose escaping walk", () => {
  it("doubles every '$' of plain strings, keeps clawfed's own references, and round-trips through compose interpolation", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const out = escapeCompose({ a: [s], env: { TOKEN: composeRef("TOKEN") } }) as { a: string[]; env: { TOKEN: string } };
        expect(interpolate(out.a[0]!, { TOKEN: "secret" })).toBe(s);
        expect(out.env.TOKEN).toBe("${TOKEN}");
        expect(interpolate(out.env.TOKEN, { TOKEN: "secret" })).toBe("secret");
      }),
      { numRuns: 2000 },
    );
  });
});
