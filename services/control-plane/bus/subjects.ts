import { QueueName } from "../../../gen/pushpals/v1/common_pb.js";

const QUEUE_TOKENS: Record<QueueName, string> = {
  [QueueName.UNSPECIFIED]: "unspecified",
  [QueueName.REQUESTS]: "requests",
  [QueueName.JOBS]: "jobs",
  [QueueName.COMPLETIONS]: "completions",
};

/** Every subject PushPals publishes on, in one place. Each carries event notices (event-notices.ts), never events. */
export const subjects = {
  sessionEvents: (sessionId: string) => `pushpals.session.${sessionId}.events`,
  allSessionEvents: "pushpals.session.*.events",
  jobLogs: (jobId: string) => `pushpals.job.${jobId}.logs`,
  queueEnqueued: (queue: QueueName) => `pushpals.queue.${QUEUE_TOKENS[queue]}.enqueued`,
} as const;
