// Redaction: the secret list from the env plan and .env, text redaction, and streamed logs
// (secrets split across chunks).
import { describe, expect, it } from "vitest";
import { planEnv } from "../../src/vocabulary/env-plan.js";
import { loadSpecFile } from "../../src/federation/load.js";
import { redact, redactKnown, REDACTED, rememberSecrets, secretValues, StreamRedactor } from "../../src/runtime/redact.js";

const SECRET = "s3cr3t-T0ken-abcdefghijklmnopqrstuvwxyz0123456789";
const OTHER = "another-secret-value";

function feed(pieces: string[], secrets = [SECRET, OTHER]): string {
  const r = new StreamRedactor(secrets);
  let out = "";
  for (const p of pieces) out += r.push(p);
  return out + r.end();
}

describe("StreamRedactor", () => {
  const text = `boot ok\ntoken=${SECRET} and ${OTHER}\npartial ${SECRET}`;
  it("redacts a secret split at every possible place", () => {
    for (let i = 0; i <= text.length; i++) {
      for (const j of [i, Math.min(text.length, i + 7)]) {
        const out = feed([text.slice(0, i), text.slice(i, j), text.slice(j)]);
        expect(out).toBe(`boot ok\ntoken=<redacted> and <redacted>\npartial <redacted>`);
      }
    }
  });
  it("redacts one character at a time", () => {
    expect(feed([...text])).not.toContain("s3cr3t");
  });
  it("writes complete lines at once and holds back only a possible secret start", () => {
    const r = new StreamRedactor([SECRET]);
    expect(r.push("line one\nline t")).toBe("line one\n");
    const long = "x".repeat(200);
    expect(r.push(long)).toBe(`line t${long}`.slice(0, -(SECRET.length - 1)));
    expect(r.end()).toBe("x".repeat(SECRET.length - 1));
  });
  it("passes text through without secrets", () => {
    expect(feed(["a", "b\n", "c"], [])).toBe("ab\nc");
  });
});

describe("secretValues", () => {
  it("takes every .env value except the plan's fixed and host slots, whatever its length", () => {
    const plan = [
      { name: "COMPOSE_PROJECT_NAME", kind: "fixed" as const },
      { name: "CLAWFED_DOCKER_GID", kind: "host" as const },
      { name: "KORAX_GATEWAY_TOKEN", kind: "token" as const },
      { name: "MY_PIN", kind: "user" as const },
    ];
    const env = { COMPOSE_PROJECT_NAME: "korax-federation", CLAWFED_DOCKER_GID: "999", KORAX_GATEWAY_TOKEN: "t0k3n-abcdefghijkl", MY_PIN: "4711", OLD_A2A_TOKEN: "kept-from-before", EMPTY: "" };
    // short user secrets count (no length guess); a value the plan no longer names stays secret
    expect(secretValues(env, plan)).toEqual(["t0k3n-abcdefghijkl", "kept-from-before", "4711"]);
  });

  it("follows the real env plan of a spec", async () => {
    const loaded = await loadSpecFile("federations/korax.yaml");
    const plan = planEnv(loaded.federation, { projectName: true, dockerGid: true });
    const token = plan.find((s) => s.kind === "token")!;
    const env = { COMPOSE_PROJECT_NAME: loaded.federation.name, [token.name]: "abc" };
    expect(secretValues(env, plan)).toEqual(["abc"]);
  });
});

describe("redact", () => {
  it("replaces every occurrence, longer secrets first whatever their order", () => {
    expect(redact("a=abcdef b=abc c=abcdef", ["abc", "abcdef"])).toBe(`a=${REDACTED} b=${REDACTED} c=${REDACTED}`);
    expect(redact("nothing here", [])).toBe("nothing here");
    expect(redact("keep", [""])).toBe("keep");
  });
});

describe("redactKnown", () => {
  it("redacts every secret remembered so far, from any federation", () => {
    expect(redactKnown("plain text")).toBe("plain text");
    rememberSecrets(["first-federation-token"]);
    rememberSecrets(["tok", "second-one"]);
    expect(redactKnown("a first-federation-token b second-one c tok")).toBe(`a ${REDACTED} b ${REDACTED} c ${REDACTED}`);
  });
});
