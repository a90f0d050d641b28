import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";
import { LongRunsFirst } from "./tests/support/long-runs-first.js";

// The default data dir is the XDG state dir: no test may write into the real ~/.local/state.
// global-setup.ts removes this folder after the run.
process.env.XDG_STATE_HOME ??= join(tmpdir(), `pushpals-test-state-${process.pid}`);

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Meaningful only where the services are blocked: the unit run (vitest.unit.config.ts).
    exclude: ["**/node_modules/**", "tests/support/services-unreachable.test.ts"],
    // Suites talk to real Postgres, NATS, git and sandboxes; two cores means modest parallelism:
    // two workers for the suites, and a third slot the idle run (tests/idle, ten minutes of an
    // idle server, nearly no CPU) holds from the start, see LongRunsFirst.
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ["tests/global-setup.ts"],
    env: { XDG_STATE_HOME: process.env.XDG_STATE_HOME },
    sequence: { sequencer: LongRunsFirst },
  },
});
