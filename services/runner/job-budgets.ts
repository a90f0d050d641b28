import type { Budgets } from "../../gen/pushpals/v1/task_pb.js";
import type { Config } from "../../shared/config/schema.js";
import { durationMs } from "../../shared/time.js";

/** The limits one job runs under: its plan's budgets where set, else the supervisor's defaults. */
export interface JobBudgets {
  /** The work itself (script or agent, validation included). */
  wallTimeMs: number;
  /** Where the wall time came from, for the message when it runs out. */
  wallTimeSource: "plan budgets.execution" | "runner.maxWallSeconds";
  maxOutputBytesPerCommand: number;
  maxLogBytes: number;
}

export function jobBudgets(supervisor: Config["runner"], budgets: Budgets | undefined): JobBudgets {
  const planned = durationMs(budgets?.execution);
  const fromPlan = planned !== undefined && planned > 0;
  return {
    wallTimeMs: fromPlan ? planned : supervisor.maxWallSeconds * 1000,
    wallTimeSource: fromPlan ? "plan budgets.execution" : "runner.maxWallSeconds",
    maxOutputBytesPerCommand: supervisor.maxOutputBytesPerCommand,
    maxLogBytes: supervisor.maxLogBytes,
  };
}

/**
 * Starts the wall-time budget: `exceeded` is called once it runs out, unless disarmed first.
 * `hold` stops the clock while the job waits on a person (nesting), `release` starts it again.
 */
export function armWallTime(budgets: JobBudgets, exceeded: (detail: string) => void): { disarm(): void; hold(): void; release(): void } {
  const seconds = budgets.wallTimeMs / 1000;
  const fire = () => exceeded(`the job ran out of its wall time budget of ${seconds} s (${budgets.wallTimeSource}); split the work or raise the budget`);
  let timeLeftMs = budgets.wallTimeMs;
  let runningSince = Date.now();
  let holds = 0;
  let disarmed = false;
  let timer: NodeJS.Timeout | undefined = setTimeout(fire, timeLeftMs);
  return {
    disarm() {
      disarmed = true;
      clearTimeout(timer);
    },
    hold() {
      holds += 1;
      if (holds > 1) return;
      clearTimeout(timer);
      timeLeftMs -= Date.now() - runningSince;
    },
    release() {
      if (holds === 0) return;
      holds -= 1;
      if (holds > 0 || disarmed) return;
      runningSince = Date.now();
      timer = setTimeout(fire, Math.max(0, timeLeftMs));
    },
  };
}
