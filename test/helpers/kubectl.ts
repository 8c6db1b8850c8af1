// `kubectl kustomize` for the kubernetes-target tests: offline (it only reads the folder), from
// $KUBECTL or PATH. A missing kubectl fails the test with how to get it.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export const KUBECTL_HOWTO = "kubectl is missing: run `bash scripts/provision-kubectl.sh` (Debian: apt-get install -y kubernetes-client), or set KUBECTL=/path/to/kubectl";

/** The kubectl binary to use: $KUBECTL, else `kubectl` on PATH. */
export function kubectlBin(): string {
  return process.env.KUBECTL || "kubectl";
}

/** `kubectl version --client` in one line. @throws Error with KUBECTL_HOWTO when kubectl is missing. */
export async function kubectlVersion(): Promise<string> {
  try {
    const { stdout } = await run(kubectlBin(), ["version", "--client"], { timeout: 60_000 });
    return stdout.replace(/\s+/g, " ").trim();
  } catch (err) {
    throw new Error(`${KUBECTL_HOWTO} (${(err as Error).message.split("\n")[0]})`);
  }
}

/** The built output of `kubectl kustomize <dir>`. @throws Error with kubectl's stderr. */
export async function kustomize(dir: string): Promise<string> {
  try {
    const { stdout } = await run(kubectlBin(), ["kustomize", dir], { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === "ENOENT") throw new Error(KUBECTL_HOWTO);
    throw new Error(`kubectl kustomize ${dir} failed: ${e.stderr || e.message}`);
  }
}
