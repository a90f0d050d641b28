import { defineConfig } from "vitest/config";
import { UNIT_TESTS } from "./tests/support/unit-tests.js";

/** Only the unit set (tests/support/unit-tests.ts), with Postgres and NATS unreachable: `npm run test:unit`. */
export default defineConfig({
  test: {
    include: UNIT_TESTS,
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    setupFiles: ["tests/support/services-unreachable.ts"],
  },
});
