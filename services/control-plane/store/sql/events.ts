import { fromBinary } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { EventSchema, type Event } from "../../../../gen/pushpals/v1/events_pb.js";
import { invalidArgument } from "../../../../shared/errors.js";
import { toTimestamp } from "../../../../shared/time.js";
import type { Executor } from "../dialect/dialect.js";
import type { EventDraft } from "../store.js";
import type { WriteTx } from "../transaction.js";
import { PLAIN_EVENT_CASES } from "../plain-events.js";
import { positiveLimit, requireSession } from "./sessions.js";

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

/** Events with seq > afterSeq, oldest first; with itemId, only those about that item. */
export async function listEvents(exec: Executor, input: { sessionId: string; afterSeq: bigint; limit: number; itemId?: string }): Promise<Event[]> {
  const aboutItem = input.itemId ? sql`AND item_id = ${input.itemId}` : sql``;
  const rows = await exec.rows<{ seq: number; time: number; item_id: string; objective_id: string; data: Uint8Array }>(sql`
    SELECT seq, time, item_id, objective_id, data FROM events
     WHERE session_id = ${input.sessionId} AND seq > ${Number(input.afterSeq)} ${aboutItem}
     ORDER BY seq LIMIT ${positiveLimit(input.limit)}`);
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
