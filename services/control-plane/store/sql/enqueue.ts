import { create, toBinary } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { ItemEnqueuedSchema } from "../../../../gen/pushpals/v1/events_pb.js";
import { Priority, QueueName } from "../../../../gen/pushpals/v1/common_pb.js";
import { ItemPayloadSchema, type QueueItem } from "../../../../gen/pushpals/v1/items_pb.js";
import { invalidArgument, notFound } from "../../../../shared/errors.js";
import { newId } from "../../../../shared/ids.js";
import { itemEvent } from "../item-events.js";
import { isItemQueue, QUEUES, type ItemQueue } from "../item-queues.js";
import { toQueueItem, type QueueItemRow } from "../rows/queue-item-row.js";
import type { EnqueueInput } from "../store.js";
import type { WriteTx } from "../transaction.js";
import { PENDING } from "./statuses.js";

const MAX_ATTEMPTS_LIMIT = 100;

/**
 * A new pending item and its *_enqueued event; or, when the idempotency key is already
 * used on this queue, the existing item and no event.
 */
export async function enqueue(tx: WriteTx, input: EnqueueInput): Promise<{ item: QueueItem; existing: boolean }> {
  const queue = checkQueue(input);
  const maxAttempts = checkMaxAttempts(input.maxAttempts, tx.settings.defaultMaxAttempts);
  const delayMs = input.delayMs ?? 0;
  if (!(delayMs >= 0)) throw invalidArgument("delay", `must not be negative, got ${delayMs} ms`);
  const key = input.idempotencyKey ?? "";
  // The session check rides in the INSERT (no row without the session) to save a round trip.
  const [row] = await tx.exec.rows<QueueItemRow>(sql`
    INSERT INTO queue_items (id, queue, session_id, priority, status, payload, idempotency_key, max_attempts,
                             target_worker_id, parent_id, enqueued_at, available_at, trace_parent)
    SELECT ${newId(QUEUES[queue].idKind)}, ${queue}, ${input.sessionId}, ${storedPriority(input.priority)}, ${PENDING},
           ${Buffer.from(toBinary(ItemPayloadSchema, input.payload))}, ${key}, ${maxAttempts},
           ${input.targetWorkerId ?? ""}, ${input.parentId ?? ""}, ${tx.now}, ${tx.now + delayMs}, ${input.traceParent ?? ""}
     WHERE EXISTS (SELECT 1 FROM sessions WHERE id = ${input.sessionId})
    ON CONFLICT (queue, idempotency_key) WHERE idempotency_key <> '' DO NOTHING
    RETURNING *`);
  if (!row) {
    // No row: the idempotency key was taken (return that item), or the session does not exist.
    const [earlier] = key === "" ? [] : await tx.exec.rows<QueueItemRow>(sql`SELECT * FROM queue_items WHERE queue = ${queue} AND idempotency_key = ${key}`);
    if (!earlier) throw notFound("session", input.sessionId);
    return { item: toQueueItem(earlier), existing: true };
  }
  const item = toQueueItem(row);
  tx.emit(row.session_id, {
    itemId: row.id,
    payload: itemEvent(queue, "enqueued", create(ItemEnqueuedSchema, { item })),
  });
  return { item, existing: false };
}

/** Unspecified means normal, so that bands sort interactive (1) < normal (2) < background (3). */
function storedPriority(priority: Priority): Priority {
  return priority === Priority.UNSPECIFIED ? Priority.NORMAL : priority;
}

function checkQueue(input: EnqueueInput): ItemQueue {
  const { queue } = input;
  if (!isItemQueue(queue)) {
    throw invalidArgument("queue", `must be requests, jobs or completions, got ${QueueName[queue] ?? queue}`);
  }
  const expected = QUEUES[queue].payloadCase;
  if (input.payload.kind.case !== expected) {
    throw invalidArgument("payload", `items on the ${QueueName[queue].toLowerCase()} queue carry a ${expected} payload, got ${input.payload.kind.case ?? "none"}`);
  }
  if (input.priority !== Priority.UNSPECIFIED && !(input.priority in Priority)) {
    throw invalidArgument("priority", `unknown priority ${input.priority}`);
  }
  return queue;
}

function checkMaxAttempts(requested: number | undefined, fallback: number): number {
  if (requested === undefined || requested === 0) return fallback;
  if (!Number.isInteger(requested) || requested < 1 || requested > MAX_ATTEMPTS_LIMIT) {
    throw invalidArgument("max_attempts", `must be 1..${MAX_ATTEMPTS_LIMIT} (0 for the default of ${fallback}), got ${requested}`);
  }
  return requested;
}
