import { fromBinary } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { EventSchema, type Event } from "../../../../gen/pushpals/v1/events_pb.js";
import { invalidArgument } from "../../../../shared/errors.js";
import { toTimestamp } from "../../../../shared/time.js";
import type { Dialect, Executor } from "../dialect/dialect.js";
import type { EventDraft } from "../store.js";
import type { WriteTx } from "../transaction.js";
import { PLAIN_EVENT_CASES } from "../plain-events.js";
import { positiveLimit, requireSession, sessionKeyOf } from "./sessions.js";

export async function appendPlainEvents(tx: WriteTx, sessionId: string, drafts: EventDraft[]): Promise<void> {
  drafts.forEach((draft, index) => {
    const eventCase = draft.payload.case;
    if (eventCase === undefined || !PLAIN_EVENT_CASES.has(eventCase)) {
      throw invalidArgument(
        `events[${index}].payload`,
        `${eventCase ?? "an empty payload"} cannot be appended directly; use one of ${[...PLAIN_EVENT_CASES].join(", ")} (the other events are written by the operation they record)`,
      );
    }
  });
  await requireSession(tx.exec, sessionId);
  for (const draft of drafts) tx.emit(sessionId, draft);
}

/**
 * Events with seq > afterSeq, oldest first; with itemId, only those about that item. Rows name
 * their session and item by integer keys (see append-events.ts); the ids are read back through
 * them. The keys are scalar subqueries, constants to both planners, so a page is one range of
 * the primary key or of events_item, in seq order, however long the session.
 */
export async function listEvents(exec: Executor, dialect: Dialect["kind"], input: { sessionId: string; afterSeq: bigint; limit: number; itemId?: string }): Promise<Event[]> {
  const aboutItem = input.itemId ? sql`AND e.item_seq = ${itemSeqOf(input.itemId)} AND e.item_id = ${storedItemIdOf(input.itemId)}` : sql``;
  // Without statistics (the store never runs ANALYZE) SQLite prefers the clustered primary key,
  // reading every later event of the session to find the item's; the hint keeps it on the item's range.
  const itemIndex = input.itemId && dialect === "sqlite" ? sql`INDEXED BY events_item` : sql``;
  // The item id is looked up per row (a correlated subquery), not joined: for a session's tail
  // Postgres chose a merge join that walked queue_items' whole primary key (49 ms at 200k items,
  // 0.5 ms for the 100 events), and the page is at most `limit` rows of index lookups this way.
  const rows = await exec.rows<{ seq: number; time: number; item_id: string; objective_id: string; data: Uint8Array }>(sql`
    SELECT e.seq, e.time, coalesce((SELECT q.id FROM queue_items q WHERE q.seq = e.item_seq), e.item_id) AS item_id, e.objective_id, e.data
      FROM events e ${itemIndex}
     WHERE e.session_key = ${sessionKeyOf(input.sessionId)} AND e.seq > ${Number(input.afterSeq)} ${aboutItem}
     ORDER BY e.seq LIMIT ${positiveLimit(input.limit)}`);
  // An empty page is either the end of the log or a wrong session id; tell them apart.
  if (rows.length === 0) await requireSession(exec, input.sessionId);
  return rows.map((row) => {
    // The bytes carry the event's payload; seq, time and ids come from the columns (see append-events.ts).
    const event = fromBinary(EventSchema, row.data);
    event.sessionId = input.sessionId;
    event.itemId = row.item_id;
    event.seq = BigInt(row.seq);
    event.time = toTimestamp(row.time);
    event.objectiveId = row.objective_id;
    return event;
  });
}

/** The item's queue_items.seq as events store it: 0 for an id that names no queue item. */
const itemSeqOf = (itemId: string) => sql`(SELECT coalesce(max(seq), 0) FROM queue_items WHERE id = ${itemId})`;

/** What events store in item_id for this item: the id itself only when it names no queue item, else ''. */
const storedItemIdOf = (itemId: string) => sql`(SELECT CASE WHEN count(*) = 0 THEN CAST(${itemId} AS text) ELSE '' END FROM queue_items WHERE id = ${itemId})`;
