import { Command } from "commander";
import { UsageError } from "../../errors.js";
import { action, printJson, progress } from "../output.js";

interface ImageBuildFlags {
  version?: string;
  tag?: string;
  force?: boolean;
  debianMirror?: string;
  json?: boolean;
}

/**
 * `clawfed image build`: the offline OpenClaw image (src/runtime/image/) for hosts that reach no
 * container registry, only npm and a Debian mirror.
 */
export function registerImage(program: Command): void {
  const image = program.command("image").description("Local OpenClaw images, for hosts without a container registry.");
  image
    .command("build")
    .description("Build the OpenClaw image offline (Debian bookworm + Node 24 + OpenClaw from npm), tagged openclaw:<version>-local unless --tag says otherwise. Does nothing when the tag already holds this version and recipe.")
    .option("--version <version>", "OpenClaw version, the one installed in tools/openclaw (default: clawfed's pinned version)")
    .option("--tag <ref>", "image tag (default: openclaw:<version>-local)")
    .option("--force", "rebuild even when the tag exists (no layer cache; the Debian base image is reused)")
    .option("--debian-mirror <url>", "Debian mirror for the base image (default: $CLAWFED_DEBIAN_MIRROR, else this host's apt sources)")
    .option("--json", "print the result as JSON on stdout (progress still goes to stderr)")
    .addHelpText(
      "after",
      [
        "",
        "The first build makes the Debian base image clawfed/debian-base:bookworm with debootstrap (needs root, about a minute); later builds reuse it. A build takes about a minute on 2 cores and 1 GB of disk.",
        "Progress goes to stderr; the image tag (or the --json result) to stdout.",
        "",
        "Exit codes: 0 the image exists (built or already there), 2 bad usage (version or tag), 3 Docker, debootstrap or the build failed.",
      ].join("\n"),
    )
    .action(action(async (opts: ImageBuildFlags) => buildImage(opts)));
}

async function buildImage(opts: ImageBuildFlags): Promise<number> {
  const { DEFAULT_OPENCLAW_VERSION } = await import("../../federation/schema.js");
  const { defaultImageTag, TAG_RE, VERSION_RE } = await import("../../runtime/image/recipe.js");
  const version = opts.version ?? DEFAULT_OPENCLAW_VERSION;
  if (!VERSION_RE.test(version)) throw new UsageError(`--version ${JSON.stringify(version)} is not an OpenClaw version`, { hint: `e.g. --version ${DEFAULT_OPENCLAW_VERSION}` });
  const tag = opts.tag ?? defaultImageTag(version);
  if (!TAG_RE.test(tag)) throw new UsageError(`--tag ${JSON.stringify(tag)} is not a Docker image reference`, { hint: `e.g. --tag ${defaultImageTag(version)}` });
  const { ensureOpenClawImage } = await import("../../runtime/image/build.js");
  const t0 = performance.now();
  const stamp = () => `${((performance.now() - t0) / 1000).toFixed(1)}s`;
  progress(`image: building ${tag} (OpenClaw ${version}) if needed`);
  const res = await ensureOpenClawImage({ version, tag, force: opts.force, debianMirror: opts.debianMirror, onProgress: (line) => progress(`image +${stamp()}: ${line}`) });
  const ms = Math.round(res.seconds * 1000);
  if (opts.json) printJson({ ok: true, tag: res.tag, version, built: res.built, ms });
  else {
    progress(`image: ${res.tag} ${res.built ? `built in ${stamp()}` : "already present; not rebuilt (use --force to rebuild)"}`);
    process.stdout.write(`${res.tag}\n`);
  }
  return 0;
}
