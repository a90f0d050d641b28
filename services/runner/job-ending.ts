import { create } from "@bufbuild/protobuf";
import { ErrorOccurredSchema } from "../../gen/pushpals/v1/events_pb.js";
import { FailMode } from "../../gen/pushpals/v1/queues_pb.js";
import { errorMessage } from "../../shared/errors.js";
import type { Logger } from "../../shared/log.js";
import { WorkspaceError } from "./workspace/index.js";
import { JobFailure } from "./job-failure.js";
import { JobStopped, type StopReason } from "./job-stop.js";
import { ErrorCode } from "../../gen/pushpals/v1/kinds_pb.js";

/** How a job that did not complete is reported: the queue's fail mode, the error and an event. */
export interface FailureReport {
  mode: FailMode;
  error: string;
  /** For the error event: the code it would fail a call with, and what to do next. */
  code: ErrorCode;
  hint: string;
}

/**
 * Sorts out why a job ended without a result. A stop reason wins over the error it caused (a
 * cancelled command fails, but the job was cancelled). `undefined` means report nothing: the lease
 * is lost, so the job is no longer this runner's to fail.
 */
export function failureReport(error: unknown, reason: StopReason | undefined, logger: Logger): FailureReport | undefined {
  const stopped = reason ?? (error instanceof JobStopped ? error.reason : undefined);
  if (stopped) {
    switch (stopped.kind) {
      case "lease_lost":
        return undefined;
      case "cancelled":
        // RETRY on a cancel-requested item ends it cancelled (a retry would run what someone stopped).
        return { mode: FailMode.RETRY, error: "cancelled", code: ErrorCode.CANCELED, hint: `the job was cancelled (${stopped.detail}); enqueue it again to run it` };
      case "shutdown":
        return {
          mode: FailMode.RETRY,
          error: `the runner stopped before the job finished (${stopped.detail}); it goes back to the queue`,
          code: ErrorCode.UNAVAILABLE,
          hint: "nothing to do: another runner (or this one, restarted) takes it",
        };
      case "budget":
        return {
          mode: FailMode.FINAL,
          error: stopped.detail,
          code: ErrorCode.RESOURCE_EXHAUSTED,
          hint: "split the work into smaller jobs or raise the budget in the plan or [runner]",
        };
    }
  }
  if (error instanceof JobFailure) {
    return error.mode === "final"
      ? { mode: FailMode.FINAL, error: error.message, code: ErrorCode.FAILED_PRECONDITION, hint: "fix the job (its script, scope or instruction) and enqueue it again" }
      : { mode: FailMode.RETRY, error: error.message, code: ErrorCode.UNAVAILABLE, hint: "the job is retried with backoff; if it keeps failing, check the runner's host" };
  }
  if (error instanceof WorkspaceError) {
    return error.retryable
      ? { mode: FailMode.RETRY, error: error.message, code: ErrorCode.UNAVAILABLE, hint: "the job is retried; check the repository and disk space if it keeps failing" }
      : { mode: FailMode.FINAL, error: error.message, code: ErrorCode.INVALID_ARGUMENT, hint: "give the job a base_ref that exists (or fix repo.baseBranch)" };
  }
  logger.error({ err: error }, "the job failed on an unexpected runner error");
  return {
    mode: FailMode.RETRY,
    error: `unexpected runner error: ${errorMessage(error)}`,
    code: ErrorCode.INTERNAL,
    hint: "the job is retried; the runner's log has the stack trace",
  };
}

export function errorEvent(report: FailureReport) {
  return { case: "error" as const, value: create(ErrorOccurredSchema, { code: report.code, message: report.error, hint: report.hint }) };
}
