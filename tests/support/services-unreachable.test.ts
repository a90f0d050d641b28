import { describe, expect, it } from "vitest";
import { openBus } from "../../services/control-plane/bus/open-bus.js";
import { freshDatabase } from "./postgres.js";

// Runs only in the unit set (vitest.unit.config.ts), whose setup file blocks both services: the
// proof that what passes there passes without them. The full suite excludes this file.
describe("the unit run cannot reach Postgres or NATS", () => {
  it("refuses a Postgres connection at once, naming the unit run", async () => {
    await expect(freshDatabase("unit")).rejects.toThrow(/ECONNREFUSED/);
  });

  it("refuses a NATS connection at once", async () => {
    await expect(openBus({ natsUrl: "nats://127.0.0.1:4222", name: "unit-check" })).rejects.toThrow();
  });
});
