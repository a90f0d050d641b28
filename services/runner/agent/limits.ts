import type { Budgets } from "../../../gen/pushpals/v1/task_pb.js";
import type { AgentConfig } from "../../../shared/config/sections/agent.js";
import type { Config } from "../../../shared/config/schema.js";
import { durationMs } from "../../../shared/time.js";
import type { AgentLimits } from "./agent-types.js";

/** A job's limits: its plan's budgets where they are set (non-zero), else the configured defaults. */
export function agentLimits(config: { runner: Config["runner"]; agent: AgentConfig }, budgets: Budgets | undefined): AgentLimits {
  const planned = budgets ? durationMs(budgets.execution) : undefined;
  return {
    maxSteps: budgets?.maxSteps || config.runner.maxSteps,
    maxTokens: Number(budgets?.maxTokens ?? 0n) || config.agent.maxTokens,
    wallTimeMs: planned && planned > 0 ? planned : config.runner.maxWallSeconds * 1000,
    commandTimeoutMs: config.agent.commandTimeoutSeconds * 1000,
    maxOutputChars: config.agent.maxOutputChars,
    validationTimeoutMs: config.agent.validationTimeoutSeconds * 1000,
  };
}
