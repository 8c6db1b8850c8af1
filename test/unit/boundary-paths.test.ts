// Issue 9, class 3: paths. Every path of the spec (knowledge.<k>.path, knowledge.<k>.mount,
// comms.path) is refused with file:line:col and a fix when it climbs (`..`), carries a character
// that could split a compose volume or a unit line (controls, newline, ':' ','), or points at a
// place a gateway must not see or hide (host root, system folders, the Docker socket; reserved
// container paths; another mount). What is accepted reaches the outputs normalised.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import fc from "fast-check";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/targets/registry.js";
import { SpecError } from "../../src/errors.js";
import { loadSpecText } from "../../src/federation/load.js";
import {
  DOCKER_SOCKETS,
  hostPathProblem,
  isWithin,
  mountTargetProblem,
  normalizePath,
  pathTextProblem,
  RESERVED_CONTAINER_PATHS,
  RESERVED_HOST_PATHS,
} from "../../src/federation/paths.js";
import { runCli } from "../helpers/cli.js";
import { snapshotTree } from "../helpers/tree.js";
import { tempDir } from "../helpers/tmp.js";

/** A valid spec with the given YAML lines inserted at line 2 (so `knowledge:` is line 2). */
function spec(lines: string): string {
  return `name: t
${lines}
gateways:
  a:
    role: hub
    port: 18789
    description: the hub
    model: anthropic/claude-sonnet-4-6
    knowledge: []
`;
}

async function issuesOf(text: string): Promise<SpecError["issues"]> {
  const err = await loadSpecText(text, "p.yaml").then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof SpecError)) throw new Error(`expected a SpecError, got ${String(err)}`);
  return err.issues;
}

/** Each issue as `line:col key: message (hint)`. */
async function lines(text: string): Promise<string[]> {
  return (await issuesOf(text)).map((i) => `${i.line}:${i.col} ${i.path}: ${i.message}${i.hint ? ` (${i.hint})` : ""}`);
}

const CONTROL_OR_SEPARATOR = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}:,]/u;

