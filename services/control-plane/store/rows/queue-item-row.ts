import { create, fromBinary } from "@bufbuild/protobuf";
import type { ItemStatus, Priority, QueueName } from "../../../../gen/pushpals/v1/common_pb.js";
import { ItemPayloadSchema, ItemResultSchema, QueueItemSchema, type QueueItem } from "../../../../gen/pushpals/v1/items_pb.js";
import { toTimestamp } from "../../../../shared/time.js";

/** A queue_items row as both drivers return it. */
export interface QueueItemRow {
  seq: number;
  id: string;
  queue: QueueName;
  session_id: string;
  priority: Priority;
  status: ItemStatus;
  payload: Uint8Array;
  result: Uint8Array | null;
  idempotency_key: string;
  attempts: number;
  max_attempts: number;
  claimed_by: string;
  target_worker_id: string;
  lease_token: string;
  lease_expires_at: number | null;
  cancel_requested: number;
  cancel_reason: string;
  last_error: string;
  parent_id: string;
  enqueued_at: number;
  available_at: number;
  claimed_at: number | null;
  first_claimed_at: number | null;
  finished_at: number | null;
  last_log_line: number;
  trace_parent: string;
}

export function toQueueItem(row: QueueItemRow): QueueItem {
  return create(QueueItemSchema, {
    id: row.id,
    queue: row.queue,
    sessionId: row.session_id,
    priority: row.priority,
    status: row.status,
    payload: fromBinary(ItemPayloadSchema, row.payload),
    idempotencyKey: row.idempotency_key,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    claimedBy: row.claimed_by,
    targetWorkerId: row.target_worker_id,
    cancelRequested: row.cancel_requested === 1,
    lastError: row.last_error,
    parentId: row.parent_id,
    enqueuedAt: toTimestamp(row.enqueued_at),
    availableAt: toTimestamp(row.available_at),
    claimedAt: optionalTimestamp(row.claimed_at),
    leaseExpiresAt: optionalTimestamp(row.lease_expires_at),
    finishedAt: optionalTimestamp(row.finished_at),
    result: row.result ? fromBinary(ItemResultSchema, row.result) : undefined,
    traceParent: row.trace_parent ?? "",
  });
}

function optionalTimestamp(ms: number | null) {
  return ms === null ? undefined : toTimestamp(ms);
}
