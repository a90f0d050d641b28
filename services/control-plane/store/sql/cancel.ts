import { create } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { ItemStatus } from "../../../../gen/pushpals/v1/common_pb.js";
import { ItemCancelledSchema, ItemCancelRequestedSchema } from "../../../../gen/pushpals/v1/events_pb.js";
import type { QueueItem } from "../../../../gen/pushpals/v1/items_pb.js";
import { failedPrecondition } from "../../../../shared/errors.js";
import { itemEvent } from "../item-events.js";
import type { ItemQueue } from "../item-queues.js";
import { toQueueItem, type QueueItemRow } from "../rows/queue-item-row.js";
import type { WriteTx } from "../transaction.js";
import { mustExist } from "./finish-item.js";
import { lockItem } from "./held-item.js";
import { CANCELLED } from "./statuses.js";

/**
 * Pending items are cancelled at once. Claimed ones are flagged; their holder learns it
 * from its next lease renewal or heartbeat, stops, and fails or completes the item.
 * Asking again while the flag is up changes nothing.
 */
export async function cancel(tx: WriteTx, input: { itemId: string; reason: string }): Promise<QueueItem> {
  const row = await lockItem(tx, input.itemId);
  const queue = row.queue as ItemQueue;
  const about = { itemId: row.id };
  switch (row.status) {
    case ItemStatus.PENDING: {
      const [updated] = await tx.exec.rows<QueueItemRow>(sql`
        UPDATE queue_items SET status = ${CANCELLED}, finished_at = ${tx.now}, cancel_reason = ${input.reason}
         WHERE seq = ${row.seq} RETURNING *`);
      tx.emit(row.session_id, { ...about, payload: itemEvent(queue, "cancelled", create(ItemCancelledSchema, { reason: input.reason })) });
      return toQueueItem(mustExist(updated, row.id));
    }
    case ItemStatus.CLAIMED: {
      if (row.cancel_requested === 1) return toQueueItem(row);
      const [updated] = await tx.exec.rows<QueueItemRow>(sql`
        UPDATE queue_items SET cancel_requested = 1, cancel_reason = ${input.reason} WHERE seq = ${row.seq} RETURNING *`);
      tx.emit(row.session_id, {
        ...about,
        payload: itemEvent(queue, "cancelRequested", create(ItemCancelRequestedSchema, { reason: input.reason })),
      });
      return toQueueItem(mustExist(updated, row.id));
    }
    default:
      throw failedPrecondition(`cannot cancel ${row.id}: it already finished (${ItemStatus[row.status].toLowerCase().replace("_", "-")}); nothing is running to stop`);
  }
}
