import type { AgentFailureReason, ValidationEvidence } from "./agent-types.js";
import type { Trajectory } from "./trajectory.js";
import { oneLine } from "../../../shared/text/clip.js";

/*
 * The agent loop's control flow, after mini-swe-agent: a step either returns (the observation
 * is in the conversation) or throws one of these. Anything else thrown is a bug or a broken
 * sandbox and leaves the loop as AgentCrashed.
 */

/** The reply could not be run; `message` goes back to the model and the loop goes on. */
export class FormatError extends Error {
  override name = "FormatError";
}

/** The environment saw the submit sentinel; validation decides whether the run is over. */
export class Submitted extends Error {
  override name = "Submitted";
  constructor(readonly summary: string) {
    super("the agent submitted");
  }
}

/** The run ends without a result: a limit, a cancel, failed validation or a model that cannot answer. */
export class AgentStopped extends Error {
  override name = "AgentStopped";
  constructor(
    readonly reason: AgentFailureReason,
    message: string,
    readonly evidence: ValidationEvidence[] = [],
  ) {
    super(message);
  }
}

/** How much of the agent's reason for giving up the message keeps; the step's output in the trajectory keeps more. */
const GIVE_UP_REASON_CHARS = 2000;

/**
 * The environment saw the give-up sentinel: the agent judged the task cannot be done. The run
 * ends as failed at once, spending no validation round, with the agent's reason in the message.
 */
export class GaveUp extends AgentStopped {
  override name = "GaveUp";
  constructor(
    readonly step: number,
    readonly agentReason: string,
  ) {
    super("gave_up", giveUpMessage(step, agentReason));
  }
}

/** One line, so the reason reads whole wherever an error shows only its first line (a chat's error line). */
function giveUpMessage(step: number, reason: string): string {
  const kept = oneLine(reason, GIVE_UP_REASON_CHARS + 1);
  return (
    `the agent gave up on step ${step}: ${kept.replace(/[\s.]+$/, "")}. ` +
    "It judged the task cannot be done as asked; give the job what the agent says is missing or change the request, then submit it again"
  );
}

/** An unexpected error, re-raised with the trajectory so far so the runner can still store it. */
export class AgentCrashed extends Error {
  override name = "AgentCrashed";
  constructor(
    override readonly cause: unknown,
    readonly trajectory: Trajectory,
  ) {
    super(`the agent loop failed unexpectedly: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
