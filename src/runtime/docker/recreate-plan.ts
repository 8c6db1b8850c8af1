/**
 * The pure recreate plan of a rolling update: create options for a container like an existing one
 * but on another image (see `Engine.createLike`). Unit-tested without an engine.
 */
import type Docker from "dockerode";
import type { CreateLikeOptions, Labels, ScratchOptions } from "./types.js";
import { COMPOSE_LABEL_PREFIX } from "../../vocabulary/labels.js";

/** The parts of `docker inspect` of a container that `createLike` reads. */
export type InspectLike = Pick<Docker.ContainerInspectInfo, "Id" | "Name" | "Config" | "HostConfig" | "NetworkSettings">;
/** The parts of `docker image inspect` `createLike` reads. */
export type ImageConfigLike = Partial<Docker.ImageInspectInfo["Config"]>;

export interface RecreatePlan {
  create: Docker.ContainerCreateOptions;
  /** Networks to connect after creating (the API attaches only one at create time before 1.44). */
  connect: Array<{ network: string; endpoint: Docker.EndpointSettings }>;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * Create options for a container like `src` but on `opts.image`. `oldImage` is the config of the
 * image `src` was created from (undefined when that image is gone: then everything is kept).
 */
export function recreatePlan(src: InspectLike, oldImage: ImageConfigLike | undefined, opts: CreateLikeOptions): RecreatePlan {
  const cfg = src.Config;
  const img: ImageConfigLike = oldImage ?? {};
  const shortId = src.Id.slice(0, 12);
  const imageEnv = new Set(img.Env ?? []);
  const labels: Labels = {};
  for (const [k, v] of Object.entries(cfg.Labels ?? {})) if (img.Labels?.[k] !== v) labels[k] = v;
  Object.assign(labels, opts.labels ?? {});
  const entrypointFromImage = sameJson(cfg.Entrypoint, img.Entrypoint);
  const volumes: Record<string, object> = {};
  for (const v of Object.keys(cfg.Volumes ?? {})) if (!(img.Volumes && v in img.Volumes)) volumes[v] = {};

  const create: Docker.ContainerCreateOptions = {
    name: opts.name,
    Image: opts.image,
    Env: (cfg.Env ?? []).filter((e) => !imageEnv.has(e)),
    Labels: labels,
    Tty: cfg.Tty,
    OpenStdin: cfg.OpenStdin,
    StdinOnce: cfg.StdinOnce,
    AttachStdin: cfg.AttachStdin,
    AttachStdout: cfg.AttachStdout,
    AttachStderr: cfg.AttachStderr,
    ExposedPorts: cfg.ExposedPorts,
    HostConfig: src.HostConfig,
  };
  if (cfg.Hostname && cfg.Hostname !== shortId) create.Hostname = cfg.Hostname;
  if (cfg.Domainname) create.Domainname = cfg.Domainname;
  if (!entrypointFromImage) create.Entrypoint = cfg.Entrypoint;
  // A command equal to the old image's default, with the image's entrypoint, is the image's:
  // the new image brings its own. Anything else was set for this container.
  if (!(entrypointFromImage && sameJson(cfg.Cmd, img.Cmd))) create.Cmd = cfg.Cmd;
  if (cfg.WorkingDir && cfg.WorkingDir !== img.WorkingDir) create.WorkingDir = cfg.WorkingDir;
  if (cfg.User && cfg.User !== img.User) create.User = cfg.User;
  if (cfg.Healthcheck && !sameJson(cfg.Healthcheck, img.Healthcheck)) create.Healthcheck = cfg.Healthcheck;
  const stopTimeout = (cfg as { StopTimeout?: number }).StopTimeout;
  if (stopTimeout !== undefined) (create as { StopTimeout?: number }).StopTimeout = stopTimeout;
  const stopSignal = (cfg as { StopSignal?: string }).StopSignal;
  if (stopSignal && stopSignal !== (img as { StopSignal?: string }).StopSignal) (create as { StopSignal?: string }).StopSignal = stopSignal;
  if (Object.keys(volumes).length > 0) create.Volumes = volumes;

  const nets = Object.entries(src.NetworkSettings?.Networks ?? {});
  const endpoint = (e: (typeof nets)[number][1]): Docker.EndpointSettings => {
    const out: Docker.EndpointSettings = {};
    const aliases = ((e.Aliases as string[] | null) ?? []).filter((a) => a !== shortId && a !== src.Id);
    if (aliases.length) out.Aliases = aliases;
    if (e.IPAMConfig) out.IPAMConfig = e.IPAMConfig as Docker.IPAMConfig;
    if (Array.isArray(e.Links) && e.Links.length) out.Links = e.Links as string[];
    return out;
  };
  const mode = src.HostConfig?.NetworkMode;
  const primary = nets.find(([n]) => n === mode) ?? nets[0];
  const connect: RecreatePlan["connect"] = [];
  if (primary && !["host", "none", "bridge", "default"].includes(primary[0]) && !mode?.startsWith("container:")) {
    create.NetworkingConfig = { EndpointsConfig: { [primary[0]]: endpoint(primary[1]) } };
    for (const [n, e] of nets) if (n !== primary[0]) connect.push({ network: n, endpoint: endpoint(e) });
  }
  return { create, connect };
}

/**
 * Create options for an isolated scratch container like `src` on `opts.image` (see
 * `Engine.createScratch`): the recreate plan without the source's mounts, ports, networks,
 * restart policy and compose labels. `mounts` are Engine API mount settings for `opts.mounts`.
 */
export function scratchPlan(src: InspectLike, oldImage: ImageConfigLike | undefined, opts: ScratchOptions, mounts: Docker.MountSettings[]): Docker.ContainerCreateOptions {
  const { create } = recreatePlan(src, oldImage, { name: opts.name, image: opts.image });
  const labels: Labels = {};
  for (const [k, v] of Object.entries(create.Labels ?? {})) if (!k.startsWith(COMPOSE_LABEL_PREFIX)) labels[k] = v;
  Object.assign(labels, opts.labels);
  const host = { ...(src.HostConfig ?? {}) } as Docker.HostConfig & Record<string, unknown>;
  for (const k of ["Binds", "VolumesFrom", "Links", "PortBindings", "Mounts", "Tmpfs", "Volumes"]) delete host[k];
  const out: Docker.ContainerCreateOptions = {
    ...create,
    Labels: labels,
    ExposedPorts: undefined,
    // Anonymous volumes of the image would be fresh ones; the scratch state comes only from `mounts`.
    Volumes: undefined,
    HostConfig: { ...host, Mounts: mounts, PublishAllPorts: false, NetworkMode: opts.network ?? "none", RestartPolicy: { Name: "no" }, AutoRemove: false },
    NetworkingConfig: undefined,
  };
  delete out.NetworkingConfig;
  delete out.ExposedPorts;
  delete out.Volumes;
  return out;
}

/** What compose would create for a gateway (from a generated compose file and compose's hash). */
export interface ContainerWant {
  image: string;
  /** `sha256:…` the image reference resolves to locally, when known (a tag rebuilt in place). */
  imageId?: string;
  /** Names of the service's `environment` (never values). */
  envKeys: readonly string[];
  /** The service's own labels (clawfed's ownership labels). */
  labels: Readonly<Labels>;
  /** compose's config hash of the service (`compose config --hash`), when compose could compute it. */
  configHash?: string;
}

/** What the engine says about the existing container. */
export interface ContainerHave {
  image: string;
  imageId?: string;
  /** Names of its environment variables; undefined when unknown. */
  envKeys?: readonly string[];
  labels: Readonly<Labels>;
  /** Names of the variables its image sets (they are in `envKeys` without compose asking). */
  imageEnvKeys?: readonly string[];
}

/** One reason compose would replace a container. */
export interface RecreateReason {
  kind: "image" | "config-hash" | "env-keys" | "labels";
  /** In words, e.g. "image openclaw:a → openclaw:b"; never a value of the environment. */
  detail: string;
}

/**
 * Why compose (`up -d`) would recreate the container `have` to get `want` (pure; empty when it
 * would leave it alone). compose decides by its config-hash label (com.docker.compose.config-hash,
 * which compose v1 computes over the service's settings, interpolated environment and image id);
 * the other reasons say in words what part changed: the image (reference or id), the names of the
 * environment variables (variables the image itself sets are not counted), clawfed's labels.
 */
export function recreateReasons(want: ContainerWant, have: ContainerHave, configHashLabel = "com.docker.compose.config-hash"): RecreateReason[] {
  const out: RecreateReason[] = [];
  if (want.image !== have.image) out.push({ kind: "image", detail: `image ${have.image} → ${want.image}` });
  else if (want.imageId && have.imageId && want.imageId !== have.imageId) {
    out.push({ kind: "image", detail: `image ${want.image} now points at ${want.imageId.replace(/^sha256:/, "").slice(0, 12)} (the container runs ${have.imageId.replace(/^sha256:/, "").slice(0, 12)})` });
  }
  if (have.envKeys) {
    const haveKeys = new Set(have.envKeys);
    const wantKeys = new Set(want.envKeys);
    const fromImage = new Set(have.imageEnvKeys ?? []);
    const added = [...wantKeys].filter((k) => !haveKeys.has(k)).sort();
    const removed = [...haveKeys].filter((k) => !wantKeys.has(k) && !fromImage.has(k)).sort();
    if (added.length || removed.length) {
      out.push({ kind: "env-keys", detail: `environment ${[added.length ? `added ${added.join(", ")}` : "", removed.length ? `removed ${removed.join(", ")}` : ""].filter(Boolean).join("; ")}` });
    }
  }
  const labels = Object.keys(want.labels)
    .sort()
    .filter((k) => have.labels[k] !== want.labels[k]);
  if (labels.length) out.push({ kind: "labels", detail: `labels ${labels.map((k) => `${k}=${have.labels[k] ?? "(none)"} → ${want.labels[k]}`).join(", ")}` });
  const hash = have.labels[configHashLabel];
  if (want.configHash && hash !== want.configHash) {
    out.push({ kind: "config-hash", detail: hash ? "compose's config hash differs (the service's settings changed)" : "no compose config hash (not created by compose)" });
  }
  return out;
}
