import { Code } from "@connectrpc/connect";

/** Failures that may pass on their own: the request goes back to the queue rather than failing for good. */
const TRANSIENT = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted]);

export function isTransient(code: Code): boolean {
  return TRANSIENT.has(code);
}

/** What the person can do about a failed planning attempt (the message says what went wrong). */
export function hintFor(code: Code): string {
  if (isTransient(code)) return "PushPals puts the request back on the queue and tries again; check the model server if this repeats";
  if (code === Code.Unauthenticated || code === Code.PermissionDenied) return "fix the planner's API key, then send the request again";
  if (code === Code.NotFound) return "fix the planner's model name or base URL, then send the request again";
  return "fix what the message names, then send the request again";
}

export const INVALID_PLAN_HINT = "send the request again in other words (say which files and what done looks like), or set PUSHPALS_PLANNER_LLM_MODEL to a stronger model";
