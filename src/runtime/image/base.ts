/**
 * The Debian base image of the recipe ({@link BASE_IMAGE}): a real Debian bookworm made by
 * `debootstrap --variant=minbase` from the machine's own Debian mirror and `docker import`ed. Built
 * once (needs root and debootstrap), then reused by every image build.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { RuntimeError } from "../../errors.js";
import { capture, imageLabels, PROVISION, streamLines } from "./docker-cli.js";
import { BASE_IMAGE, BASE_INCLUDES, BASE_LABEL } from "./recipe.js";

/**
 * Make {@link BASE_IMAGE} with debootstrap + docker import, unless it exists with our includes.
 * @returns true when it was built now.
 * @throws RuntimeError when it must be built but this is not root, debootstrap is missing, the
 *   mirror cannot be reached, or the import fails.
 */
export async function ensureBaseImage(progress: (l: string) => void, mirror: string): Promise<boolean> {
  const labels = await imageLabels(BASE_IMAGE);
  if (labels && labels[BASE_LABEL] === BASE_INCLUDES) {
    progress(`base image ${BASE_IMAGE} present`);
    return false;
  }
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    throw new RuntimeError(`the Debian base image ${BASE_IMAGE} is missing and building it (debootstrap) needs root`, {
      next: "run once as root: clawfed image build",
    });
  }
  const which = await capture("sh", ["-c", 'command -v "$0"', "debootstrap"]).catch(() => ({ code: 1, stdout: "", stderr: "" }));
  if (which.code !== 0) {
    throw new RuntimeError("debootstrap is not installed (it makes the Debian base image offline)", { next: "apt-get install -y debootstrap, or run scripts/provision-docker.sh" });
  }
  const work = await mkdtemp(path.join(tmpdir(), "clawfed-rootfs-"));
  const rootfs = path.join(work, "rootfs");
  try {
    await debootstrap(rootfs, mirror, progress);
    await importRootfs(rootfs, mirror, progress);
    return true;
  } finally {
    await rm(work, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function debootstrap(rootfs: string, mirror: string, progress: (l: string) => void): Promise<void> {
  progress(`debootstrap --variant=minbase --include=${BASE_INCLUDES} bookworm from ${mirror} (about 30-60 s)`);
  const boot = await streamLines("debootstrap", ["--variant=minbase", `--include=${BASE_INCLUDES}`, "bookworm", rootfs, mirror], {
    // Per-package lines (5 for each of ~110 packages) stay out of the progress; errors keep them.
    onLine: (l) => {
      if (!/^I: (Retrieving|Validating|Extracting|Unpacking|Configuring) /.test(l)) progress(`debootstrap: ${l}`);
    },
    env: { DEBIAN_FRONTEND: "noninteractive" },
  });
  if (boot.code !== 0) {
    throw new RuntimeError(`debootstrap failed (exit ${boot.code}):\n${boot.tail.slice(-15).join("\n")}`, {
      next: `check that ${mirror} is reachable, or set CLAWFED_DEBIAN_MIRROR to a reachable Debian mirror`,
    });
  }
  // Drop downloaded .debs and package lists: they are not needed at run time.
  await rm(path.join(rootfs, "var/cache/apt/archives"), { recursive: true, force: true });
  await mkdir(path.join(rootfs, "var/cache/apt/archives/partial"), { recursive: true });
  for (const f of await readdir(path.join(rootfs, "var/lib/apt/lists")).catch(() => [] as string[])) {
    if (f !== "partial" && f !== "lock") await rm(path.join(rootfs, "var/lib/apt/lists", f), { recursive: true, force: true });
  }
  await writeFile(path.join(rootfs, "etc/apt/sources.list"), `deb ${mirror} bookworm main\n`);
}

/** `tar -c rootfs | docker import - BASE_IMAGE`. */
async function importRootfs(rootfs: string, mirror: string, progress: (l: string) => void): Promise<void> {
  progress(`docker import → ${BASE_IMAGE}`);
  // prettier-ignore
  const args = [
    "import",
    "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "--change", 'CMD ["bash"]',
    "--change", `LABEL ${BASE_LABEL}=${BASE_INCLUDES} org.opencontainers.image.title=clawfed-debian-bookworm-minbase`,
    "--message", `debootstrap --variant=minbase --include=${BASE_INCLUDES} bookworm ${mirror}`,
    "-",
    BASE_IMAGE,
  ];
  const imp = await streamLines("docker", args, { onLine: (l) => progress(`import: ${l}`), stdinFrom: { file: "tar", args: ["--numeric-owner", "-C", rootfs, "-c", "."] } });
  const tarCode = imp.upstream?.code ?? 1;
  if (tarCode !== 0 || imp.code !== 0) {
    throw new RuntimeError(`docker import of the Debian base failed (tar exit ${tarCode}, docker exit ${imp.code}): ${imp.upstream?.stderr.trim() ?? ""} ${imp.tail.slice(-5).join(" ")}`, { next: PROVISION });
  }
}
