import { Code, ConnectError } from "@connectrpc/connect";
import type { CompletionPayload } from "../../../gen/pushpals/v1/items_pb.js";
import type { QueueClient } from "./clients.js";

/**
 * How many repair rounds the work behind `completion` has had: the round of the
 * repair job that produced it (RepairContext travels with the job, and the completion
 * names its job), 0 for a first attempt or a job the queue does not know.
 */
export async function repairRoundsSoFar(queues: QueueClient, completion: CompletionPayload, signal?: AbortSignal): Promise<number> {
  try {
    const { item } = await queues.getItem({ itemId: completion.jobId }, { signal });
    const kind = item?.payload?.kind;
    return kind?.case === "taskExecuteV2" ? (kind.value.repair?.round ?? 0) : 0;
  } catch (error) {
    if (error instanceof ConnectError && error.code === Code.NotFound) return 0;
    throw error;
  }
}
