// The one child-process wrapper (src/runtime/exec.ts), with real child processes.
import { describe, expect, it } from "vitest";
import { InternalError, RuntimeError } from "../../src/errors.js";
import { run, runSync } from "../../src/runtime/exec.js";
import { rememberSecrets } from "../../src/runtime/redact.js";

describe("run", () => {
  it("collects stdout and stderr and the exit code, without throwing on failure", async () => {
    const r = await run("sh", ["-c", "echo out; echo err >&2; exit 3"]);
    expect(r).toEqual({ code: 3, stdout: "out\n", stderr: "err\n", timedOut: false });
  });

  it("passes arguments without a shell", async () => {
    const r = await run(process.execPath, ["-e", "console.log(JSON.stringify(process.argv.slice(1)))", "a b", "$HOME", "'; rm -rf /"]);
    expect(JSON.parse(r.stdout)).toEqual(["a b", "$HOME", "'; rm -rf /"]);
  });

  it("streams lines of both streams, splitting on \\r too", async () => {
    const lines: string[] = [];
    const r = await run("sh", ["-c", "printf 'step 1\\rstep 2\\n\\nlast'; echo oops >&2"], { onLine: (l, s) => lines.push(`${s}:${l}`) });
    expect(r.code).toBe(0);
    expect(lines.sort()).toEqual(["stderr:oops", "stdout:last", "stdout:step 1", "stdout:step 2"]);
    expect(r.stdout).toBe("step 1\rstep 2\n\nlast");
  });

  it("kills a run that outlives its timeout and reports exit 124", async () => {
    const t0 = Date.now();
    const r = await run("sleep", ["30"], { timeoutMs: 200 });
    expect(r.code).toBe(124);
    expect(r.timedOut).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it("reports death by a signal as 128+n", async () => {
    const r = await run("sh", ["-c", "kill -TERM $$"]);
    expect(r.code).toBe(128 + 15);
  });

  it("gives the child only the listed environment when inheritEnv is false", async () => {
    process.env.CLAWFED_TEST_LEAK = "should-not-pass";
    try {
      const r = await run(process.execPath, ["-e", "console.log(JSON.stringify(process.env))"], { env: { ONLY: "this" }, inheritEnv: false });
      const env = JSON.parse(r.stdout) as Record<string, string>;
      expect(env.ONLY).toBe("this");
      expect(env.CLAWFED_TEST_LEAK).toBeUndefined();
      const inherited = JSON.parse((await run(process.execPath, ["-e", "console.log(JSON.stringify(process.env))"], { env: { ONLY: "this" } })).stdout) as Record<string, string>;
      expect(inherited.CLAWFED_TEST_LEAK).toBe("should-not-pass");
    } finally {
      delete process.env.CLAWFED_TEST_LEAK;
    }
  });

  it("writes input to stdin, and closes stdin otherwise", async () => {
    expect((await run("cat", [], { input: "hello" })).stdout).toBe("hello");
    expect((await run("cat", [], { timeoutMs: 5_000 })).code).toBe(0);
  });

  it("pipes another program into stdin and reports both exits", async () => {
    const r = await run("wc", ["-l"], { stdinFrom: { file: "sh", args: ["-c", "printf 'a\\nb\\nc\\n'; exit 2"] } });
    expect(r.stdout.trim()).toBe("3");
    expect(r.code).toBe(0);
    expect(r.upstream?.code).toBe(2);
  });

  it("throws a RuntimeError naming the program when it is not installed", async () => {
    const err = await run("clawfed-no-such-program", [], { notInstalled: "install it" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toMatch(/`clawfed-no-such-program` is not installed[\s\S]*Next: install it/);
  });

  it("stops a program that prints more than maxBufferBytes and says so", async () => {
    const err = await run("head", ["-c", "100000", "/dev/zero"], { maxBufferBytes: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toMatch(/head printed more than 1000 bytes/);
  });

  it("runs in the given directory", async () => {
    expect((await run("pwd", [], { cwd: "/tmp" })).stdout.trim()).toBe("/tmp");
  });
});

describe("runSync", () => {
  it("runs synchronously with the same result shape", () => {
    expect(runSync("sh", ["-c", "echo hi; exit 4"])).toEqual({ code: 4, stdout: "hi\n", stderr: "", timedOut: false });
    expect(() => runSync("clawfed-no-such-program", [])).toThrow(RuntimeError);
  });
});

describe("runSync timeouts and environment", () => {
  it("kills a run that outlives its timeout and reports exit 124", () => {
    expect(runSync("sleep", ["30"], { timeoutMs: 200 })).toMatchObject({ code: 124, timedOut: true });
  });
  it("gives the child only the listed environment when inheritEnv is false, and writes input", () => {
    const r = runSync(process.execPath, ["-e", "process.stdin.on('data', (d) => console.log(Object.keys(process.env).join(','), String(d)))"], { env: { ONLY: "x" }, inheritEnv: false, input: "in" });
    expect(r.stdout.trim()).toBe("ONLY in");
  });
});

describe("run with stdinFrom", () => {
  it("streams more than the output buffer through the pipe without buffering it", async () => {
    // 100 MiB through the pipe; the downstream prints only a byte count.
    const r = await run("wc", ["-c"], { stdinFrom: { file: "head", args: ["-c", String(100 * 1024 * 1024), "/dev/zero"] }, maxBufferBytes: 1024 * 1024 });
    expect(r.stdout.trim()).toBe(String(100 * 1024 * 1024));
    expect(r.upstream?.code).toBe(0);
  });
});

describe("secrets in argv", () => {
  it("refuses to start a program with a known secret as an argument, without repeating it", async () => {
    const secret = "exec-test-secret-0123456789";
    rememberSecrets([secret, "4711"]);
    const err = await run("echo", [`--token=${secret}`]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalError);
    expect((err as Error).message).toMatch(/argument 1 is a secret/);
    expect((err as Error).message).not.toContain(secret);
    expect(() => runSync("echo", ["x", secret])).toThrow(/argument 2 is a secret/);
    await expect(run("cat", [], { stdinFrom: { file: "echo", args: [secret] } })).rejects.toBeInstanceOf(InternalError);
    // a short secret inside a path or a number is not an argument that is the secret
    expect((await run("echo", ["/tmp/4711/x", "14711"])).code).toBe(0);
    // in the environment it is fine
    expect((await run(process.execPath, ["-e", "console.log(process.env.T.length)"], { env: { T: secret } })).stdout).toBe(`${secret.length}\n`);
  });
});
