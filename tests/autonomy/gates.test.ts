import { describe, expect, it } from "vitest";
import { AutonomyHealth, AutonomyMode } from "../../gen/pushpals/v1/autonomy_pb.js";
import { loadConfig } from "../../shared/config/load.js";
import { evaluateGates, firstBlocked, type GateSnapshot } from "../../services/planner/autonomy/gates.js";
import { healthOf } from "../../services/planner/autonomy/health.js";
import { inWindows } from "../../services/planner/autonomy/time-windows.js";

const NOW = Date.UTC(2026, 11, 4, 13, 30);
const config = loadConfig({ env: {}, overrides: { "autonomy.gates.windows": [], "autonomy.gates.tokensPerDay": 1000 } }).autonomy;
const idle: GateSnapshot = {
  now: NOW,
  mode: AutonomyMode.ON,
  health: AutonomyHealth.HEALTHY,
  consecutiveFailures: 0,
  interactiveRequests: 0,
  runningJobs: 0,
  inFlight: 0,
  dispatchedLastHour: 0,
  tokensToday: 0,
  dirtyPaths: [],
};

describe("eligibility gates", () => {
  it("all pass on an idle, healthy, enabled system", () => {
    const gates = evaluateGates(idle, config);
    expect(gates.map((g) => g.gate)).toEqual([
      "enabled",
      "not_frozen",
      "health",
      "queues_idle",
      "in_flight",
      "dispatch_budget",
      "token_budget",
      "time_window",
      "repo_clean",
      "integration_healthy",
    ]);
    expect(firstBlocked(gates)).toBeUndefined();
  });

  // Each row breaks exactly one condition; that gate, and only that gate, blocks, with its reason.
  const rows: [string, Partial<GateSnapshot>, Record<string, unknown>, RegExp][] = [
    ["enabled", { mode: AutonomyMode.OFF }, {}, /autonomy is off/],
    ["not_frozen", { mode: AutonomyMode.FROZEN, frozenUntil: NOW + 60_000 }, {}, /frozen until 2026-12-04T13:31:00/],
    ["health", { health: AutonomyHealth.PAUSED, consecutiveFailures: 3 }, {}, /paused after 3 consecutive failed objectives/],
    ["queues_idle", { interactiveRequests: 2 }, {}, /2 requests from people waiting/],
    ["queues_idle", { runningJobs: 1 }, {}, /1 job running \(dispatch below gates.max_running_jobs = 1\)/],
    ["in_flight", { inFlight: 1 }, {}, /1 of 1 autonomous objective in flight/],
    ["in_flight", { inFlight: 1, health: AutonomyHealth.CONSTRAINED, consecutiveFailures: 2 }, { "autonomy.gates.maxInFlight": 3 }, /1 of 1 autonomous objective in flight/],
    ["dispatch_budget", { dispatchedLastHour: 2 }, {}, /2 of 2 dispatches used in the last hour/],
    ["token_budget", { tokensToday: 1000 }, {}, /1000 of 1000 tokens spent today/],
    ["time_window", {}, { "autonomy.gates.windows": ["22:00-06:00"] }, /outside 22:00-06:00 UTC/],
    ["repo_clean", { dirtyPaths: ["src/a.js", "b", "c", "d"] }, {}, /uncommitted changes in src\/a.js, b, c and 1 more/],
    ["integration_healthy", { lastIntegration: { id: "cmp_1", ok: false, error: "check test failed" } }, {}, /last integration cmp_1 failed: check test failed/],
  ];
  it.each(rows)("%s blocks on its own (%o)", (gate, change, overrides, reason) => {
    const tuned = loadConfig({ env: {}, overrides: { "autonomy.gates.tokensPerDay": 1000, ...overrides } }).autonomy;
    const gates = evaluateGates({ ...idle, ...change }, tuned);
    expect(gates.filter((g) => !g.passed).map((g) => g.gate)).toEqual([gate]);
    expect(firstBlocked(gates)?.reason).toMatch(reason);
  });

  it("lets the constrained health through while nothing is in flight, and settings turn gates off", () => {
    expect(firstBlocked(evaluateGates({ ...idle, health: AutonomyHealth.CONSTRAINED, consecutiveFailures: 2 }, config))).toBeUndefined();
    const lax = loadConfig({ env: {}, overrides: { "autonomy.gates.requireCleanRepo": false, "autonomy.gates.tokensPerDay": 0 } }).autonomy;
    expect(firstBlocked(evaluateGates({ ...idle, dirtyPaths: ["x"], tokensToday: 10 ** 12 }, lax))).toBeUndefined();
  });

  it("the health evaluator goes healthy → constrained → paused with the run of failures", () => {
    expect([0, 1, 2, 3, 4].map((n) => AutonomyHealth[healthOf(n, 3)])).toEqual(["HEALTHY", "HEALTHY", "CONSTRAINED", "PAUSED", "PAUSED"]);
    expect(AutonomyHealth[healthOf(1, 1)]).toBe("PAUSED");
  });

  it("time windows are UTC and may run over midnight", () => {
    const at = (h: number, m: number) => Date.UTC(2026, 0, 1, h, m);
    expect(inWindows(["22:00-06:00"], at(23, 0)).inside).toBe(true);
    expect(inWindows(["22:00-06:00"], at(5, 59)).inside).toBe(true);
    expect(inWindows(["22:00-06:00"], at(6, 0)).inside).toBe(false);
    expect(inWindows(["09:00-17:00", "20:00-21:00"], at(20, 30))).toEqual({ inside: true, window: "20:00-21:00" });
  });
});
