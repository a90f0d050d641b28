import { create, toBinary } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { EventSchema, type Event } from "../../../../gen/pushpals/v1/events_pb.js";
import { notFound } from "../../errors.js";
import { toTimestamp } from "../../time.js";
import type { Executor } from "../dialect/dialect.js";

export interface PendingEvent {
  sessionId: string;
  itemId?: string;
  payload: Event["payload"];
}

/** Rows per INSERT, well under both dialects' bound-parameter limits (6 per row). */
const ROWS_PER_INSERT = 500;

/**
 * Appends events to their sessions' logs. Per session, one UPDATE hands out a block of
 * gap-free seqs (and locks the session row until commit on Postgres), then the events
 * are inserted with them. Sessions are taken in id order so two transactions touching
 * the same sessions cannot deadlock. An event's time never goes backwards within its
 * session, even if clocks of several processes disagree.
 */
export async function appendEvents(exec: Executor, pending: PendingEvent[], now: number): Promise<Event[]> {
  const bySession = new Map<string, PendingEvent[]>();
  for (const event of pending) {
    const list = bySession.get(event.sessionId) ?? [];
    list.push(event);
    bySession.set(event.sessionId, list);
  }
  const appended: Event[] = [];
  for (const sessionId of [...bySession.keys()].sort()) {
    const drafts = bySession.get(sessionId) ?? [];
    const [block] = await exec.rows<{ last_seq: number; updated_at: number }>(sql`
      UPDATE sessions
         SET last_seq = last_seq + ${drafts.length},
             updated_at = CASE WHEN updated_at > ${now} THEN updated_at ELSE ${now} END
       WHERE id = ${sessionId}
   RETURNING last_seq, updated_at`);
    if (!block) throw notFound("session", sessionId);
    const firstSeq = block.last_seq - drafts.length + 1;
    const time = toTimestamp(block.updated_at);
    const events = drafts.map((draft, index) =>
      create(EventSchema, {
        sessionId,
        seq: BigInt(firstSeq + index),
        time,
        itemId: draft.itemId ?? "",
        payload: draft.payload,
      }),
    );
    for (let start = 0; start < events.length; start += ROWS_PER_INSERT) {
      const rows = events.slice(start, start + ROWS_PER_INSERT).map(
        (event) =>
          sql`(${sessionId}, ${Number(event.seq)}, ${block.updated_at}, ${event.itemId}, ${event.payload.case ?? ""}, ${Buffer.from(toBinary(EventSchema, event))})`,
      );
      await exec.run(sql`INSERT INTO events (session_id, seq, time, item_id, payload_case, data) VALUES ${sql.join(rows, sql`, `)}`);
    }
    appended.push(...events);
  }
  return appended;
}
