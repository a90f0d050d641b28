import { create, toBinary } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { ItemCompletedSchema } from "../../../../gen/pushpals/v1/events_pb.js";
import { ItemResultSchema, type ItemResult, type QueueItem } from "../../../../gen/pushpals/v1/items_pb.js";
import { invalidArgument, notFound } from "../../../../shared/errors.js";
import { durationFromMs } from "../../../../shared/time.js";
import { itemEvent } from "../item-events.js";
import { QUEUES, queueOfItemId } from "../item-queues.js";
import { toQueueItem, type QueueItemRow } from "../rows/queue-item-row.js";
import type { WriteTx } from "../transaction.js";
import { leaseLost, lockItem } from "./held-item.js";
import { CLAIMED, COMPLETED } from "./statuses.js";

/** Finishes a held item with its result, in one conditional UPDATE. */
export async function complete(tx: WriteTx, input: { itemId: string; leaseToken: string; result?: ItemResult }): Promise<QueueItem> {
  const queue = queueOfItemId(input.itemId);
  if (queue === undefined) throw notFound("queue item", input.itemId);
  const resultCase = input.result?.kind.case;
  if (resultCase !== undefined && resultCase !== QUEUES[queue].resultCase) {
    throw invalidArgument("result", `a ${QUEUES[queue].idKind} produces a ${QUEUES[queue].resultCase} result, got ${resultCase}`);
  }
  const result = input.result ? Buffer.from(toBinary(ItemResultSchema, input.result)) : null;
  const [row] = await tx.exec.rows<QueueItemRow>(sql`
    UPDATE queue_items
       SET status = ${COMPLETED}, result = ${result}, finished_at = ${tx.now}, lease_token = '', lease_expires_at = NULL
     WHERE id = ${input.itemId} AND status = ${CLAIMED} AND lease_token = ${input.leaseToken} AND lease_token <> ''
 RETURNING *`);
  if (!row) throw leaseLost(await lockItem(tx, input.itemId), "complete");
  const item = toQueueItem(row);
  tx.emit(row.session_id, {
    itemId: row.id,
    payload: itemEvent(queue, "completed", create(ItemCompletedSchema, { result: item.result, runTime: durationFromMs(tx.now - (row.claimed_at ?? tx.now)) })),
  });
  return item;
}
