import type { Event } from "../../../gen/pushpals/v1/events_pb.js";

export type PayloadCase = NonNullable<Event["payload"]["case"]>;

/** What a person says to a running job: recorded only by ExecutionService, which checks the job's state. */
export const PERSON_TO_JOB_CASES: ReadonlySet<PayloadCase> = new Set<PayloadCase>(["questionAnswered", "jobFollowUp", "jobPaused", "jobResumed", "shellCommand"]);

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
  // A job's conversation with the person: the runner records what its agent asked and what a
  // shell command printed; the person's side is checked against the job by ExecutionService.
  "agentQuestion",
  "shellResult",
  ...PERSON_TO_JOB_CASES,
]);
