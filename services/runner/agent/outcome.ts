import { quoteFailureOutput } from "../../../shared/text/summary-first.js";
import type { AgentOutcome } from "./agent-types.js";
import type { Budget } from "./budget.js";
import { AgentStopped } from "./control-flow.js";
import type { TrajectoryRecorder } from "./trajectory.js";
import type { ValidationRound } from "./validation.js";

export function submittedOutcome(trajectory: TrajectoryRecorder, budget: Budget, summary: string, validationRounds: number): AgentOutcome {
  return {
    status: "submitted",
    summary,
    steps: budget.steps,
    validationRounds,
    usage: { ...budget.usage },
    trajectory: trajectory.finish({ status: "submitted", summary }),
  };
}

export function failedOutcome(trajectory: TrajectoryRecorder, budget: Budget, stop: AgentStopped): AgentOutcome {
  return {
    status: "failed",
    reason: stop.reason,
    message: stop.message,
    steps: budget.steps,
    usage: { ...budget.usage },
    evidence: stop.evidence,
    trajectory: trajectory.finish({ status: "failed", reason: stop.reason, message: stop.message }),
  };
}

/**
 * The last round failed and no revision is left: the failing steps become the evidence, and the
 * message quotes the first one's summary lines ("55 failing") and then the end of its output,
 * on the lines after its first, which says what failed and what to do.
 */
export function validationFailed(validation: ValidationRound): AgentStopped {
  const failures = validation.checks.filter((check) => !check.passed);
  const first = failures[0];
  const what = first
    ? `\`${first.command}\` ${first.timedOut ? "timed out" : `exited ${first.exitCode}`}${failures.length > 1 ? ` (and ${failures.length - 1} more step(s) failed)` : ""}`
    : "not every step ran";
  return new AgentStopped(
    "validation_failed",
    `validation still failed after ${validation.round} round(s): ${what}; fix the task or the plan's validation steps, then submit the request again` +
      (first ? `\n${quoteFailureOutput(first.summary, first.outputTail)}` : ""),
    failures.map(({ command, exitCode, timedOut, outputTail, summary }) => ({ command, exitCode, timedOut, outputTail, summary })),
  );
}