describe("path text: `..`, controls and compose separators are refused where they are written", () => {
  const cases: Array<[string, string, string, RegExp]> = [
    ["comms path with ..", "comms: { path: /srv/x/../../etc }", "2:16 comms.path", /'\.\.' segment \(write the path without '\.\.'/],
    ["knowledge path with ..", "knowledge:\n  k: { path: /srv/../etc/ssl }", "3:14 knowledge.k.path", /'\.\.' segment/],
    ["mount with ..", "knowledge:\n  k: { path: /srv/k, mount: /shared/../home/node/.openclaw }", "3:29 knowledge.k.mount", /'\.\.' segment/],
    ["newline in a path", 'knowledge:\n  k: { path: "/srv/k\\n/etc" }', "3:14 knowledge.k.path", /control or invisible character U\+000A/],
    ["tab in a mount", 'knowledge:\n  k: { path: /srv/k, mount: "/shared/a\\tb" }', "3:29 knowledge.k.mount", /U\+0009/],
    ["ESC in comms", 'comms: { path: "/srv/\\e[2Jc" }', "2:16 comms.path", /U\+001B/],
    ["bidi override in a path", 'knowledge:\n  k: { path: "/srv/\\u202Eexe" }', "3:14 knowledge.k.path", /U\+202E/],
    ["':' in a host path (a second volume part)", "knowledge:\n  k: { path: '/srv/k:/home/node/.openclaw' }", "3:14 knowledge.k.path", /contains ':', which separates the parts of a compose volume/],
    ["':rw' smuggled into a mount", "knowledge:\n  k: { path: /srv/k, mount: '/shared/k:rw' }", "3:29 knowledge.k.mount", /contains ':'/],
    ["',' in a mount", "knowledge:\n  k: { path: /srv/k, mount: '/shared/a,b' }", "3:29 knowledge.k.mount", /contains ','/],
    ["relative path", "knowledge:\n  k: { path: srv/k }", "3:14 knowledge.k.path", /must be an absolute path/],
  ];
  for (const [name, yaml, where, says] of cases) {
    it(name, async () => {
      const got = await lines(spec(yaml));
      expect(got.find((l) => l.startsWith(where)), got.join("\n")).toMatch(says);
    });
  }
});

describe("host folders: the root, system folders and the Docker socket are never shared", () => {
  const cases: Array<[string, RegExp]> = [
    ["/", /host's root folder.*Docker socket/],
    ["//", /host's root folder/],
    ["/var/run/docker.sock", /is the Docker socket: whoever can reach it controls Docker, and through it the host as root/],
    ["/run/docker.sock", /Docker socket/],
    ["/var/run", /contains \/var\/run\/docker\.sock, the Docker socket/],
    ["/run/", /contains \/run\/docker\.sock, the Docker socket/],
    ["/var", /contains \/var\/run\/docker\.sock/],
    ["/run/user/1000/docker.sock", /inside \/run/],
    ["/var/lib/docker/volumes", /Docker's data/],
    ["/etc", /host's configuration/],
    ["/etc/ssl/private", /inside \/etc/],
    ["/proc/1/root", /kernel or device/],
    ["/root/.ssh", /root's home/],
    ["/usr/share/doc", /programs and libraries/],
    ["/home", /shared root of the host/],
    ["/tmp", /shared root of the host/],
    ["/home/me/.openclaw/agents", /OpenClaw state directory/],
  ];
  for (const [p, says] of cases) {
    it(`knowledge.k.path ${p}`, async () => {
      const got = await lines(spec(`knowledge:\n  k: { path: "${p}" }`));
      expect(got.find((l) => l.startsWith("3:14 knowledge.k.path")), got.join("\n")).toMatch(says);
    });
  }

  it("comms.path gets the same rules, and must stay apart from every knowledge folder", async () => {
    expect((await lines(spec("comms: { path: /var/run }"))).join("\n")).toMatch(/^2:16 comms\.path: \/var\/run contains \/var\/run\/docker\.sock, the Docker socket/);
    const got = await lines(spec("knowledge:\n  k: { path: /srv/fed/comms/k }\ncomms: { path: /srv/fed/comms }"));
    expect(got).toEqual([expect.stringMatching(/^4:16 comms\.path: \/srv\/fed\/comms contains the folder of knowledge k \(\/srv\/fed\/comms\/k\): gateways write into the mailbox/)]);
    expect(await lines(spec("knowledge:\n  k: { path: /srv/fed/k }\ncomms: { path: /srv/fed/k/mail/ }"))).toEqual([expect.stringMatching(/^4:16 comms\.path: \/srv\/fed\/k\/mail is inside the folder of knowledge k/)]);
  });
});

describe("mount targets: never on, inside or above a reserved container path or another mount", () => {
  const cases: Array<[string, RegExp]> = [
    ["/", /container's root folder/],
    ["/home/node/.openclaw", /is \/home\/node\/\.openclaw, the gateway's own state directory/],
    ["/home/node/.openclaw/workspace/k", /is inside \/home\/node\/\.openclaw/],
    ["/home/node", /contains \/home\/node\/\.openclaw.*the mount would hide it/],
    ["/home", /contains \/home\/node\/\.openclaw/],
    ["//etc//clawfed/./", /mount path \/etc\/clawfed is \/etc\/clawfed, the generated config directory/],
    ["/shared/comms/", /mount path \/shared\/comms is \/shared\/comms, the mailbox folders/],
    ["/shared/comms/a--to--b", /inside \/shared\/comms/],
    ["/shared", /contains \/shared\/comms/],
    ["/app/node_modules", /inside \/app, OpenClaw's install/],
    ["/proc/k", /system folder of the image/],
    ["/usr/local/k", /system folder/],
    ["/tmp/k", /system folder/],
    ["/etc/k", /system folder/],
  ];
  for (const [p, says] of cases) {
    it(`knowledge.k.mount ${p}`, async () => {
      const got = await lines(spec(`knowledge:\n  k: { path: /srv/k, mount: "${p}" }`));
      expect(got.find((l) => l.startsWith("3:29 knowledge.k.mount")), got.join("\n")).toMatch(says);
    });
  }

  it("a knowledge base named comms would land on the mailbox: refused at its key", async () => {
    expect(await lines(spec("knowledge:\n  comms: { path: /srv/k }"))).toEqual([expect.stringMatching(/^3:3 knowledge\.comms: mount path \/shared\/comms is \/shared\/comms, the mailbox folders/)]);
  });

  it("two mounts that are the same after normalisation, or nested, are refused naming the other", async () => {
    const got = await lines(spec("knowledge:\n  a: { path: /srv/a, mount: /data/k }\n  b: { path: /srv/b, mount: /data//k/ }\n  c: { path: /srv/c, mount: /data/k/sub }\n  d: { path: /srv/d, mount: /data }"));
    expect(got).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^4:29 knowledge\.b\.mount: mount path \/data\/k is already used by knowledge a/),
        expect.stringMatching(/^5:29 knowledge\.c\.mount: mount path \/data\/k\/sub is inside \/data\/k, the mount of knowledge a/),
        expect.stringMatching(/^3:29 knowledge\.a\.mount: mount path \/data\/k is inside \/data, the mount of knowledge d/),
      ]),
    );
  });

  it("a default mount under a custom one is refused too", async () => {
    expect(await lines(spec("knowledge:\n  a: { path: /srv/a, mount: /shared/b }\n  b: { path: /srv/b }"))).toEqual([expect.stringMatching(/^4:3 knowledge\.b: mount path \/shared\/b is already used by knowledge a/)]);
  });
});

describe("accepted paths reach the outputs normalised", () => {
  it("trailing '/', '//' and '/./' are removed from host paths and mounts; compose gets `host:target:ro`", async () => {
    const loaded = await loadSpecText(
      spec("knowledge:\n  k: { path: /srv//fed/./k/, mount: /data/./k// }\n  j: { path: /srv/fed/j }\ncomms: { path: /srv/fed/comms/ }").replace("knowledge: []", "knowledge: [k, j]"),
      "p.yaml",
    );
    expect(loaded.federation.knowledge.map((k) => [k.hostPath, k.mountPath])).toEqual([
      ["/srv/fed/j", "/shared/j"],
      ["/srv/fed/k", "/data/k"],
    ]);
    expect(loaded.federation.comms.hostPath).toBe("/srv/fed/comms");
    const compose = compile(loaded.federation, "compose").artifacts.find((a) => a.path === "docker-compose.yml");
    if (compose?.kind !== "file") throw new Error("no docker-compose.yml");
    const volumes = (parseYaml(compose.content) as { services: Record<string, { volumes: string[] }> }).services.a!.volumes;
    expect(volumes).toEqual(expect.arrayContaining(["/srv/fed/k:/data/k:ro", "/srv/fed/j:/shared/j:ro"]));
  });
});

/** Strings that look like paths, built from the segments that matter, plus arbitrary text. */
const segment = fc.oneof(
  fc.constantFrom("", ".", "..", "...", "etc", "clawfed", "home", "node", ".openclaw", "workspace", "shared", "comms", "app", "proc", "var", "run", "docker.sock", "srv", "data", "k", "tmp", "usr"),
  fc.constantFrom(":", ",", ":ro", "a:b", "\n", "\r", "\t", "\u0000", "\u001b[2J", "\u0085", "\u202e", "\u2028", "\ufeff", "\ud800", "x y", "$HOME", "é"),
  fc.string({ maxLength: 6 }),
);
const pathLike = fc.oneof(
  fc.array(segment, { maxLength: 7 }).map((segs) => `/${segs.join("/")}`),
  fc.array(segment, { maxLength: 5 }).map((segs) => segs.join("/")),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
);

/** The spec as JSON (valid YAML 1.2), so any string survives the trip into the loader. */
function jsonSpec(knowledge: Record<string, unknown>, comms?: string): string {
  return JSON.stringify({
    name: "t",
    knowledge,
    ...(comms !== undefined ? { comms: { path: comms } } : {}),
    gateways: { a: { role: "hub", port: 18789, description: "the hub", model: "anthropic/claude-sonnet-4-6", knowledge: Object.keys(knowledge) } },
  });
}

function expectCleanPath(p: string): void {
  expect(p.startsWith("/")).toBe(true);
  expect(p.split("/")).not.toContain("..");
  expect(p).not.toMatch(CONTROL_OR_SEPARATOR);
  expect(normalizePath(p)).toBe(p);
}

describe("property: any string as a path is refused, or lands normalised, clean and outside every reserved place", () => {
  it("knowledge.mount", async () => {
    await fc.assert(
      fc.asyncProperty(pathLike, async (mount) => {
        let loaded;
        try {
          loaded = await loadSpecText(jsonSpec({ k: { path: "/srv/k", mount } }), "p.yaml");
        } catch (err) {
          expect(err).toBeInstanceOf(SpecError);
          return;
        }
        const target = loaded.federation.knowledge[0]!.mountPath;
        expectCleanPath(target);
        expect(target).not.toBe("/");
        for (const r of RESERVED_CONTAINER_PATHS) {
          expect(isWithin(target, r.path) || isWithin(r.path, target), `${target} vs ${r.path}`).toBe(false);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("knowledge.path and comms.path", async () => {
    await fc.assert(
      fc.asyncProperty(pathLike, pathLike, async (host, comms) => {
        let loaded;
        try {
          loaded = await loadSpecText(jsonSpec({ k: { path: host } }, comms), "p.yaml");
        } catch (err) {
          expect(err).toBeInstanceOf(SpecError);
          return;
        }
        for (const p of [loaded.federation.knowledge[0]!.hostPath, loaded.federation.comms.hostPath!]) {
          expectCleanPath(p);
          expect(p).not.toBe("/");
          for (const sock of DOCKER_SOCKETS) expect(isWithin(sock, p), `${p} holds ${sock}`).toBe(false);
          for (const r of RESERVED_HOST_PATHS) expect(isWithin(p, r.path) || isWithin(r.path, p), `${p} vs ${r.path}`).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("the predicates agree: a text problem or a place problem, else the normal form is clean", () => {
    fc.assert(
      fc.property(pathLike, (p) => {
        if (pathTextProblem(p)) return;
        const n = normalizePath(p);
        expectCleanPath(n);
        if (!mountTargetProblem(n)) for (const r of RESERVED_CONTAINER_PATHS) expect(isWithin(n, r.path) || isWithin(r.path, n)).toBe(false);
        if (!hostPathProblem(n)) expect(n).not.toBe("/");
      }),
      { numRuns: 1000 },
    );
  });
});

describe("through the CLI", () => {
  it("a comms path with `..`: exit 1, file:line:col, nothing written", async () => {
    const dir = await tempDir("paths");
    const file = path.join(dir, "dots.yaml");
    await writeFile(file, spec("comms: { path: /srv/fed/../../var/run }"));
    const out = path.join(dir, "out");
    await writeFile(path.join(dir, "keep.txt"), "x");
    const before = await snapshotTree(dir);
    const res = await runCli(["generate", file, "--out", out]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`${file}:2:16 comms.path: contains a '..' segment`);
    expect(await snapshotTree(dir)).toEqual(before);
  });

  it("the Docker socket as knowledge: exit 1 naming the risk", async () => {
    const dir = await tempDir("paths");
    const file = path.join(dir, "sock.yaml");
    await writeFile(file, spec("knowledge:\n  d: { path: /var/run }"));
    const res = await runCli(["validate", file]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/sock\.yaml:3:14 knowledge\.d\.path: \/var\/run contains \/var\/run\/docker\.sock, the Docker socket: whoever can reach it controls Docker, and through it the host as root/);
  });
});
