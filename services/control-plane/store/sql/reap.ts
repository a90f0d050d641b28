import { sql } from "drizzle-orm";
import type { ItemQueue } from "../item-queues.js";
import type { QueueItemRow } from "../rows/queue-item-row.js";
import type { WriteTx } from "../transaction.js";
import { retryOrEnd } from "./retry.js";
import { CLAIMED } from "./statuses.js";

/**
 * Claimed items whose lease expired go back to pending (the attempt is spent, backoff
 * applies) or, with no attempts left, to dead-letter; ones whose cancel was requested
 * end cancelled. With a queue, only that queue's items (claims reap their own queue
 * first, so a crashed worker's item is not stuck until the next sweep).
 */
export async function reapExpiredLeases(tx: WriteTx, queue?: ItemQueue): Promise<number> {
  const inQueue = queue === undefined ? sql`` : sql`queue = ${queue} AND`;
  const expired = await tx.exec.rows<QueueItemRow>(sql`
    SELECT * FROM queue_items
     WHERE ${inQueue} status = ${CLAIMED} AND lease_expires_at <= ${tx.now}
     ORDER BY seq
     ${tx.dialect.lockSkipLocked}`);
  for (const row of expired) {
    await retryOrEnd(tx, row, {
      reason: "lease expired",
      error: `lease expired: worker ${row.claimed_by} stopped renewing it`,
      endedAt: row.lease_expires_at ?? tx.now,
    });
  }
  return expired.length;
}
