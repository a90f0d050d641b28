import { create, toBinary } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { EventSchema, type Event } from "../../../../gen/pushpals/v1/events_pb.js";
import { notFound } from "../../../../shared/errors.js";
import { toTimestamp } from "../../../../shared/time.js";
import type { Dialect, Executor } from "../dialect/dialect.js";

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
 * are inserted with them — on Postgres in the same statement, saving a round trip.
 * Sessions are taken in id order so two transactions touching the same sessions cannot
 * deadlock. An event's time never goes backwards within its session, even if clocks of
 * several processes disagree. The stored bytes hold the event without its seq and time,
 * which its columns carry (so they are known only once the row is written), nor its ids:
 * the row names its session by session_key and its item by the item's queue_items.seq
 * (looked up in the INSERT itself), integers instead of 30-character ids (issue 17).
 */
export async function appendEvents(exec: Executor, dialect: Dialect["kind"], pending: PendingEvent[], now: number): Promise<Event[]> {
  const bySession = new Map<string, PendingEvent[]>();
  for (const event of pending) {
    const list = bySession.get(event.sessionId) ?? [];
    list.push(event);
    bySession.set(event.sessionId, list);
  }
  const append = dialect === "postgres" ? appendInOneStatement : appendInTwoStatements;
  const appended: Event[] = [];
  for (const sessionId of [...bySession.keys()].sort()) {
    const drafts = bySession.get(sessionId) ?? [];
    for (let start = 0; start < drafts.length; start += ROWS_PER_INSERT) {
      const events = drafts.slice(start, start + ROWS_PER_INSERT).map((draft) => create(EventSchema, { sessionId, itemId: draft.itemId ?? "", payload: draft.payload }));
      const { lastSeq, time, objectiveId } = await append(exec, sessionId, events, now);
      const firstSeq = lastSeq - events.length + 1;
      events.forEach((event, index) => {
        event.seq = BigInt(firstSeq + index);
        event.time = toTimestamp(time);
        event.objectiveId = objectiveId;
      });
      appended.push(...events);
    }
  }
  return appended;
}

/** The block of seqs handed out, its time, and the session's objective (which its events carry, like seq and time, in a column). */
type Append = (exec: Executor, sessionId: string, events: Event[], now: number) => Promise<{ lastSeq: number; time: number; objectiveId: string }>;

const bumpSession = (sessionId: string, count: number, now: number) => sql`
  UPDATE sessions
     SET last_seq = last_seq + ${count},
         updated_at = CASE WHEN updated_at > ${now} THEN updated_at ELSE ${now} END
   WHERE id = ${sessionId}
RETURNING last_seq, updated_at, objective_id, session_key`;

/**
 * The columns an event's item is stored in: the item's seq, or — for an id that names no queue
 * item (which AppendEvents does not forbid) — 0 and the id itself, so the id is never lost.
 * `v.item_id` is the event's item id ('' for none), `q` the queue item joined on it.
 */
const ITEM_COLUMNS = sql.raw("coalesce(q.seq, 0), CASE WHEN q.seq IS NULL THEN v.item_id ELSE '' END");
const JOIN_ITEM = sql.raw("LEFT JOIN queue_items q ON q.id = v.item_id AND v.item_id <> ''");

const appendInTwoStatements: Append = async (exec, sessionId, events, now) => {
  const [block] = await exec.rows<{ last_seq: number; updated_at: number; objective_id: string; session_key: number }>(bumpSession(sessionId, events.length, now));
  if (!block) throw notFound("session", sessionId);
  const firstSeq = block.last_seq - events.length + 1;
  const rows = events.map((event, index) => sql`(${firstSeq + index}, ${event.itemId}, ${event.payload.case ?? ""}, ${stored(event)})`);
  // SQLite names a VALUES list's columns column1, column2, ...; the subquery renames them.
  await exec.run(sql`
    INSERT INTO events (session_key, seq, time, item_seq, item_id, payload_case, objective_id, data)
    SELECT ${block.session_key}, v.seq, ${block.updated_at}, ${ITEM_COLUMNS}, v.payload_case, ${block.objective_id}, v.data
      FROM (SELECT column1 AS seq, column2 AS item_id, column3 AS payload_case, column4 AS data FROM (VALUES ${sql.join(rows, sql`, `)})) AS v
      ${JOIN_ITEM}`);
  return { lastSeq: block.last_seq, time: block.updated_at, objectiveId: block.objective_id };
};

const appendInOneStatement: Append = async (exec, sessionId, events, now) => {
  const values = events.map((event, index) => sql`(${event.itemId}::text, ${event.payload.case ?? ""}::text, ${stored(event)}::bytea, ${index + 1}::int)`);
  const rows = await exec.rows<{ seq: number; time: number; objective_id: string }>(sql`
    WITH block AS (${bumpSession(sessionId, events.length, now)})
    INSERT INTO events (session_key, seq, time, item_seq, item_id, payload_case, objective_id, data)
    SELECT block.session_key, block.last_seq - ${events.length}::int + v.ord, block.updated_at, ${ITEM_COLUMNS}, v.payload_case, block.objective_id, v.data
      FROM block CROSS JOIN (VALUES ${sql.join(values, sql`, `)}) AS v(item_id, payload_case, data, ord)
      ${JOIN_ITEM}
 RETURNING seq, time, objective_id`);
  if (rows.length === 0) throw notFound("session", sessionId);
  return { lastSeq: Math.max(...rows.map((row) => row.seq)), time: rows[0]!.time, objectiveId: rows[0]!.objective_id };
};

/**
 * The event's bytes as stored: without seq, time, session, item and objective ids, which live
 * in their own columns (the session and item as integer keys): writing them into the
 * bytes too stored each id once more per event (issue 17). Rows written before this
 * carry the ids in their bytes as well; listEvents sets them from the columns either way.
 */
function stored(event: Event): Buffer {
  // Blanked for the encoding only (empty strings are not written), so any other field still goes in.
  const { sessionId, itemId, objectiveId } = event;
  event.sessionId = "";
  event.itemId = "";
  event.objectiveId = "";
  try {
    return Buffer.from(toBinary(EventSchema, event));
  } finally {
    event.sessionId = sessionId;
    event.itemId = itemId;
    event.objectiveId = objectiveId;
  }
}
