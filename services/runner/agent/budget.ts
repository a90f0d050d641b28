import type { TokenCounts } from "../../../shared/llm/model.js";
import type { AgentLimits, UsageTotals } from "./agent-types.js";
import { AgentStopped } from "./control-flow.js";

/** What one run may still spend: steps, tokens and wall time, and the cancel that ends it at once. */
export interface Budget {
  /** Aborts on cancel or when the wall time is up; every model call and command runs under it. */
  readonly signal: AbortSignal;
  readonly steps: number;
  readonly usage: UsageTotals;
  stepsLeft(): number;
  /** Called before each model call: throws AgentStopped when a limit is reached, else counts the step. */
  beginStep(): number;
  charge(usage: TokenCounts): void;
  /** Why `signal` aborted, if it did. */
  stopped(): AgentStopped | undefined;
  /** Throws what `stopped` returns. */
  throwIfStopped(): void;
  /** Stops the wall-time clock while the job waits on a person (a question, a pause); nests. */
  hold(): void;
  /** Starts the clock again with the time that was left when it was held. */
  release(): void;
  dispose(): void;
}

export function startBudget(limits: AgentLimits, cancel: AbortSignal): Budget {
  const deadline = new AbortController();
  const expire = () => deadline.abort(new Error("wall time is up"));
  let timeLeftMs = limits.wallTimeMs;
  let runningSince = Date.now();
  let holds = 0;
  let timer: NodeJS.Timeout | undefined = setTimeout(expire, timeLeftMs);
  const signal = AbortSignal.any([cancel, deadline.signal]);
  const usage: UsageTotals = { promptTokens: 0, completionTokens: 0, modelCalls: 0 };
  let steps = 0;
  const during = () => (steps === 0 ? "before its first step" : `during step ${steps}`);

  const budget: Budget = {
    signal,
    get steps() {
      return steps;
    },
    usage,
    stepsLeft: () => Math.max(0, limits.maxSteps - steps),
    beginStep() {
      budget.throwIfStopped();
      if (steps >= limits.maxSteps) {
        throw new AgentStopped(
          "step_limit",
          `the agent used all ${limits.maxSteps} steps without submitting; raise the plan's budgets.max_steps (or runner.max_steps) or split the task into smaller jobs`,
        );
      }
      const used = usage.promptTokens + usage.completionTokens;
      if (used >= limits.maxTokens) {
        throw new AgentStopped(
          "token_limit",
          `the agent used ${used} model tokens, reaching its budget of ${limits.maxTokens}, without submitting; raise the plan's budgets.max_tokens (or agent.max_tokens) or split the task into smaller jobs`,
        );
      }
      steps += 1;
      return steps;
    },
    charge(counts) {
      usage.promptTokens += counts.promptTokens;
      usage.completionTokens += counts.completionTokens;
      usage.modelCalls += 1;
    },
    stopped() {
      if (cancel.aborted) {
        return new AgentStopped("cancelled", `the job was cancelled ${during()}; the agent stopped at once and killed its running command. Submit the request again to retry`);
      }
      if (deadline.signal.aborted) {
        return new AgentStopped(
          "wall_time",
          `the agent ran out of its ${limits.wallTimeMs / 1000} s of wall time ${during()}; raise the plan's budgets.execution (or runner.max_wall_seconds) or split the task into smaller jobs`,
        );
      }
      return undefined;
    },
    throwIfStopped() {
      const stop = budget.stopped();
      if (stop) throw stop;
    },
    hold() {
      holds += 1;
      if (holds > 1 || deadline.signal.aborted) return;
      clearTimeout(timer);
      timer = undefined;
      timeLeftMs -= Date.now() - runningSince;
    },
    release() {
      if (holds === 0) return;
      holds -= 1;
      if (holds > 0 || deadline.signal.aborted) return;
      runningSince = Date.now();
      timer = setTimeout(expire, Math.max(0, timeLeftMs));
    },
    dispose: () => clearTimeout(timer),
  };
  return budget;
}
