import type { CheckResult, CompletionPayload } from "../../../gen/pushpals/v1/items_pb.js";

/**
 * The completion's error when a check failed: which check, how, what to do, and then its output
 * as runChecks kept it (the summary lines of a failing test run first, then the head and tail).
 */
export function checkFailureMessage(check: CheckResult, completion: CompletionPayload): string {
  const how = check.timedOut ? "timed out" : `failed with exit code ${check.exitCode}`;
  return `check ${check.name} (${check.command}) ${how} on the merged tree of ${completion.jobId}; nothing was merged. Fix the change so the check passes and run the job again.\n${check.outputTail}`;
}
