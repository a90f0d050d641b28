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
 * which its columns carry (so they are known only once the row is written), nor its ids.
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
RETURNING last_seq, updated_at, objective_id`;

const appendInTwoStatements: Append = async (exec, sessionId, events, now) => {
  const [block] = await exec.rows<{ last_seq: number; updated_at: number; objective_id: string }>(bumpSession(sessionId, events.length, now));
  if (!block) throw notFound("session", sessionId);
  const firstSeq = block.last_seq - events.length + 1;
  const rows = events.map(
    (event, index) => sql`(${sessionId}, ${firstSeq + index}, ${block.updated_at}, ${event.itemId}, ${event.payload.case ?? ""}, ${block.objective_id}, ${stored(event)})`,
  );
  await exec.run(sql`INSERT INTO events (session_id, seq, time, item_id, payload_case, objective_id, data) VALUES ${sql.join(rows, sql`, `)}`);
  return { lastSeq: block.last_seq, time: block.updated_at, objectiveId: block.objective_id };
};

const appendInOneStatement: Append = async (exec, sessionId, events, now) => {
  const values = events.map((event, index) => sql`(${event.itemId}::text, ${event.payload.case ?? ""}::text, ${stored(event)}::bytea, ${index + 1}::int)`);
  const rows = await exec.rows<{ seq: number; time: number; objective_id: string }>(sql`
    WITH block AS (${bumpSession(sessionId, events.length, now)})
    INSERT INTO events (session_id, seq, time, item_id, payload_case, objective_id, data)
    SELECT ${sessionId}, block.last_seq - ${events.length}::int + v.ord, block.updated_at, v.item_id, v.payload_case, block.objective_id, v.data
      FROM block CROSS JOIN (VALUES ${sql.join(values, sql`, `)}) AS v(item_id, payload_case, data, ord)
 RETURNING seq, time, objective_id`);
  if (rows.length === 0) throw notFound("session", sessionId);
  return { lastSeq: Math.max(...rows.map((row) => row.seq)), time: rows[0]!.time, objectiveId: rows[0]!.objective_id };
};

/**
 * The event's bytes as stored: without seq, time, session, item and objective ids, which live
 * in their own columns (and the session id in both indexes): writing them into the
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
