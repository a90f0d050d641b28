import { create } from "@bufbuild/protobuf";
import { ValidationResultSchema } from "../../../gen/pushpals/v1/events_pb.js";
import { quoteFailureOutput, summaryFirst } from "../../../shared/text/summary-first.js";
import { JobFailure } from "../job-failure.js";
import { runLoggedCommand } from "../logged-command.js";
import type { LaneRun } from "./lane.js";

/**
 * The plan's validation steps, run in the sandbox after a script: each logged, each recorded as a
 * validation_result event; the first failure fails the job naming the step, quoting its output's
 * summary lines and end.
 */
export async function runValidationSteps(run: LaneRun): Promise<void> {
  const steps = run.task.planning?.validationSteps ?? [];
  if (steps.length === 0) return;
  await run.events.stage("validation", `${steps.length} validation step${steps.length === 1 ? "" : "s"}`);
  for (const [index, command] of steps.entries()) {
    await run.log.system(`validation step ${index + 1} of ${steps.length}: $ ${command}`);
    const result = await runLoggedCommand(run.sandbox, command, { log: run.log, signal: run.signal, maxOutputBytes: run.budgets.maxOutputBytesPerCommand });
    if (run.signal.aborted) return;
    const passed = result.exitCode === 0 && !result.timedOut && !result.cancelled;
    await run.events.record({
      case: "validationResult",
      value: create(ValidationResultSchema, {
        command,
        exitCode: result.exitCode,
        passed,
        outputTail: passed ? result.tail : summaryFirst(result.summary, { title: "end of the output", text: result.tail }),
        round: 1,
      }),
    });
    if (!passed) {
      throw new JobFailure(`validation step ${index + 1} \`${command}\` failed with exit code ${result.exitCode}\n${quoteFailureOutput(result.summary, result.tail)}`, "final");
    }
  }
}
