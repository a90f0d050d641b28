import { create } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { ItemClaimedSchema } from "../../../../gen/pushpals/v1/events_pb.js";
import { QueueName } from "../../../../gen/pushpals/v1/common_pb.js";
import { invalidArgument } from "../../../../shared/errors.js";
import { newId, WORKER_ID } from "../../../../shared/ids.js";
import { toTimestamp } from "../../../../shared/time.js";
import { itemEvent } from "../item-events.js";
import { isItemQueue } from "../item-queues.js";
import { toQueueItem, type QueueItemRow } from "../rows/queue-item-row.js";
import type { ClaimInput, Claimed } from "../store.js";
import type { WriteTx } from "../transaction.js";
import { REAP_EVERY_MS } from "../settings.js";
import { reapExpiredLeases } from "./reap.js";
import { CLAIMED, PENDING } from "./statuses.js";

/**
 * Takes the next claimable item in one statement: pending, available, targeted at
 * nobody or this worker; interactive before normal before background, first in first
 * out inside a band. Counts the attempt and hands out a fresh lease token. On Postgres
 * the inner SELECT skips rows other claimers have locked, so claimers never wait on
 * each other.
 */
export async function claim(tx: WriteTx, input: ClaimInput): Promise<Claimed | undefined> {
  const { queue, workerId, leaseMs } = input;
  if (!isItemQueue(queue)) throw invalidArgument("queue", `must be requests, jobs or completions, got ${QueueName[queue] ?? queue}`);
  if (!WORKER_ID.test(workerId)) throw invalidArgument("worker_id", `${JSON.stringify(workerId)} must match ${WORKER_ID.source}`);
  if (!(leaseMs > 0)) throw invalidArgument("lease_duration", `must be positive, got ${leaseMs} ms`);

  const reapedAt = tx.settings.reapedAt.get(queue);
  if (reapedAt === undefined || tx.now - reapedAt >= REAP_EVERY_MS || tx.now < reapedAt) {
    tx.settings.reapedAt.set(queue, tx.now);
    await reapExpiredLeases(tx, queue);
  }
  const leaseToken = newId("lease");
  const leaseExpiresAt = tx.now + leaseMs;
  const [row] = await tx.exec.rows<QueueItemRow>(sql`
    UPDATE queue_items
       SET status = ${CLAIMED}, attempts = attempts + 1, claimed_by = ${workerId},
           lease_token = ${leaseToken}, lease_expires_at = ${leaseExpiresAt},
           claimed_at = ${tx.now}, first_claimed_at = COALESCE(first_claimed_at, ${tx.now})
     WHERE seq = (
             SELECT seq FROM queue_items
              WHERE queue = ${queue} AND status = ${PENDING} AND available_at <= ${tx.now}
                AND (target_worker_id = '' OR target_worker_id = ${workerId})
              ORDER BY priority, seq
              LIMIT 1
              ${tx.dialect.lockSkipLocked})
 RETURNING *`);
  if (!row) return undefined;
  tx.emit(row.session_id, {
    itemId: row.id,
    payload: itemEvent(queue, "claimed", create(ItemClaimedSchema, { workerId, attempt: row.attempts, leaseExpiresAt: toTimestamp(leaseExpiresAt) })),
  });
  return { item: toQueueItem(row), leaseToken, leaseExpiresAt };
}
