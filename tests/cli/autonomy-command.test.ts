import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AutonomyMode } from "../../gen/pushpals/v1/autonomy_pb.js";
import { fromTimestamp } from "../../shared/time.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { freezeDurationMs } from "../../cli/client/autonomy/freeze-duration.js";
import { runCli } from "./support/run-cli.js";

/** The built `pushpals autonomy` against a real control plane. */
describe("pushpals autonomy on | off | freeze | status", () => {
  let cp: TestControlPlane;
  let dir: TempDir;
  const cli = (...args: string[]) => runCli(["autonomy", ...args], { cwd: dir.path, env: { PUSHPALS_SERVER_URL: cp.url, USER: "tester" } });
  beforeAll(async () => {
    cp = await startTestControlPlane({ store: "sqlite" });
    dir = await tempDir("pushpals-autonomy-cli-");
  });
  afterAll(async () => {
    await cp?.stop();
    await dir?.remove();
  });

  it("status reads as a table of the switch, the dispatcher and the last pass; on, freeze and off change it for everyone", async () => {
    const first = await cli("status");
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("autonomy: off (set by config)");
    expect(first.stdout).toContain("no pass yet");

    expect(await cli("on")).toMatchObject({ code: 0, stdout: "autonomy on" });
    expect((await cp.clients.autonomy.getAutonomyStatus({})).state).toMatchObject({ mode: AutonomyMode.ON, updatedBy: "tester" });

    expect(await cli("freeze", "1h30m")).toMatchObject({ code: 0, stdout: "autonomy frozen for 1h30m" });
    const frozen = (await cp.clients.autonomy.getAutonomyStatus({})).state!;
    expect(frozen.mode).toBe(AutonomyMode.FROZEN);
    expect(fromTimestamp(frozen.frozenUntil)! - Date.now()).toBeGreaterThan(89 * 60_000);
    expect((await cli("status")).stdout).toMatch(/^autonomy: frozen until \d{4}-\d\d-\d\dT/);

    // A pass the dispatcher stored shows its gates and why one blocked.
    await cp.clients.autonomy.acquireDispatchLease({ holder: "planner-cli", ttl: { seconds: 60n, nanos: 0 } });
    await cp.clients.autonomy.reportEvaluation({
      holder: "planner-cli",
      evaluation: {
        summary: "blocked by not_frozen: frozen until later",
        gates: [
          { gate: "enabled", passed: true, reason: "autonomy is on" },
          { gate: "not_frozen", passed: false, reason: "frozen until later" },
        ],
        candidates: [{ key: "failing_test:test", score: 90, risk: 0.2 }],
      },
    });
    const table = (await cli("status")).stdout;
    expect(table).toContain("dispatcher: planner-cli");
    expect(table).toContain("last pass");
    expect(table).toMatch(/not_frozen\s+BLOCKED\s+frozen until later/);
    expect(table).toMatch(/failing_test:test\s+90\.0\s+0\.20\s+eligible/);

    expect(await cli("off")).toMatchObject({ code: 0, stdout: "autonomy off" });
    const json = JSON.parse((await cli("status", "--json")).stdout) as { state: { mode: string; updatedBy: string } };
    expect(json.state).toMatchObject({ mode: "AUTONOMY_MODE_OFF", updatedBy: "tester" });
    // Eight CLI processes: a few seconds each on a loaded machine.
  }, 90_000);

  it("refuses what it cannot do with the usage", async () => {
    expect(await cli("freeze")).toMatchObject({ code: 2, stderr: expect.stringContaining("freeze needs a duration") });
    expect(await cli("maybe")).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown action "maybe"') });
  }, 60_000);

  it("reads freeze durations like 30m, 2h, 1d and 1h30m", () => {
    expect([freezeDurationMs("90s"), freezeDurationMs("30m"), freezeDurationMs("2h"), freezeDurationMs("1d"), freezeDurationMs("1h30m")]).toEqual([
      90_000, 1_800_000, 7_200_000, 86_400_000, 5_400_000,
    ]);
    for (const bad of ["", "2", "h", "2x", "1h 30m", "-1h"]) expect(() => freezeDurationMs(bad), bad).toThrow(/is not a duration/);
  });
});
