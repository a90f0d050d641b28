import { Code, ConnectError } from "@connectrpc/connect";
import { errorMessage } from "../../shared/errors.js";
import type { IntegrationOutcome } from "./outcome.js";

/** Codes worth another attempt: the remote, the network, a crash or a cancel; not bad input or a person's decision. */
const RETRYABLE = new Set([Code.Canceled, Code.Unavailable, Code.Internal, Code.Aborted, Code.Unknown, Code.DeadlineExceeded]);

/** An error outcome from anything thrown at `stage`; unexpected errors keep their message and say what to do. */
export function failureOutcome(stage: string, error: unknown, worktree: string): Extract<IntegrationOutcome, { kind: "error" }> {
  const connect =
    error instanceof ConnectError
      ? error
      : isAbort(error)
        ? new ConnectError(`integration cancelled during ${stage}; nothing was merged, the completion can be retried`, Code.Canceled)
        : new ConnectError(
            `${stage} failed: ${errorMessage(error)}; the worktree was reset and the integration branch left as it was — retry, and if it keeps failing inspect ${worktree}`,
            Code.Internal,
          );
  return { kind: "error", stage, error: connect, retryable: RETRYABLE.has(connect.code) };
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || (error as NodeJS.ErrnoException).code === "ABORT_ERR");
}
