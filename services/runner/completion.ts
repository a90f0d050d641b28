import { create } from "@bufbuild/protobuf";
import { QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { CompletionPayloadSchema, ItemPayloadSchema, ItemResultSchema, JobResultSchema, type CompletionPayload, type QueueItem } from "../../gen/pushpals/v1/items_pb.js";
import type { TaskExecuteV2 } from "../../gen/pushpals/v1/task_pb.js";
import type { Clients } from "../../shared/clients.js";
import type { Logger } from "../../shared/log.js";

/** The idempotency key of a job's completion: an enqueue retried after a crash returns the first one. */
export function completionKey(jobId: string): string {
  return `completion:${jobId}`;
}

export interface CompletionDraft {
  branch: string;
  sha: string;
  baseSha: string;
  summary: string;
  changedFiles: string[];
}

/**
 * Puts the job's work on the completions queue for integration. Keyed by the job, so an attempt
 * that runs again after a crash between this enqueue and Complete gets the first completion back
 * (existing: true) instead of a second one; that completion is what the job's result names then.
 */
export async function enqueueCompletion(
  queues: Clients["queues"],
  job: QueueItem,
  task: TaskExecuteV2,
  draft: CompletionDraft,
  logger: Logger,
): Promise<{ id: string; completion: CompletionPayload }> {
  const value = create(CompletionPayloadSchema, { jobId: job.id, ...draft, planning: task.planning, requestId: task.requestId });
  const { item, existing } = await queues.enqueue({
    queue: QueueName.COMPLETIONS,
    sessionId: job.sessionId,
    priority: job.priority,
    payload: create(ItemPayloadSchema, { kind: { case: "completion", value } }),
    idempotencyKey: completionKey(job.id),
    parentId: job.id,
  });
  if (!item) throw new Error(`Enqueue of the completion of ${job.id} answered without an item`);
  const stored = item.payload?.kind.case === "completion" ? item.payload.kind.value : value;
  if (existing) {
    logger.warn(
      { completionId: item.id, sha: stored.sha, rerunSha: draft.sha },
      "an earlier attempt of this job already enqueued its completion; keeping that one (this attempt's commit is not integrated)",
    );
  }
  return { id: item.id, completion: stored };
}

/** Completes the job with what integration will get. */
export async function completeJob(
  queues: Clients["queues"],
  job: QueueItem,
  leaseToken: string,
  result: { branch: string; sha: string; changedFiles: string[]; summary: string; completionId: string },
): Promise<void> {
  await queues.complete({
    itemId: job.id,
    leaseToken,
    result: create(ItemResultSchema, { kind: { case: "job", value: create(JobResultSchema, result) } }),
  });
}
