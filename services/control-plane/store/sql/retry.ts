import { create } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { ItemCancelledSchema, ItemDeadLetteredSchema, ItemRequeuedSchema } from "../../../../gen/pushpals/v1/events_pb.js";
import type { QueueItem } from "../../../../gen/pushpals/v1/items_pb.js";
import { toTimestamp } from "../../../../shared/time.js";
import { itemEvent } from "../item-events.js";
import type { ItemQueue } from "../item-queues.js";
import { toQueueItem, type QueueItemRow } from "../rows/queue-item-row.js";
import { backoffMs } from "../settings.js";
import type { WriteTx } from "../transaction.js";
import { finishItem, mustExist } from "./finish-item.js";
import { CANCELLED, DEAD_LETTER, PENDING } from "./statuses.js";

/**
 * Ends a claimed item's failed attempt (a retryable failure or an expired lease):
 *  - its cancel was requested → cancelled (a retry would run what someone stopped);
 *  - no attempts left → dead-letter, keeping the error;
 *  - else → pending again after the backoff for the attempts spent, counted from when
 *    the attempt ended (`endedAt`: now for a failure, the expiry for a lost lease — so a
 *    claim that reaps a long-expired item can take it at once).
 * The caller holds the row (locked read, or SQLite's exclusive transaction).
 */
export async function retryOrEnd(tx: WriteTx, row: QueueItemRow, why: { reason: string; error: string; endedAt: number }): Promise<QueueItem> {
  const queue = row.queue as ItemQueue;
  const about = { itemId: row.id };
  if (row.cancel_requested === 1) {
    const item = await finishItem(tx, row, CANCELLED, why.error);
    tx.emit(row.session_id, { ...about, payload: itemEvent(queue, "cancelled", create(ItemCancelledSchema, { reason: row.cancel_reason })) });
    return item;
  }
  if (row.attempts >= row.max_attempts) {
    const item = await finishItem(tx, row, DEAD_LETTER, why.error);
    tx.emit(row.session_id, {
      ...about,
      payload: itemEvent(queue, "deadLettered", create(ItemDeadLetteredSchema, { lastError: why.error, attempts: row.attempts })),
    });
    return item;
  }
  const availableAt = why.endedAt + backoffMs(tx.settings, row.attempts);
  const [updated] = await tx.exec.rows<QueueItemRow>(sql`
    UPDATE queue_items
       SET status = ${PENDING}, available_at = ${availableAt}, last_error = ${why.error},
           lease_token = '', lease_expires_at = NULL
     WHERE seq = ${row.seq}
 RETURNING *`);
  tx.emit(row.session_id, {
    ...about,
    payload: itemEvent(queue, "requeued", create(ItemRequeuedSchema, { reason: why.reason, error: why.error, attempt: row.attempts, availableAt: toTimestamp(availableAt) })),
  });
  return toQueueItem(mustExist(updated, row.id));
}
