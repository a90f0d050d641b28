import { create, toBinary } from "@bufbuild/protobuf";
import Database from "better-sqlite3";
import postgres from "postgres";
import { ItemStatus, Priority, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { AgentStepSchema, EventSchema } from "../../gen/pushpals/v1/events_pb.js";
import { newId } from "../../shared/ids.js";
import { benchPayload } from "./prefill.js";

/*
 * The history the growth benchmark queries over, written straight into the tables in
 * bulk (through the Store it would take far longer than the queries it sets up):
 * `finished` jobs completed within the last hour (the SLO window), then `pending` jobs,
 * and one session with `events` events of which EVENTS_ABOUT_TARGET are about one job.
 */

/** Events about the followed item, spread evenly over the session's log. */
export const EVENTS_ABOUT_TARGET = 20;
/** Other items the session's events are about (a real session's jobs). */
const OTHER_ITEMS = 50;
const WORKERS = 8;
const HOUR_MS = 3_600_000;
const BATCH = 5000;

export interface GrowthShape {
  pending: number;
  finished: number;
  events: number;
}

export interface GrowthFixture {
  /** The session every item is in; its log holds the events. */
  sessionId: string;
  /** The oldest and newest pending job (position 0 and pending − 1). */
  headPendingId: string;
  tailPendingId: string;
  /** The job EVENTS_ABOUT_TARGET of the session's events are about. */
  targetItemId: string;
}

interface ItemRow {
  id: string;
  status: ItemStatus;
  claimedBy: string;
  enqueuedAt: number;
  firstClaimedAt: number | null;
  claimedAt: number | null;
  finishedAt: number | null;
}

interface EventRow {
  seq: number;
  itemId: string;
  data: Buffer;
}

/** Deterministic spread (no Math.random: runs stay comparable). */
const spread = (index: number, modulo: number) => (index * 7919) % modulo;

function itemRows(shape: GrowthShape, now: number): ItemRow[] {
  const rows: ItemRow[] = [];
  for (let i = 0; i < shape.finished; i++) {
    // Within the last 50 minutes: filling 100k jobs and 1M events on Postgres takes minutes, and all must still be in the hour.
    const finishedAt = now - 60_000 - spread(i, HOUR_MS - 10 * 60_000);
    const claimedAt = finishedAt - 1000 - spread(i, 60_000);
    const firstClaimedAt = claimedAt - spread(i, 5000);
    rows.push({
      id: newId("job"),
      status: ItemStatus.COMPLETED,
      claimedBy: `worker-${i % WORKERS}`,
      enqueuedAt: firstClaimedAt - spread(i, 30_000),
      firstClaimedAt,
      claimedAt,
      finishedAt,
    });
  }
  for (let i = 0; i < shape.pending; i++) {
    rows.push({ id: newId("job"), status: ItemStatus.PENDING, claimedBy: "", enqueuedAt: now, firstClaimedAt: null, claimedAt: null, finishedAt: null });
  }
  return rows;
}

function eventRows(sessionId: string, count: number, targetItemId: string, otherItemIds: string[]): EventRow[] {
  const every = Math.max(1, Math.floor(count / EVENTS_ABOUT_TARGET));
  const encode = (itemId: string, step: number) =>
    Buffer.from(
      toBinary(
        EventSchema,
        create(EventSchema, {
          sessionId,
          itemId,
          payload: { case: "agentStep", value: create(AgentStepSchema, { step, thought: "read the failing test", command: "npm test", exitCode: 0, output: "ok" }) },
        }),
      ),
    );
  const targetData = encode(targetItemId, 1);
  const otherData = otherItemIds.map((id) => encode(id, 1));
  const rows: EventRow[] = [];
  let aboutTargetSoFar = 0;
  // Seq 1 is the session_created event the Store wrote.
  for (let seq = 2; seq <= count + 1; seq++) {
    const aboutTarget = seq % every === 0 && aboutTargetSoFar < EVENTS_ABOUT_TARGET;
    if (aboutTarget) aboutTargetSoFar++;
    const other = seq % otherItemIds.length;
    rows.push(aboutTarget ? { seq, itemId: targetItemId, data: targetData } : { seq, itemId: otherItemIds[other]!, data: otherData[other]! });
  }
  return rows;
}

function targets(rows: ItemRow[], shape: GrowthShape): Omit<GrowthFixture, "sessionId"> {
  const pending = rows.slice(shape.finished);
  return { headPendingId: pending[0]!.id, tailPendingId: pending.at(-1)!.id, targetItemId: pending.at(-1)!.id };
}

/** The other items the session's events are about: queue items of the fill, as in a real log (events name items by their seq). */
function otherIds(rows: { id: string }[], targetItemId: string): string[] {
  return rows
    .filter((r) => r.id !== targetItemId)
    .slice(0, OTHER_ITEMS)
    .map((r) => r.id);
}

export function fillSqlite(file: string, sessionId: string, shape: GrowthShape, now: number): GrowthFixture {
  const rows = itemRows(shape, now);
  const fixture = { sessionId, ...targets(rows, shape) };
  const events = eventCounted(sessionId, shape, fixture.targetItemId, rows);
  const db = new Database(file);
  try {
    db.pragma("busy_timeout = 5000");
    const insertItem = db.prepare(
      `INSERT INTO queue_items (id, queue, session_id, priority, status, payload, max_attempts, attempts, claimed_by, enqueued_at, available_at, first_claimed_at, claimed_at, finished_at)
       VALUES (?, ${QueueName.JOBS}, ?, ${Priority.NORMAL}, ?, ?, 3, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // Rows name their session and item by number, as the store writes them (schema: events).
    const insertEvent = db.prepare(
      `INSERT INTO events (session_key, seq, time, item_seq, payload_case, data)
       VALUES ((SELECT session_key FROM sessions WHERE id = ?), ?, ?, (SELECT seq FROM queue_items WHERE id = ?), 'agentStep', ?)`,
    );
    const payload = benchPayload();
    db.transaction(() => {
      for (const r of rows) {
        insertItem.run(r.id, sessionId, r.status, payload, r.claimedAt === null ? 0 : 1, r.claimedBy, r.enqueuedAt, r.enqueuedAt, r.firstClaimedAt, r.claimedAt, r.finishedAt);
      }
      for (const e of events) insertEvent.run(sessionId, e.seq, now, e.itemId, e.data);
      db.prepare("UPDATE sessions SET last_seq = ?, updated_at = ? WHERE id = ?").run(events.length + 1, now, sessionId);
    })();
    db.exec("ANALYZE");
  } finally {
    db.close();
  }
  return fixture;
}

export async function fillPostgres(url: string, sessionId: string, shape: GrowthShape, now: number): Promise<GrowthFixture> {
  const rows = itemRows(shape, now);
  const fixture = { sessionId, ...targets(rows, shape) };
  const events = eventCounted(sessionId, shape, fixture.targetItemId, rows);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const payload = benchPayload();
    const column = (values: (string | number | null)[]) => values.map((v) => (v === null ? "" : String(v))).join(",");
    for (let start = 0; start < rows.length; start += BATCH) {
      const batch = rows.slice(start, start + BATCH);
      await sql`
        INSERT INTO queue_items (id, queue, session_id, priority, status, payload, max_attempts, attempts, claimed_by, enqueued_at, available_at, first_claimed_at, claimed_at, finished_at)
        SELECT id, ${QueueName.JOBS}, ${sessionId}, ${Priority.NORMAL}, status::int, ${payload}, 3, CASE WHEN claimed_at = '' THEN 0 ELSE 1 END, claimed_by,
               enqueued_at::bigint, enqueued_at::bigint, NULLIF(first_claimed_at, '')::bigint, NULLIF(claimed_at, '')::bigint, NULLIF(finished_at, '')::bigint
          FROM unnest(string_to_array(${column(batch.map((r) => r.id))}, ','),
                      string_to_array(${column(batch.map((r) => r.status))}, ','),
                      string_to_array(${column(batch.map((r) => r.claimedBy))}, ','),
                      string_to_array(${column(batch.map((r) => r.enqueuedAt))}, ','),
                      string_to_array(${column(batch.map((r) => r.firstClaimedAt))}, ','),
                      string_to_array(${column(batch.map((r) => r.claimedAt))}, ','),
                      string_to_array(${column(batch.map((r) => r.finishedAt))}, ','))
            AS b(id, status, claimed_by, enqueued_at, first_claimed_at, claimed_at, finished_at)`;
    }
    // Few distinct blobs (one per item): each event row names its blob by number instead of carrying it.
    const blobs = [...new Map(events.map((e) => [e.itemId, e.data])).entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    const blobIndex = new Map(blobs.map(([itemId], index) => [itemId, index]));
    await sql`CREATE TEMP TABLE bench_blobs (n int PRIMARY KEY, item_id text NOT NULL, data bytea NOT NULL)`;
    for (const [n, [itemId, data]] of blobs.entries()) await sql`INSERT INTO bench_blobs VALUES (${n}, ${itemId}, ${data})`;
    for (let start = 0; start < events.length; start += BATCH * 4) {
      const batch = events.slice(start, start + BATCH * 4);
      await sql`
        INSERT INTO events (session_key, seq, time, item_seq, payload_case, data)
        SELECT (SELECT session_key FROM sessions WHERE id = ${sessionId}), e.seq::bigint, ${now}, q.seq, 'agentStep', b.data
          FROM unnest(string_to_array(${batch.map((e) => e.seq).join(",")}, ','),
                      string_to_array(${batch.map((e) => blobIndex.get(e.itemId)).join(",")}, ',')) AS e(seq, blob)
          JOIN bench_blobs b ON b.n = e.blob::int
          JOIN queue_items q ON q.id = b.item_id`;
    }
    await sql`UPDATE sessions SET last_seq = ${events.length + 1}, updated_at = ${now} WHERE id = ${sessionId}`;
    await sql`VACUUM ANALYZE`;
  } finally {
    await sql.end();
  }
  return fixture;
}

function eventCounted(sessionId: string, shape: GrowthShape, targetItemId: string, rows: { id: string }[]): EventRow[] {
  return eventRows(sessionId, shape.events, targetItemId, otherIds(rows, targetItemId));
}
