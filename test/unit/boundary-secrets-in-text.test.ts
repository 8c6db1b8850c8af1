// Issue 9, class 7: a credential pasted anywhere into a spec (a description, an agent name, any
// other string, a key) is refused with file:line:col and a hint, never copied into a generated
// file, and never echoed back by the error. One list of shapes (src/federation/credentials.ts) serves
// the env-var-name fields, the free-text fields and the whole-spec walk.
import fc from "fast-check";
import { stringify as stringifyYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { SpecError, formatIssue } from "../../src/errors.js";
import { CREDENTIAL_SHAPES, credentialIn, findCredentials, redactCredentials, secretShape } from "../../src/federation/credentials.js";
import { loadSpecText } from "../../src/federation/load.js";

/** One made-up credential per shape (none is real), with the kind the message must name. */
const SECRETS: Array<[string, string]> = [
  ["a Telegram bot token", "7312345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"],
  ["an Anthropic API key", "sk-ant-api03-Xq3bT9kLm2nOp5qRs8tUv1wXy4zAb3dEf6hIj9kLm2n"],
  ["an API key (sk-…)", "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zQ7"],
  ["an API key (sk-…)", "sk-T3BlbkFJa8Bc9De0Fg1Hi2Jk3Lm4No5Pq6Rs7Tu8Vw"],
  ["a Stripe key", "sk_live_51HxQ2aBcDeFgHiJkLmNoPqRs"],
  ["a GitHub token", "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"],
  ["a GitHub token", "github_pat_11ABCDEFG0aBcDeFgHiJkL_mNoPqRsTuVwXyZ0123456789abcdefghij"],
  ["a GitLab token", "glpat-xY7zA9bC3dE5fG1hJ2kL"],
  ["a Slack token", "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"],
  ["a Slack webhook URL", "https://hooks.slack.com/services/T0ABCDEFG/B0ABCDEFG/aBcDeFgHiJkLmNoPqRsTuVwX"],
  ["an AWS access key", "AKIAIOSFODNN7EXAMPLE"],
  ["an AWS access key", "ASIAY34FZKBOKMUTVV7A"],
  ["a Google API key", "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe"],
  ["a Hugging Face token", "hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"],
  ["an npm token", "npm_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789a"],
  ["a PEM private key", "-----BEGIN RSA PRIVATE KEY-----"],
  ["a PEM private key", "-----BEGIN OPENSSH PRIVATE KEY-----"],
  ["a PEM private key", "-----BEGIN PRIVATE KEY-----"],
  ["a JSON Web Token", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"],
  ["a URL with a password", "postgres://admin:hunter2@db.internal:5432/app"],
  ["a secret value", "wJalrXUtnFEMI7K7MDENG2bPxRfiCY4EXAMPLE9KEY"],
  ["a secret value", "Zm9vYmFyQmF6MTIzNDU2Nzg5MEFCQ0RFRkdISUpL"],
];

function spec(over: { gateway?: string; knowledge?: string; federation?: string; agentName?: string; image?: string; path?: string; id?: string } = {}) {
  const id = over.id ?? "alpha";
  return {
    name: "secrets",
    description: over.federation ?? "A test federation.",
    knowledge: { docs: { path: over.path ?? "/srv/docs", description: over.knowledge ?? "Shared documents." } },
    gateways: {
      hub: { role: "hub", port: 18789, description: "The hub.", model: "anthropic/claude-sonnet-4-6", ...(over.agentName ? { agent: { name: over.agentName } } : {}), ...(over.image ? { image: over.image } : {}) },
      [id]: { port: 18909, description: over.gateway ?? "A spoke.", model: "anthropic/claude-sonnet-4-6", knowledge: ["docs"] },
    },
    links: [{ from: "hub", to: id }],
  };
}

async function refusal(s: object): Promise<SpecError> {
  const err = await loadSpecText(stringifyYaml(s), "federations/secrets.yaml").then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SpecError);
  return err as SpecError;
}

const FIELDS = [
  ["gateway description", "gateway", "gateways.alpha.description"],
  ["knowledge description", "knowledge", "knowledge.docs.description"],
  ["federation description", "federation", "description"],
  ["agent name", "agentName", "gateways.hub.agent.name"],
] as const;

describe("one list of credential shapes", () => {
  it.each(SECRETS)("%s: %s is recognised, alone and inside prose", (what, secret) => {
    expect(credentialIn(secret)).toBe(what);
    expect(credentialIn(`Ask the team (key ${secret}), then go on.`)).toBe(what);
    const redacted = redactCredentials(`key ${secret}.`);
    expect(redacted).toContain(`<redacted: ${what}>`);
    expect(credentialIn(redacted)).toBeUndefined();
  });

  it("the env-var-name check uses the same list (an AWS key id is also a valid variable name)", async () => {
    expect(secretShape("AKIAIOSFODNN7EXAMPLE")).toBe("an AWS access key");
    for (const [what, secret] of SECRETS) expect(secretShape(secret), secret).toBe(what);
    const s = spec();
    (s.gateways.hub as Record<string, unknown>).secrets = ["AKIAIOSFODNN7EXAMPLE"];
    const err = await refusal(s);
    expect(err.issues.map((i) => i.path)).toContain("gateways.hub.secrets.0");
    expect(err.message).not.toContain("AKIAIOSFODNN7EXAMPLE");
  });

  it("every shape has a fixture here", () => {
    const kinds = new Set(SECRETS.map(([what]) => what));
    expect(CREDENTIAL_SHAPES.filter((s) => !kinds.has(s.what)).map((s) => s.what)).toEqual([]);
  });
});

describe("a credential in a free-text field is refused and never echoed", () => {
  for (const [label, key, path] of FIELDS) {
    it.each(SECRETS)(`${label}: %s`, async (what, secret) => {
      const text = key === "agentName" ? secret.slice(0, 64) : `Contact ops, token ${secret} (rotate monthly).`;
      // A shape longer than the 64-character name limit may read as another kind once cut.
      const kind = credentialIn(text);
      expect(kind).toBeDefined();
      const err = await refusal(spec({ [key]: text }));
      const issue = err.issues.find((i) => i.path === path);
      expect(issue, err.message).toBeDefined();
      expect(issue!.line).toBeGreaterThan(0);
      expect(issue!.message).toContain(`looks like ${key === "agentName" ? kind : what}`);
      expect(issue!.hint).toMatch(/\.env/);
      expect(err.message).not.toContain(secret.slice(0, 64));
      expect(JSON.stringify(err.issues)).not.toContain(secret.slice(0, 64));
    });
  }
});

describe("a credential in any other string or key of the spec is refused and never echoed", () => {
  it.each(SECRETS)("knowledge path, %s", async (_what, secret) => {
    const err = await refusal(spec({ path: `/srv/docs/${secret}` }));
    expect(err.issues.map((i) => i.path)).toContain("knowledge.docs.path");
    expect(err.message).not.toContain(secret);
    expect(JSON.stringify(err.issues)).not.toContain(secret);
  });

  it("an image name holding a key", async () => {
    const err = await refusal(spec({ image: "registry.example/team/ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8:latest" }));
    expect(err.issues.some((i) => i.path === "gateways.hub.image")).toBe(true);
    expect(err.message).not.toContain("ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8");
  });

  it("a gateway id that is a key (valid as an id) is refused at the key, and the key path is redacted", async () => {
    const id = "sk-proj-ab3def6hij9klm2nop5qrs8tuv1w";
    expect(credentialIn(id)).toBe("an API key (sk-…)");
    const err = await refusal(spec({ id }));
    expect(err.issues.some((i) => i.path === "gateways.<redacted: an API key (sk-…)>")).toBe(true);
    expect(err.message).not.toContain(id);
    for (const i of err.issues) expect(formatIssue(i)).not.toContain(id);
  });
});

describe("ordinary prose is not refused", () => {
  const word = fc.oneof(
    fc.stringMatching(/^[a-z]{1,12}$/),
    fc.stringMatching(/^[A-Z][a-z]{0,11}$/),
    fc.constantFrom("GoreOS", "ORKO", "Ñuble", "OpenClaw", "A2A", "CI/CD", "x86_64", "Node.js", "e-mail", "state-of-the-art", "sk-learn", "AKIA", "eyJ", "ghp", "10:30", "2026-02-20", "v2.3.1", "ISO-8601", "sha256:0123abcd"),
  );
  const number = fc.oneof(fc.integer({ min: 0, max: 10_000_000 }).map(String), fc.double({ min: 0, max: 1000, noNaN: true }).map((n) => n.toFixed(2)));
  const url = fc
    .tuple(fc.constantFrom("https", "http"), fc.stringMatching(/^[a-z]{2,10}$/), fc.constantFrom("com", "org", "cl", "dev"), fc.array(fc.stringMatching(/^[a-z0-9-]{1,12}$/), { maxLength: 4 }), fc.option(fc.stringMatching(/^[a-z]{1,8}=[a-z0-9]{1,8}$/), { nil: undefined }))
    .map(([scheme, host, tld, segs, q]) => `${scheme}://${host}.${tld}/${segs.join("/")}${q ? `?${q}` : ""}`);
  const punctuation = fc.constantFrom(".", ",", ";", ":", "!", "?", " -", " (", ")", "'", '"', " &", " /", " —");
  const prose = fc
    .array(fc.oneof({ weight: 6, arbitrary: word }, { weight: 1, arbitrary: number }, { weight: 1, arbitrary: url }, { weight: 2, arbitrary: punctuation }), { minLength: 1, maxLength: 60 })
    .map((parts) => parts.join(" ").slice(0, 480).trim())
    .filter((s) => s.length > 0);

  it("no credential is found in words, numbers, punctuation and URLs without credentials", () => {
    fc.assert(
      fc.property(prose, (text) => {
        expect(findCredentials(text)).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it("such descriptions load in every free-text field", async () => {
    await fc.assert(
      fc.asyncProperty(prose, async (text) => {
        await loadSpecText(stringifyYaml(spec({ gateway: text, knowledge: text, federation: text, agentName: text.slice(0, 64).trim() || "agent" })), "federations/secrets.yaml");
      }),
      { numRuns: 150 },
    );
  });

  it.each([
    "GORE Ñuble, GoreOS, ORKO and digital transformation; deep analysis with Opus.",
    "Emergency medicine and clinical protocols (see https://example.org/guides/triage-2024?lang=es).",
    "Runs getUserProfileByIdAndEmailAddress2024 and ThisIsAVeryLongCamelCaseIdentifier2 nightly.",
    "Builds for x86_64-Linux-GNU-GCC-12-Debian-Bookworm-ARM64-v8a and /en-US/docs/Web/JavaScript/Reference/Global_Objects.",
    "Image digest sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.",
    "Uses scikit-learn (sk-learn-based-classification-pipeline) at 10:30 every day.",
    "Mail ops@example.com or visit https://user@example.com/path.",
  ])("named prose fixture: %s", (text) => {
    expect(findCredentials(text)).toEqual([]);
  });
});

describe("the patterns stay linear on hostile input", () => {
  it.each(["sk-", "eyJ", "a", "A1", "1234567:", "-----BEGIN ", "x://a:", "AKIA", "ghp_", "hooks.slack.com/services/"])("200 000 characters of %j take well under a second", (unit) => {
    const text = unit.repeat(Math.ceil(200_000 / unit.length));
    const t0 = performance.now();
    findCredentials(text);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
