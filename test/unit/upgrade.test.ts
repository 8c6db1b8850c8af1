// `clawfed upgrade`, the pure parts: version order, image versions and candidate tags, the plan
// (order, downgrade refusal, record scope), the spec edit (comments kept), the doctor report
// parser and the scratch container's create options. The whole upgrade runs for real against
// Docker in test/e2e/upgrade.test.ts.
import fc from "fast-check";
import { parseDocument } from "yaml";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { loadSpecText } from "../../src/federation/load.js";
import { candidateImages, compareVersions, imageVersion, planUpgrade } from "../../src/ops/upgrade-plan.js";
import { withUpgrade } from "../../src/ops/upgrade-record.js";
import { scratchPlan, type InspectLike } from "../../src/runtime/docker/recreate-plan.js";
import { parseDoctor } from "../../src/runtime/scratch.js";

const SPEC = `# upgrade unit federation
name: cfup
openclaw:
  version: 2026.9.5 # the release we run
gateways:
  hub:
    role: hub
    port: 28190
    description: Hub.
    model: anthropic/claude-sonnet-4-6
  alpha:
    role: spoke
    port: 28191
    description: Spoke A.
    model: anthropic/claude-sonnet-4-6
  beta:
    # beta pins its own image
    image: openclaw:2026.9.5-local
    role: spoke
    port: 28192
    description: Spoke B.
    model: anthropic/claude-sonnet-4-6
links:
  - { from: hub, to: alpha }
  - { from: hub, to: beta }
`;

const fed = async () => (await loadSpecText(SPEC, "cfup.yaml")).federation;
const usage = (fn: () => unknown): UsageError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error("expected a UsageError");
};

describe("compareVersions", () => {
  it("orders releases numerically, part by part", () => {
    expect(compareVersions("2026.9.6", "2026.9.5")).toBe(1);
    expect(compareVersions("2026.9.5", "2026.9.6")).toBe(-1);
    expect(compareVersions("2026.10.1", "2026.9.30")).toBe(1);
    expect(compareVersions("2027.1.1", "2026.12.31")).toBe(1);
    expect(compareVersions("2026.9.6", "2026.9.6")).toBe(0);
  });
  it("puts a pre-release before its release, and orders pre-releases", () => {
    expect(compareVersions("2026.9.6-beta.1", "2026.9.6")).toBe(-1);
    expect(compareVersions("2026.9.6", "2026.9.6-beta.1")).toBe(1);
    expect(compareVersions("2026.9.6-beta.2", "2026.9.6-beta.10")).toBe(-1);
    expect(compareVersions("2026.9.6-beta.1", "2026.9.5")).toBe(1);
  });
  it("refuses what is not a version", () => {
    expect(usage(() => compareVersions("latest", "2026.9.6")).message).toMatch(/not an OpenClaw version: "latest"/);
  });
  it("is a total order: antisymmetric and transitive (property)", () => {
    const v = fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), fc.option(fc.constantFrom("alpha", "beta.1", "beta.2", "rc.10", "1"), { nil: undefined }));
    const str = ([a, b, c, p]: [number, number, number, string | undefined]) => `${a}.${b}.${c}${p ? `-${p}` : ""}`;
    fc.assert(
      fc.property(v, v, v, (x, y, z) => {
        const [a, b, c] = [str(x), str(y), str(z)];
        expect(compareVersions(a, b)).toBe(-compareVersions(b, a) || 0);
        if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0) expect(compareVersions(a, c)).toBeLessThanOrEqual(0);
      }),
    );
  });
});

describe("image versions and candidate tags", () => {
  it("reads the version from the labels first, else from the tag", () => {
    expect(imageVersion("openclaw:2026.9.5-local", { "ai.clawfed.openclaw-version": "2026.9.6" })).toBe("2026.9.6");
    expect(imageVersion("ghcr.io/openclaw/openclaw:2026.9.5")).toBe("2026.9.5");
    expect(imageVersion("openclaw:2026.9.5-local")).toBe("2026.9.5");
    expect(imageVersion("registry:5000/openclaw:2026.9.5")).toBe("2026.9.5");
    expect(imageVersion("openclaw:latest")).toBeUndefined();
    expect(imageVersion("openclaw")).toBeUndefined();
  });
  it("derives the new tag from the current one, then the official image, then the offline build", () => {
    expect(candidateImages("2026.9.6", ["openclaw:2026.9.5-local", "openclaw:2026.9.5-local", "registry:5000/oc:2026.9.5"])).toEqual([
      "openclaw:2026.9.6-local",
      "registry:5000/oc:2026.9.6",
      "ghcr.io/openclaw/openclaw:2026.9.6",
    ]);
    expect(candidateImages("2026.9.6", ["openclaw:latest"])).toEqual(["ghcr.io/openclaw/openclaw:2026.9.6", "openclaw:2026.9.6-local"]);
  });
});

