import { defineConfig } from "vitest/config";
import { LongRunsFirst } from "./tests/support/long-runs-first.js";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Suites talk to real Postgres, NATS, git and sandboxes; two cores means modest parallelism:
    // two workers for the suites, and a third slot the idle run (tests/idle, ten minutes of an
    // idle server, nearly no CPU) holds from the start, see LongRunsFirst.
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ["tests/global-setup.ts"],
    sequence: { sequencer: LongRunsFirst },
  },
});
