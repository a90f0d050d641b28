import { afterEach, describe, expect, it } from "vitest";
import { leftoverProcesses } from "./support/processes.js";
import { startSystem, type SystemUnderTest } from "./support/system-under-test.js";

describe("pushpals up --mesh killed with SIGKILL", () => {
  let system: SystemUnderTest | undefined;

  afterEach(async () => {
    await system?.stop();
    system = undefined;
  });

  it("leaves no service process behind: each child sees its stdin close, stops, and exits although its stderr is a broken pipe", async () => {
    system = await startSystem({ script: "fix-math.jsonl", leaseSeconds: 10 });
    const exited = new Promise((resolve) => system!.up.once("exit", resolve));
    system.up.kill("SIGKILL");
    await exited;
    // Their own stop takes at most the RPC grace period plus the claimers' wake-up; 30 s is the tree's upper bound.
    expect(await leftoverProcesses(system.dataDir, 30_000)).toEqual([]);
  }, 90_000);
});