describe("planUpgrade", () => {
  const running = [
    { id: "hub", image: "openclaw:2026.9.5-local", version: "2026.9.5" },
    { id: "alpha", image: "openclaw:2026.9.5-local", version: "2026.9.5" },
    { id: "beta", image: "openclaw:2026.9.5-local", version: "2026.9.5" },
  ];
  it("moves spokes first in spec order, the hub last, and records the federation's version", async () => {
    const plan = planUpgrade(await fed(), { to: "2026.9.6" }, running);
    expect(plan.steps.map((s) => [s.id, s.role, s.fromVersion, s.current])).toEqual([
      ["alpha", "spoke", "2026.9.5", false],
      ["beta", "spoke", "2026.9.5", false],
      ["hub", "hub", "2026.9.5", false],
    ]);
    expect(plan).toMatchObject({ to: "2026.9.6", downgrades: [], record: "federation" });
  });
  it("with --only, moves only those and records per gateway", async () => {
    const plan = planUpgrade(await fed(), { to: "2026.9.6", only: ["beta"] }, running);
    expect(plan.steps.map((s) => s.id)).toEqual(["beta"]);
    expect(plan.record).toBe("gateways");
    const f = await fed();
    expect(() => planUpgrade(f, { to: "2026.9.6", only: ["nope"] }, running)).toThrow(UsageError);
  });
  it("refuses a downgrade without --allow-downgrade, naming who runs what", async () => {
    const f = await fed();
    const err = usage(() => planUpgrade(f, { to: "2026.9.4" }, running));
    expect(err.message).toMatch(/^--to 2026\.9\.4 is a downgrade \(alpha runs 2026\.9\.5, beta runs 2026\.9\.5, hub runs 2026\.9\.5\)/);
    expect(err.hint).toMatch(/--allow-downgrade/);
    const plan = planUpgrade(f, { to: "2026.9.4", allowDowngrade: true }, running);
    expect(plan.downgrades).toEqual(["alpha", "beta", "hub"]);
  });
  it("judges by what runs, not by the spec: a gateway already on the version is current", async () => {
    const f = await fed();
    const mixed = [running[0]!, { id: "alpha", image: "openclaw:2026.9.6-local", version: "2026.9.6" }, running[2]!];
    const plan = planUpgrade(f, { to: "2026.9.6" }, mixed, "openclaw:2026.9.6-local");
    expect(plan.steps.map((s) => [s.id, s.current])).toEqual([
      ["alpha", true],
      ["beta", false],
      ["hub", false],
    ]);
    // alpha runs 2026.9.6: going to 2026.9.5 is a downgrade for alpha only.
    expect(usage(() => planUpgrade(f, { to: "2026.9.5" }, mixed)).message).toMatch(/^--to 2026\.9\.5 is a downgrade \(alpha runs 2026\.9\.6\)/);
  });
  it("an image without a version is not judged a downgrade", async () => {
    const plan = planUpgrade(await fed(), { to: "2026.9.1", allowDowngrade: true }, [{ id: "alpha", image: "custom:dev" }]);
    expect(plan.steps.find((s) => s.id === "alpha")).toMatchObject({ fromImage: "custom:dev", fromVersion: undefined });
    expect(plan.downgrades).toEqual(["beta", "hub"]); // no container: judged by the spec's version
  });
  it("refuses a --to that is not a version", async () => {
    const f = await fed();
    expect(usage(() => planUpgrade(f, { to: "next" }, running)).message).toMatch(/^--to "next" is not an OpenClaw version/);
  });
});

describe("withUpgrade (the spec edit)", () => {
  it("records the version and the image, keeping comments and every other line", () => {
    const { text, changes } = withUpgrade(SPEC, "2026.9.6", "openclaw:2026.9.6-local", ["alpha", "beta", "hub"], true);
    expect(changes).toEqual(["openclaw.version = 2026.9.6", "openclaw.image = openclaw:2026.9.6-local", "gateways.beta.image = openclaw:2026.9.6-local"]);
    const doc = parseDocument(text);
    expect(doc.getIn(["openclaw", "version"])).toBe("2026.9.6");
    expect(doc.getIn(["openclaw", "image"])).toBe("openclaw:2026.9.6-local");
    expect(doc.getIn(["gateways", "beta", "image"])).toBe("openclaw:2026.9.6-local");
    for (const comment of ["# upgrade unit federation", "# the release we run", "# beta pins its own image"]) expect(text).toContain(comment);
    const removed = SPEC.split("\n").filter((l) => !text.split("\n").includes(l));
    expect(removed).toEqual(["  version: 2026.9.5 # the release we run", "    image: openclaw:2026.9.5-local"]);
  });
  it("keeps the official image implicit when it is the one of the version", () => {
    const { text, changes } = withUpgrade(SPEC, "2026.9.6", "ghcr.io/openclaw/openclaw:2026.9.6", ["alpha", "hub"], true);
    expect(changes).toEqual(["openclaw.version = 2026.9.6"]);
    expect(parseDocument(text).getIn(["openclaw", "image"])).toBeUndefined();
  });
  it("adds an openclaw block to a spec without one", () => {
    const bare = SPEC.replace("openclaw:\n  version: 2026.9.5 # the release we run\n", "");
    const { text } = withUpgrade(bare, "2026.9.6", "openclaw:2026.9.6-local", [], true);
    expect(parseDocument(text).toJS()).toMatchObject({ name: "cfup", openclaw: { version: "2026.9.6", image: "openclaw:2026.9.6-local" } });
  });
  it("for a subset, records each gateway's image and leaves the federation's version", () => {
    const { text, changes } = withUpgrade(SPEC, "2026.9.6", "openclaw:2026.9.6-local", ["alpha"], false);
    expect(changes).toEqual(["gateways.alpha.image = openclaw:2026.9.6-local"]);
    expect(parseDocument(text).getIn(["openclaw", "version"])).toBe("2026.9.5");
    expect(parseDocument(text).getIn(["gateways", "alpha", "image"])).toBe("openclaw:2026.9.6-local");
  });
});

