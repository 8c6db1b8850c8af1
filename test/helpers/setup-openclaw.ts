// Global setup: the pinned real OpenClaw (tools/openclaw) on Node 24 must be installed.
// Installs it when missing; fails the suite (never skips) when that is impossible.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const script = fileURLToPath(new URL("../../scripts/ensure-openclaw.sh", import.meta.url));
  try {
    execFileSync("bash", [script], { stdio: ["ignore", "inherit", "inherit"], timeout: 600_000 });
  } catch (err) {
    throw new Error(
      `The real OpenClaw could not be installed (${(err as Error).message}). These tests need the npm registry once: run scripts/ensure-openclaw.sh and read its error.`,
    );
  }
}
