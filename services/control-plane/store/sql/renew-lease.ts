import { sql } from "drizzle-orm";
import { invalidArgument } from "../../../../shared/errors.js";
import type { WriteTx } from "../transaction.js";
import { leaseLost, lockItem } from "./held-item.js";
import { CLAIMED } from "./statuses.js";

/**
 * Extends a held lease. A lease that has expired but has not been reaped yet still
 * holds: nobody else can have the item until a reap puts it back.
 */
export async function renewLease(tx: WriteTx, input: { itemId: string; leaseToken: string; leaseMs: number }): Promise<{ leaseExpiresAt: number; cancelRequested: boolean }> {
  if (!(input.leaseMs > 0)) throw invalidArgument("lease_duration", `must be positive, got ${input.leaseMs} ms`);
  const leaseExpiresAt = tx.now + input.leaseMs;
  const [row] = await tx.exec.rows<{ cancel_requested: number }>(sql`
    UPDATE queue_items SET lease_expires_at = ${leaseExpiresAt}
     WHERE id = ${input.itemId} AND status = ${CLAIMED} AND lease_token = ${input.leaseToken} AND lease_token <> ''
 RETURNING cancel_requested`);
  if (!row) throw leaseLost(await lockItem(tx, input.itemId), "renew the lease on");
  return { leaseExpiresAt, cancelRequested: row.cancel_requested === 1 };
}