describe("parseDoctor", () => {
  const report = (findings: object[]) => JSON.stringify({ schemaVersion: 1, ok: findings.length === 0, checksRun: 6, checksSkipped: 0, findings }, null, 2);
  it("passes a report without error findings, even with log lines before it", () => {
    expect(parseDoctor(0, `plugin a loaded\n${report([])}\n`, "")).toEqual({ ok: true, exitCode: 0, checksRun: 6, errors: [] });
  });
  it("fails on an error finding and names it", () => {
    const f = { checkId: "core/doctor/gateway-config", severity: "error", message: "gateway.mode is unset" };
    expect(parseDoctor(1, report([f, { checkId: "x", severity: "warning", message: "w" }]), "")).toEqual({ ok: false, exitCode: 1, checksRun: 6, errors: [f] });
  });
  it("fails when doctor stopped before its checks (exit 2) or printed no report", () => {
    expect(parseDoctor(2, report([]), "").ok).toBe(false);
    expect(parseDoctor(1, "", "Error: cannot open state\n")).toEqual({ ok: false, exitCode: 1, errors: [], failure: "doctor produced no report (exit 1): Error: cannot open state" });
  });
});

describe("scratchPlan (the rehearsal's container)", () => {
  const src = {
    Id: "a".repeat(64),
    Name: "/cfup_alpha_1",
    Config: {
      Image: "openclaw:2026.9.5-local",
      Env: ["OPENCLAW_STATE_DIR=/home/node/.openclaw", "ALPHA_GATEWAY_TOKEN=secret"],
      Cmd: ["node", "dist/index.js", "gateway", "--port", "18789"],
      Labels: { "com.docker.compose.project": "cfup", "com.docker.compose.service": "alpha", "ai.clawfed.gateway": "alpha", "ai.clawfed.managed": "true" },
      ExposedPorts: { "18789/tcp": {} },
      User: "node",
    },
    HostConfig: {
      Binds: ["cfup_alpha-state:/home/node/.openclaw:rw", "/out/comms/x:/shared/comms/x:rw"],
      PortBindings: { "18789/tcp": [{ HostIp: "127.0.0.1", HostPort: "28191" }] },
      NetworkMode: "cfup_alpha-egress",
      RestartPolicy: { Name: "unless-stopped" },
      Memory: 2 * 1024 ** 3,
      CapDrop: ["ALL"],
    },
    NetworkSettings: { Networks: { "cfup_alpha-egress": { Aliases: ["alpha"] }, "cfup_link-alpha--hub": { Aliases: ["alpha"] } } },
  } as unknown as InspectLike;
  const mounts = [{ Type: "volume" as const, Source: "cfup_alpha-state.rehearsal-x", Target: "/home/node/.openclaw", ReadOnly: false }];
  it("keeps command, env, user and limits; drops ports, networks, mounts, restart and compose labels", () => {
    const c = scratchPlan(src, undefined, { name: "cfup_alpha_1.clawfed-rehearsal", image: "openclaw:2026.9.6-local", mounts: [], labels: { "ai.clawfed.kind": "rehearsal" } }, mounts);
    expect(c).toMatchObject({ name: "cfup_alpha_1.clawfed-rehearsal", Image: "openclaw:2026.9.6-local", Cmd: src.Config.Cmd, Env: src.Config.Env, User: "node" });
    expect(c.Labels).toEqual({ "ai.clawfed.gateway": "alpha", "ai.clawfed.managed": "true", "ai.clawfed.kind": "rehearsal" });
    expect(c.HostConfig).toMatchObject({ Mounts: mounts, NetworkMode: "none", RestartPolicy: { Name: "no" }, Memory: 2 * 1024 ** 3, CapDrop: ["ALL"], PublishAllPorts: false });
    expect(c.HostConfig?.Binds).toBeUndefined();
    expect(c.HostConfig?.PortBindings).toBeUndefined();
    expect(c.NetworkingConfig).toBeUndefined();
    expect(c.ExposedPorts).toBeUndefined();
  });
});
