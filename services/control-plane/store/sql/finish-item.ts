import { sql, type SQL } from "drizzle-orm";
import type { QueueItem } from "../../../../gen/pushpals/v1/items_pb.js";
import { toQueueItem, type QueueItemRow } from "../rows/queue-item-row.js";
import type { WriteTx } from "../transaction.js";

/** Moves a locked item to a final status, releasing its lease and keeping the error. */
export async function finishItem(tx: WriteTx, row: QueueItemRow, status: SQL, error: string): Promise<QueueItem> {
  const [updated] = await tx.exec.rows<QueueItemRow>(sql`
    UPDATE queue_items
       SET status = ${status}, finished_at = ${tx.now}, last_error = ${error}, lease_token = '', lease_expires_at = NULL
     WHERE seq = ${row.seq}
 RETURNING *`);
  return toQueueItem(mustExist(updated, row.id));
}

export function mustExist(row: QueueItemRow | undefined, id: string): QueueItemRow {
  // The row was read under a lock in this transaction; losing it is a bug, not a user error.
  if (!row) throw new Error(`queue item ${id} disappeared inside its own transaction`);
  return row;
}
