import { sql } from "drizzle-orm";
import { ItemStatus } from "../../../../gen/pushpals/v1/common_pb.js";
import { leaseLostError, notFound } from "../../../../shared/errors.js";
import type { QueueItemRow } from "../rows/queue-item-row.js";
import type { WriteTx } from "../transaction.js";

/** The item's row, locked until the transaction ends (Postgres; SQLite's transaction is exclusive). */
export async function lockItem(tx: WriteTx, itemId: string, kind = "queue item"): Promise<QueueItemRow> {
  const [row] = await tx.exec.rows<QueueItemRow>(sql`SELECT * FROM queue_items WHERE id = ${itemId} ${tx.dialect.lockRow}`);
  if (!row) throw notFound(kind, itemId);
  return row;
}

/** Throws unless the item is claimed under this lease token. */
export function requireLease(row: QueueItemRow, leaseToken: string, action: string): void {
  if (row.status === ItemStatus.CLAIMED && leaseToken !== "" && row.lease_token === leaseToken) return;
  throw leaseLost(row, action);
}

/** Why a lease token no longer holds an item, and what its holder must do. */
export function leaseLost(row: QueueItemRow, action: string): Error {
  const state = row.status === ItemStatus.CLAIMED ? `it is held under another lease (by ${row.claimed_by})` : `it is ${ItemStatus[row.status].toLowerCase().replace("_", "-")}`;
  return leaseLostError(`cannot ${action} ${row.id}: the lease is lost because ${state}; stop working on it without committing anything`, {
    itemId: row.id,
    status: row.status,
    heldBy: row.status === ItemStatus.CLAIMED ? (row.claimed_by ?? "") : "",
  });
}
