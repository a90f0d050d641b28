import { quoteFailureOutput } from "../../../shared/text/summary-first.js";
import { JobFailure } from "../job-failure.js";
import { runLoggedCommand } from "../logged-command.js";
import type { Lane } from "./lane.js";
import { runValidationSteps } from "./validation-steps.js";

/** The instruction is a shell script, run as-is in the sandbox; then the plan's validation steps. */
export const deterministicLane: Lane = {
  name: "deterministic",
  needsModelSocket: false,
  async run(run) {
    await run.events.stage("run", "running the job's script in the sandbox");
    const result = await runLoggedCommand(run.sandbox, run.task.instruction, {
      log: run.log,
      signal: run.signal,
      maxOutputBytes: run.budgets.maxOutputBytesPerCommand,
    });
    if (run.signal.aborted) return { summary: "" };
    await run.log.system(`the script exited with code ${result.exitCode} after ${result.durationMs} ms`);
    if (result.exitCode !== 0) {
      throw new JobFailure(`the job's script exited with code ${result.exitCode}\n${quoteFailureOutput(result.summary, result.tail)}`, "final");
    }
    await runValidationSteps(run);
    return { summary: `ran the job's script (exit code 0, ${result.durationMs} ms)` };
  },
};
