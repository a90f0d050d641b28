import { create } from "@bufbuild/protobuf";
import { ValidationResultSchema } from "../../../gen/pushpals/v1/events_pb.js";
import { failureSummary } from "../../../shared/text/failure-summary.js";
import { summaryFirst } from "../../../shared/text/summary-first.js";
import type { Sandbox } from "../../../sandbox/driver.js";
import type { AgentReporter } from "./agent-types.js";
import { boundedText, joinClipped, lastChars, type ClippedText } from "./bounded-text.js";
import type { Budget } from "./budget.js";
import type { CheckedRun } from "./check-run.js";
import type { TrajectoryRecorder, TrajectoryValidation } from "./trajectory.js";

/** How much of a failing step's output the ValidationResult event and the outcome keep. */
const OUTPUT_TAIL_CHARS = 4000;

export interface ValidationCheck {
  command: string;
  exitCode: number;
  passed: boolean;
  timedOut: boolean;
  durationMs: number;
  output: ClippedText;
  outputTail: string;
  /** The summary lines of a failing step's whole output ("55 failing", the first assertion); none when it passed. */
  summary: string[];
}

export interface ValidationRound {
  round: number;
  passed: boolean;
  checks: ValidationCheck[];
  /** For the trajectory. */
  record: TrajectoryValidation;
}

export interface ValidationOptions {
  sandbox: Sandbox;
  steps: readonly string[];
  /** 1 for the first validation after a submit, 2 after the first revision, ... */
  round: number;
  timeoutMs: number;
  maxOutputChars: number;
  /** Aborting kills the running step and skips the rest. */
  signal: AbortSignal;
  reporter: AgentReporter;
}

/**
 * Runs the plan's validation steps in the sandbox, every one of them (the agent fixes all the
 * failures at once), reporting each as a ValidationResult event as it finishes.
 */
export async function runValidation(options: ValidationOptions): Promise<ValidationRound> {
  const { steps, round, reporter } = options;
  const checks: ValidationCheck[] = [];
  if (steps.length === 0) await reporter.log(`validation round ${round}: the plan has no validation steps; nothing to run`);
  for (const [index, command] of steps.entries()) {
    if (options.signal.aborted) break;
    await reporter.log(`validation round ${round}, step ${index + 1} of ${steps.length}: $ ${command}`);
    const check = await runCheck(options, command);
    checks.push(check);
    const verdict = check.passed ? "passed" : check.timedOut ? `timed out after ${options.timeoutMs / 1000} s` : `failed with exit code ${check.exitCode}`;
    await reporter.log(`validation round ${round}, step ${index + 1} of ${steps.length} ${verdict} (${check.durationMs} ms)`);
    await reporter.validation(create(ValidationResultSchema, { command, exitCode: check.exitCode, passed: check.passed, outputTail: eventOutput(check), round }));
  }
  const passed = checks.length === steps.length && checks.every((check) => check.passed);
  return {
    round,
    passed,
    checks,
    record: {
      round,
      steps: checks.map(({ command, exitCode, passed, timedOut, durationMs, outputTail, summary }) => ({ command, exitCode, passed, timedOut, durationMs, outputTail, summary })),
    },
  };
}

async function runCheck(options: ValidationOptions, command: string): Promise<ValidationCheck> {
  const execution = options.sandbox.exec(command, { timeoutMs: options.timeoutMs, signal: options.signal });
  const output = boundedText(options.maxOutputChars);
  // Sees every line as it streams, so the counts in the middle the window drops are kept.
  const summary = failureSummary();
  for await (const chunk of execution.output) {
    output.append(chunk.data);
    summary.push(chunk.data, chunk.stream);
  }
  const result = await execution.result;
  const clipped = output.result();
  const passed = result.exitCode === 0 && !result.timedOut && !result.cancelled;
  return {
    command,
    exitCode: result.exitCode,
    passed,
    timedOut: result.timedOut,
    durationMs: result.durationMs,
    output: clipped,
    outputTail: lastChars(joinClipped(clipped), OUTPUT_TAIL_CHARS),
    summary: passed ? [] : summary.lines(),
  };
}

/** A failing step's event shows its summary lines before its output's end. */
function eventOutput(check: ValidationCheck): string {
  if (check.summary.length === 0) return check.outputTail;
  return summaryFirst(check.summary, { title: "end of the output", text: check.outputTail });
}

/** One validation round after a submission, for either backend: logged, recorded, stopped by cancel or wall time. */
export async function validateSubmission(run: CheckedRun, budget: Budget, trajectory: TrajectoryRecorder, round: number): Promise<ValidationRound> {
  await run.reporter.log(`the agent submitted; validation round ${round} of at most ${run.maxValidationRounds + 1}`);
  const validation = await runValidation({
    sandbox: run.sandbox,
    steps: run.task.planning.validationSteps,
    round,
    timeoutMs: run.limits.validationTimeoutMs,
    maxOutputChars: run.limits.maxOutputChars,
    signal: budget.signal,
    reporter: run.reporter,
  });
  trajectory.validation(validation.record);
  budget.throwIfStopped();
  return validation;
}
