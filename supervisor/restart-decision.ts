import type { RunOutcome } from "./child-run.js";
import { DoNotRestart, TerminateTree } from "./errors.js";
import type { RestartPolicy } from "./options.js";

/** restart: start it again (after backoff); done: leave it ended; terminate-tree: stop everything and escalate. */
export type RestartDecision = "restart" | "done" | "terminate-tree";

/** What a supervisor does when a child ended by itself (not because it was asked to stop). */
export function decideRestart(policy: RestartPolicy, outcome: RunOutcome): RestartDecision {
  if (outcome.kind === "failed") {
    if (outcome.error instanceof TerminateTree) return "terminate-tree";
    if (outcome.error instanceof DoNotRestart) return "done";
    return policy === "temporary" ? "done" : "restart";
  }
  return policy === "permanent" ? "restart" : "done";
}
