// The offline image recipe without Docker: the Dockerfile's promises and the Debian mirror lookup.
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BASE_IMAGE, debianMirrorFromApt, defaultImageTag, dockerfile, VERSION_LABEL } from "../../src/runtime/image/index.js";

describe("dockerfile()", () => {
  const text = dockerfile("2026.9.6", "24.21.0");
  it("matches the official layout: uid 1000 node user, /app, HOME, NODE_ENV, CMD, labels", () => {
    expect(text).toContain(`FROM ${BASE_IMAGE}`);
    expect(text).toContain("COPY node /usr/local/bin/node");
    expect(text).toMatch(/groupadd --gid 1000 node/);
    expect(text).toMatch(/useradd --uid 1000 --gid 1000 .*--home-dir \/home\/node node/);
    expect(text).toContain("chown -R 1000:1000 /home/node");
    expect(text).toContain("COPY app /app");
    expect(text).toContain("WORKDIR /app");
    expect(text).toContain("USER node");
    expect(text).toContain("ENV HOME=/home/node NODE_ENV=production");
    expect(text).toContain('CMD ["node", "openclaw.mjs", "gateway", "--allow-unconfigured"]');
    expect(text).toContain(`${VERSION_LABEL}="2026.9.6"`);
  });
  it("has a HEALTHCHECK that checks the JSON body of /healthz, not just the status", () => {
    const line = text.split("\n").find((l) => l.startsWith("HEALTHCHECK"))!;
    expect(line).toContain("http://127.0.0.1:18789/healthz");
    expect(line).toContain("r.json()");
    expect(line).toContain("b.status==='live'");
  });
  it("default tag", () => {
    expect(defaultImageTag("2026.9.6")).toBe("openclaw:2026.9.6-local");
  });
});

describe("debianMirrorFromApt()", () => {
  async function aptDir(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), "cf-apt-"));
    await mkdir(path.join(dir, "sources.list.d"));
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
    return dir;
  }

  it("reads deb822 .sources, skipping security suites and disabled files", async () => {
    const dir = await aptDir({
      "sources.list.d/debian.sources":
        "Types: deb\nURIs: http://security.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\n\n" +
        "Types: deb\n# a comment\nURIs: http://mirror.example/debian/\nSuites: bookworm bookworm-updates\nComponents: main\n",
      "sources.list.d/nodesource.sources.disabled": "Types: deb\nURIs: https://deb.example/node\nSuites: bookworm\n",
    });
    expect(debianMirrorFromApt(dir)).toBe("http://mirror.example/debian");
  });

  it("reads one-line sources.list entries with options", async () => {
    const dir = await aptDir({ "sources.list": "# deb http://old/debian bookworm main\ndeb [arch=amd64] http://ftp.example.org/debian bookworm main contrib\n" });
    expect(debianMirrorFromApt(dir)).toBe("http://ftp.example.org/debian");
  });

  it("returns undefined when nothing fits", async () => {
    const dir = await aptDir({ "sources.list": "deb https://packages.example.com/apt cloud-sdk main\n" });
    expect(debianMirrorFromApt(dir)).toBeUndefined();
  });
});

describe("imageBuildCommand()", () => {
  it("names the clawfed image build command that makes a missing image", async () => {
    const { imageBuildCommand } = await import("../../src/runtime/image/index.js");
    expect(imageBuildCommand("openclaw:2026.9.6-local")).toBe("clawfed image build --version 2026.9.6");
    expect(imageBuildCommand("openclaw:2026.9.6-beta.1-local")).toBe("clawfed image build --version 2026.9.6-beta.1");
    expect(imageBuildCommand("ghcr.io/openclaw/openclaw:2026.9.6")).toBe("clawfed image build --version 2026.9.6 --tag ghcr.io/openclaw/openclaw:2026.9.6");
    expect(imageBuildCommand("localhost:5000/claw:edge")).toBe("clawfed image build --version <openclaw version> --tag localhost:5000/claw:edge");
    expect(imageBuildCommand("openclaw")).toBe("clawfed image build --version <openclaw version> --tag openclaw");
  });
});
