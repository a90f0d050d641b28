import { invalidArgument } from "../../../shared/errors.js";
import { DEFAULT_MAX_REPLY_CHARS, DEFAULT_MAX_VALIDATION_ROUNDS, type AgentLimits, type AgentRun } from "./agent-types.js";

/** An AgentRun with its defaults filled in, checked once at the boundary; the loop trusts it. */
export interface CheckedRun extends AgentRun {
  limits: Required<AgentLimits>;
  maxValidationRounds: number;
}

export function checkAgentRun<R extends AgentRun>(run: R): R & CheckedRun {
  if (typeof run.task?.instruction !== "string" || run.task.instruction.trim() === "") {
    throw invalidArgument("task.instruction", "must say what the agent should do; it is empty");
  }
  if (!run.task.planning) throw invalidArgument("task.planning", "is missing; pass the job's Planning (an empty one is fine)");
  run.task.planning.validationSteps.forEach((step, index) => {
    if (typeof step !== "string" || step.trim() === "" || step.includes("\0")) {
      throw invalidArgument(`task.planning.validation_steps[${index}]`, "must be a non-empty shell command without NUL bytes");
    }
  });
  const limits = run.limits;
  positiveInteger("limits.maxSteps", limits.maxSteps);
  positiveInteger("limits.maxTokens", limits.maxTokens);
  positiveInteger("limits.wallTimeMs", limits.wallTimeMs);
  positiveInteger("limits.commandTimeoutMs", limits.commandTimeoutMs);
  positiveInteger("limits.maxOutputChars", limits.maxOutputChars);
  if (limits.validationTimeoutMs !== undefined) positiveInteger("limits.validationTimeoutMs", limits.validationTimeoutMs);
  if (limits.maxReplyChars !== undefined) positiveInteger("limits.maxReplyChars", limits.maxReplyChars);
  const maxValidationRounds = run.maxValidationRounds ?? DEFAULT_MAX_VALIDATION_ROUNDS;
  if (!Number.isInteger(maxValidationRounds) || maxValidationRounds < 0 || maxValidationRounds > 20) {
    throw invalidArgument("maxValidationRounds", `must be a whole number from 0 to 20, got ${String(maxValidationRounds)}`);
  }
  return {
    ...run,
    maxValidationRounds,
    limits: {
      ...limits,
      validationTimeoutMs: limits.validationTimeoutMs ?? limits.commandTimeoutMs,
      maxReplyChars: limits.maxReplyChars ?? DEFAULT_MAX_REPLY_CHARS,
    },
  };
}

function positiveInteger(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) throw invalidArgument(field, `must be a positive whole number, got ${String(value)}`);
}
