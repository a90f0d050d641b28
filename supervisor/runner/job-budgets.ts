import type { Budgets } from "../../gen/pushpals/v1/task_pb.js";
import type { Config } from "../../services/kernel/config/schema.js";
import { durationMs } from "../../services/kernel/time.js";

/** The limits one job runs under: its plan's budgets where set, else the supervisor's defaults. */
export interface JobBudgets {
  /** The work itself (script or agent, validation included). */
  wallTimeMs: number;
  /** Where the wall time came from, for the message when it runs out. */
  wallTimeSource: "plan budgets.execution" | "supervisor.maxWallSeconds";
  maxOutputBytesPerCommand: number;
  maxLogBytes: number;
}

export function jobBudgets(supervisor: Config["supervisor"], budgets: Budgets | undefined): JobBudgets {
  const planned = durationMs(budgets?.execution);
  const fromPlan = planned !== undefined && planned > 0;
  return {
    wallTimeMs: fromPlan ? planned : supervisor.maxWallSeconds * 1000,
    wallTimeSource: fromPlan ? "plan budgets.execution" : "supervisor.maxWallSeconds",
    maxOutputBytesPerCommand: supervisor.maxOutputBytesPerCommand,
    maxLogBytes: supervisor.maxLogBytes,
  };
}

/** Starts the wall-time budget: `exceeded` is called once it runs out, unless disarmed first. */
export function armWallTime(budgets: JobBudgets, exceeded: (detail: string) => void): { disarm(): void } {
  const seconds = budgets.wallTimeMs / 1000;
  const timer = setTimeout(
    () => exceeded(`the job ran out of its wall time budget of ${seconds} s (${budgets.wallTimeSource}); split the work or raise the budget`),
    budgets.wallTimeMs,
  );
  return { disarm: () => clearTimeout(timer) };
}
