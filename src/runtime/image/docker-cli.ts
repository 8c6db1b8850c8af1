/**
 * The docker CLI (and the other programs the image recipe runs: debootstrap, tar, cp, bash),
 * through the one child-process wrapper (../exec.ts), never through a shell.
 */
import { RuntimeError } from "../../errors.js";
import { run, type RunOptions } from "../exec.js";

/** What to do when Docker is missing or does not answer. */
export const PROVISION = "run scripts/provision-docker.sh (as root on Debian it installs and starts Docker)";

/** Lines of a failed program's output kept for its error message. */
const TAIL_LINES = 40;

/**
 * Run a program, handing its output lines to `onLine`; never throws on exit codes.
 * @returns the exit code and the last 40 lines (stdout and stderr interleaved).
 * @throws RuntimeError naming {@link PROVISION} when the program is not installed.
 */
export async function streamLines(file: string, args: string[], opts: Omit<RunOptions, "onLine"> & { onLine?: (line: string) => void } = {}): Promise<{ code: number; tail: string[]; upstream?: { code: number; stderr: string } }> {
  const tail: string[] = [];
  const { onLine, ...rest } = opts;
  const r = await run(file, args, {
    notInstalled: PROVISION,
    ...rest,
    onLine: (l) => {
      tail.push(l);
      if (tail.length > TAIL_LINES) tail.shift();
      onLine?.(l);
    },
  });
  return { code: r.code, tail, ...(r.upstream ? { upstream: { code: r.upstream.code, stderr: r.upstream.stderr } } : {}) };
}

/** Run a program and capture its output (timeout default 60 s); never throws on exit codes. */
export function capture(file: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(file, args, { timeoutMs: opts.timeoutMs ?? 60_000, maxBufferBytes: 16 * 1024 * 1024, notInstalled: PROVISION });
}

/** @throws RuntimeError naming scripts/provision-docker.sh when no Docker Engine answers. */
export async function requireDocker(): Promise<void> {
  const res = await capture("docker", ["version", "--format", "{{.Server.Version}}"], { timeoutMs: 30_000 });
  if (res.code !== 0 || !res.stdout.trim()) {
    throw new RuntimeError(`no Docker Engine answers (docker version: ${(res.stderr || res.stdout).trim().split("\n").pop() ?? ""})`, { next: PROVISION });
  }
}

/** Labels of a local image, or undefined when there is no such image. */
export async function imageLabels(ref: string): Promise<Record<string, string> | undefined> {
  const res = await capture("docker", ["image", "inspect", "--format", "{{json .Config.Labels}}", ref], { timeoutMs: 30_000 });
  if (res.code !== 0) {
    if (/no such (image|object)/i.test(res.stderr)) return undefined;
    throw new RuntimeError(`docker image inspect ${ref} failed: ${res.stderr.trim()}`, { next: PROVISION });
  }
  const parsed = JSON.parse(res.stdout.trim() || "null") as Record<string, string> | null;
  return parsed ?? {};
}
