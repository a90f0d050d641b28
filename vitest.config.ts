import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";
import { LongRunsFirst } from "./tests/support/long-runs-first.js";
import { UNIT_TESTS } from "./tests/support/unit-tests.js";

// The default data dir is the XDG state dir: no test may write into the real ~/.local/state.
// global-setup.ts removes this folder after the run.
process.env.XDG_STATE_HOME ??= join(tmpdir(), `pushpals-test-state-${process.pid}`);

export default defineConfig({
  test: {
    // Suites talk to real Postgres, NATS, git and sandboxes; two cores means modest parallelism:
    // two workers for the suites, and a third slot the idle run (tests/idle, ten minutes of an
    // idle server, nearly no CPU) holds from the start, see LongRunsFirst.
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ["tests/global-setup.ts"],
    env: { XDG_STATE_HOME: process.env.XDG_STATE_HOME },
    sequence: { sequencer: LongRunsFirst },
    // One run, two projects: the unit set runs with Postgres and NATS made unreachable (its
    // setup file), which proves it needs neither, and everything else runs as it is.
    projects: [
      {
        extends: true,
        test: { name: "unit", include: UNIT_TESTS, setupFiles: ["tests/support/services-unreachable.ts"] },
      },
      {
        extends: true,
        test: { name: "suite", include: ["tests/**/*.test.ts"], exclude: ["**/node_modules/**", ...UNIT_TESTS] },
      },
    ],
  },
});
