import { create } from "@bufbuild/protobuf";
import { CheckResultSchema, type CheckResult } from "../../../gen/pushpals/v1/items_pb.js";
import type { Logger } from "../../../shared/log.js";
import { summaryLines } from "../../../shared/text/failure-summary.js";
import { summaryFirst } from "../../../shared/text/summary-first.js";
import { durationFromMs } from "../../../shared/time.js";
import type { CheckSpec } from "../settings.js";
import type { RunCheck } from "./run-check.js";

/** A check about to run, then its result: long checks show they are under way. */
export type CheckEvent = { kind: "started"; check: CheckSpec } | { kind: "finished"; result: CheckResult };

/** Who is watching a run of the checks: its id for labels, and a listener for live output. */
export interface CheckObserver {
  runId?: string;
  logger?: Logger;
  onOutput?: (check: CheckSpec, chunk: string) => void;
}

/**
 * Runs the configured checks in order on the merged tree, yielding as each starts and
 * ends; stops at the first failure (later checks would only cost time, the merge is
 * refused either way).
 */
export async function* runChecks(checks: readonly CheckSpec[], runCheck: RunCheck, cwd: string, signal?: AbortSignal, observer: CheckObserver = {}): AsyncGenerator<CheckEvent> {
  for (const check of checks) {
    if (signal?.aborted) return;
    yield { kind: "started", check };
    const onOutput = observer.onOutput;
    const run = await runCheck(check.command, {
      cwd,
      timeoutMs: check.timeoutMs,
      signal,
      runId: observer.runId,
      logger: observer.logger,
      onOutput: onOutput && ((chunk) => onOutput(check, chunk)),
    });
    const passed = run.exitCode === 0 && !run.timedOut;
    const output = run.timedOut ? `${run.output}\n[timed out after ${check.timeoutMs} ms; the whole process group was killed]` : run.output;
    const result = create(CheckResultSchema, {
      name: check.name,
      command: check.command,
      exitCode: run.exitCode,
      passed,
      timedOut: run.timedOut,
      duration: durationFromMs(run.durationMs),
      // A failure's output is read by a person: the summary lines (the cause) first, then head and tail.
      outputTail: passed ? output : summaryFirst(run.summary ?? summaryLines(run.output), { title: "output (head and tail)", text: output }),
    });
    yield { kind: "finished", result };
    if (!result.passed) return;
  }
}
