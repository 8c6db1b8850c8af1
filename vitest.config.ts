import { defineConfig } from "vitest/config";

// Three projects: fast unit/golden tests; tests that run the real OpenClaw CLI (Node 24 from npm);
// end-to-end tests against a real Docker Engine with real gateways (one file at a time: each
// starts real gateways of ~1 GB, and the machines have 2 cores).
export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts", "test/golden/**/*.test.ts"], testTimeout: 20_000 } },
      {
        test: {
          name: "openclaw",
          include: ["test/openclaw/**/*.test.ts"],
          globalSetup: ["test/helpers/setup-openclaw.ts"],
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["test/helpers/setup-openclaw.ts", "test/helpers/setup-docker.ts"],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
