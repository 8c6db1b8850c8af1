// createLike's plan: what a replacement container keeps from the old one and what comes from the new image.
import { describe, expect, it } from "vitest";
import { recreatePlan, type ImageConfigLike, type InspectLike } from "../../src/runtime/docker/recreate-plan.js";

const ID = "140f94efd529aaaabbbbccccddddeeeeffff00001111222233334444555566667777";

function src(): InspectLike {
  return {
    Id: ID,
    Name: "/fed_beta_1",
    Config: {
      Hostname: ID.slice(0, 12),
      Domainname: "",
      User: "node",
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      ExposedPorts: { "18789/tcp": {} },
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: ["BETA_GATEWAY_TOKEN=tok", "OPENCLAW_CONFIG_READONLY=1", "PATH=/usr/local/bin:/usr/bin", "NODE_ENV=production"],
      Cmd: ["node", "dist/index.js", "gateway", "--port", "18789"],
      Image: "openclaw:old",
      Volumes: { "/home/node/.openclaw": {} },
      WorkingDir: "/app",
      Entrypoint: ["/usr/bin/tini", "-s", "--"],
      Labels: { "ai.clawfed.gateway": "beta", "com.docker.compose.config-hash": "old", "org.opencontainers.image.version": "2026.9.5" },
      Healthcheck: { Test: ["CMD", "node", "-e", "compose's check"] },
    } as InspectLike["Config"],
    HostConfig: { NetworkMode: "fed_beta-egress", Binds: ["fed_beta-state:/home/node/.openclaw:rw"], CapDrop: ["ALL"], Memory: 2147483648, RestartPolicy: { Name: "unless-stopped", MaximumRetryCount: 0 } },
    NetworkSettings: {
      Networks: {
        "fed_beta-egress": { Aliases: ["beta", ID.slice(0, 12)] },
        "fed_link-beta--hub": { Aliases: ["beta", ID.slice(0, 12)] },
      },
    } as unknown as InspectLike["NetworkSettings"],
  };
}

const oldImage: ImageConfigLike = {
  Env: ["PATH=/usr/local/bin:/usr/bin", "NODE_ENV=production"],
  Entrypoint: ["/usr/bin/tini", "-s", "--"],
  Cmd: ["node", "openclaw.mjs", "gateway", "--allow-unconfigured"],
  WorkingDir: "/app",
  User: "node",
  Labels: { "org.opencontainers.image.version": "2026.9.5" },
  Healthcheck: { Test: ["CMD", "node", "-e", "image check"] },
};

describe("recreatePlan", () => {
  it("keeps the container's own settings and drops what came from the old image", () => {
    const { create, connect } = recreatePlan(src(), oldImage, { name: "fed_beta_1", image: "openclaw:new", labels: { "com.docker.compose.config-hash": "new" } });
    expect(create.name).toBe("fed_beta_1");
    expect(create.Image).toBe("openclaw:new");
    expect(create.Env).toEqual(["BETA_GATEWAY_TOKEN=tok", "OPENCLAW_CONFIG_READONLY=1"]);
    expect(create.Labels).toEqual({ "ai.clawfed.gateway": "beta", "com.docker.compose.config-hash": "new" });
    expect(create.Cmd).toEqual(["node", "dist/index.js", "gateway", "--port", "18789"]);
    expect(create.Entrypoint).toBeUndefined(); // the new image's own
    expect(create.WorkingDir).toBeUndefined();
    expect(create.User).toBeUndefined();
    expect(create.Hostname).toBeUndefined(); // was the old container's id
    expect(create.Healthcheck).toEqual({ Test: ["CMD", "node", "-e", "compose's check"] });
    expect(create.HostConfig).toEqual(src().HostConfig);
    expect(create.NetworkingConfig).toEqual({ EndpointsConfig: { "fed_beta-egress": { Aliases: ["beta"] } } });
    expect(connect).toEqual([{ network: "fed_link-beta--hub", endpoint: { Aliases: ["beta"] } }]);
  });
  it("keeps everything when the old image is gone", () => {
    const { create } = recreatePlan(src(), undefined, { name: "n", image: "i" });
    expect(create.Entrypoint).toEqual(["/usr/bin/tini", "-s", "--"]);
    expect(create.Env).toHaveLength(4);
    expect(create.Labels).toMatchObject({ "org.opencontainers.image.version": "2026.9.5" });
  });
  it("keeps a command equal to the image's default only when the entrypoint was overridden", () => {
    const s = src();
    s.Config.Cmd = oldImage.Cmd!;
    expect(recreatePlan(s, oldImage, { name: "n", image: "i" }).create.Cmd).toBeUndefined();
    s.Config.Entrypoint = ["node"];
    expect(recreatePlan(s, oldImage, { name: "n", image: "i" }).create.Cmd).toEqual(oldImage.Cmd);
  });
});
