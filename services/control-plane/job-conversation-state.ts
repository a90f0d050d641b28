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
 * The job, which must be running (claimed), and its conversation state in the current attempt:
 * a claim starts afresh, so a question or pause of an attempt that ended counts no more.
 */
export async function runningJobConversation(store: Store, jobId: string): Promise<JobConversationState> {
  const job = await store.getItem(jobId);
  if (!job || job.queue !== QueueName.JOBS) throw notFound("job", jobId);
  if (job.status !== ItemStatus.CLAIMED) {
    throw failedPrecondition(
      `job ${jobId} is ${ItemStatus[job.status].toLowerCase()}, not running; only a running job takes messages, answers, pauses and commands (see pushpals jobs)`,
    );
  }
  const state: JobConversationState = { job, paused: false };
  for (let afterSeq = 0n; ; ) {
    const events = await store.listEvents({ sessionId: job.sessionId, afterSeq, limit: PAGE, itemId: jobId });
    for (const event of events) {
      switch (event.payload.case) {
        case "jobClaimed":
          state.openQuestionSeq = undefined;
          state.paused = false;
          break;
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
