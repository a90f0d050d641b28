import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import type { QueueItem } from "../../gen/pushpals/v1/items_pb.js";
import { fromTimestamp } from "../time.js";
import { claimLatency, itemDuration, queueLabel } from "./metrics.js";

/** A claim handed out: how long the item waited since it became claimable. */
export function observeClaim(item: QueueItem): void {
  const claimedAt = fromTimestamp(item.claimedAt);
  const availableAt = fromTimestamp(item.availableAt);
  if (claimedAt === undefined || availableAt === undefined) return;
  claimLatency.observe({ queue: queueLabel(item.queue) }, Math.max(0, claimedAt - availableAt) / 1000);
}

/** A holder reported (complete, fail) or the item was cancelled: how long the attempt ran and how it ended. */
export function observeFinish(item: QueueItem, now = Date.now()): void {
  const claimedAt = fromTimestamp(item.claimedAt);
  if (claimedAt === undefined) return;
  const endedAt = fromTimestamp(item.finishedAt) ?? now;
  itemDuration.observe({ queue: queueLabel(item.queue), outcome: outcomeOf(item.status) }, Math.max(0, endedAt - claimedAt) / 1000);
}

function outcomeOf(status: ItemStatus): string {
  // Back to pending after a failed attempt: it will run again.
  if (status === ItemStatus.PENDING) return "retried";
  return (ItemStatus[status] ?? String(status)).toLowerCase();
}
