import { create } from "@bufbuild/protobuf";
import { AutonomyHealth, AutonomyMode, GateResultSchema, type GateResult } from "../../../gen/pushpals/v1/autonomy_pb.js";
import type { AutonomySection } from "../../../shared/config/sections/autonomy.js";
import { inWindows } from "./time-windows.js";

/** What the gates look at, gathered once per pass (gate-snapshot.ts). */
export interface GateSnapshot {
  now: number;
  mode: AutonomyMode;
  /** Epoch ms; set while frozen. */
  frozenUntil?: number;
  health: AutonomyHealth;
  consecutiveFailures: number;
  /** Pending or claimed requests a person is waiting for (any band but background). */
  interactiveRequests: number;
  runningJobs: number;
  /** Autonomous objectives dispatched and not yet finished. */
  inFlight: number;
  dispatchedLastHour: number;
  tokensToday: number;
  /** Uncommitted paths of the repository (`git status --porcelain`). */
  dirtyPaths: string[];
  /** The newest finished completion, when any: failed means the integration branch is not healthy. */
  lastIntegration?: { id: string; ok: boolean; error: string };
}

const gate = (name: string, passed: boolean, reason: string): GateResult => create(GateResultSchema, { gate: name, passed, reason });

/**
 * Every eligibility gate, in order, each with its reason. A dispatch needs all of them to
 * pass; the status shows the first that blocked (and the others).
 */
export function evaluateGates(s: GateSnapshot, config: AutonomySection): GateResult[] {
  const g = config.gates;
  const frozen = s.mode === AutonomyMode.FROZEN && (s.frozenUntil ?? 0) > s.now;
  const maxInFlight = s.health === AutonomyHealth.CONSTRAINED ? 1 : g.maxInFlight;
  const window = inWindows(g.windows, s.now);
  const tokenLimit = g.tokensPerDay;
  return [
    gate("enabled", s.mode !== AutonomyMode.OFF, s.mode === AutonomyMode.OFF ? "autonomy is off (pushpals autonomy on)" : "autonomy is on"),
    gate("not_frozen", !frozen, frozen ? `frozen until ${new Date(s.frozenUntil!).toISOString()}` : "not frozen"),
    gate(
      "health",
      s.health !== AutonomyHealth.PAUSED,
      s.health === AutonomyHealth.PAUSED
        ? `paused after ${s.consecutiveFailures} consecutive failed objectives (gates.max_consecutive_failures = ${g.maxConsecutiveFailures}); pushpals autonomy on resumes`
        : `${AutonomyHealth[s.health]!.toLowerCase()} (${s.consecutiveFailures} consecutive failures)`,
    ),
    gate(
      "queues_idle",
      s.interactiveRequests === 0 && s.runningJobs < g.maxRunningJobs,
      s.interactiveRequests > 0
        ? `${s.interactiveRequests} request${s.interactiveRequests === 1 ? "" : "s"} from people waiting or being planned`
        : `${s.runningJobs} job${s.runningJobs === 1 ? "" : "s"} running (dispatch below gates.max_running_jobs = ${g.maxRunningJobs})`,
    ),
    gate("in_flight", s.inFlight < maxInFlight, `${s.inFlight} of ${maxInFlight} autonomous objective${maxInFlight === 1 ? "" : "s"} in flight`),
    gate("dispatch_budget", s.dispatchedLastHour < g.dispatchesPerHour, `${s.dispatchedLastHour} of ${g.dispatchesPerHour} dispatches used in the last hour`),
    gate("token_budget", tokenLimit === 0 || s.tokensToday < tokenLimit, tokenLimit === 0 ? "no token limit" : `${s.tokensToday} of ${tokenLimit} tokens spent today (UTC)`),
    gate(
      "time_window",
      window.inside,
      g.windows.length === 0 ? "no time windows configured" : window.inside ? `inside ${window.window} UTC` : `outside ${g.windows.join(", ")} UTC`,
    ),
    gate(
      "repo_clean",
      !g.requireCleanRepo || s.dirtyPaths.length === 0,
      !g.requireCleanRepo
        ? "not required"
        : s.dirtyPaths.length === 0
          ? "no uncommitted changes"
          : `uncommitted changes in ${s.dirtyPaths.slice(0, 3).join(", ")}${s.dirtyPaths.length > 3 ? ` and ${s.dirtyPaths.length - 3} more` : ""}`,
    ),
    gate(
      "integration_healthy",
      s.lastIntegration?.ok ?? true,
      !s.lastIntegration
        ? "nothing integrated yet"
        : s.lastIntegration.ok
          ? `last integration ${s.lastIntegration.id} passed`
          : `last integration ${s.lastIntegration.id} failed: ${s.lastIntegration.error}`,
    ),
  ];
}

export function firstBlocked(gates: GateResult[]): GateResult | undefined {
  return gates.find((g) => !g.passed);
}
