import type { Event } from "../../../gen/pushpals/v1/events_pb.js";

export type PayloadCase = NonNullable<Event["payload"]["case"]>;

/**
 * Events that record no other state change and so may be appended as they are. The
 * rest (sessions created, queue-item transitions, job logs, artifacts) are written by
 * the operation that makes the change, so the log never claims what did not happen.
 */
export const PLAIN_EVENT_CASES: ReadonlySet<PayloadCase> = new Set<PayloadCase>([
  "message",
  "assistantMessage",
  "jobProgress",
  "planCreated",
  "agentStep",
  "tokenUsage",
  "validationResult",
  "integrationStep",
  "pullRequestUpdated",
  "question",
  "error",
]);
