import { ItemStatus, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import type { QueueItem } from "../../gen/pushpals/v1/items_pb.js";
import { failedPrecondition, notFound } from "../../shared/errors.js";
import type { Store } from "./store/store.js";

/** Where a running job's conversation with the person stands, read back from its events. */
export interface JobConversationState {
  job: QueueItem;
  /** The seq of the agent_question not answered yet, when there is one. */
  openQuestionSeq?: bigint;
  paused: boolean;
}

const PAGE = 1000;

/**
 * The job, which must be running (claimed), and its conversation state over all its attempts: a
 * question or a pause an attempt left open when its runner died stays open, and the job's next
 * attempt takes it up (it starts from the checkpoint with that conversation). With `betweenAttempts`
 * a job back in the queue after such an attempt (pending, claimed before) is accepted too: an
 * answer or a follow-up then waits in its log for the next attempt.
 */
export async function runningJobConversation(store: Store, jobId: string, options: { betweenAttempts?: boolean } = {}): Promise<JobConversationState> {
  const job = await store.getItem(jobId);
  if (!job || job.queue !== QueueName.JOBS) throw notFound("job", jobId);
  const waitingForRetry = options.betweenAttempts === true && job.status === ItemStatus.PENDING && job.attempts > 0;
  if (job.status !== ItemStatus.CLAIMED && !waitingForRetry) {
    throw failedPrecondition(
      `job ${jobId} is ${ItemStatus[job.status].toLowerCase()}, not running; only a running job takes messages, answers, pauses and commands (see pushpals jobs)`,
    );
  }
  const state: JobConversationState = { job, paused: false };
  for (let afterSeq = 0n; ; ) {
    const events = await store.listEvents({ sessionId: job.sessionId, afterSeq, limit: PAGE, itemId: jobId });
    for (const event of events) {
      switch (event.payload.case) {
        case "agentQuestion":
          state.openQuestionSeq = event.seq;
          break;
        case "questionAnswered":
          state.openQuestionSeq = undefined;
          break;
        case "jobPaused":
          state.paused = true;
          break;
        case "jobResumed":
          state.paused = false;
          break;
      }
    }
    if (events.length < PAGE) return state;
    afterSeq = events.at(-1)!.seq;
  }
}
