import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import Database from "better-sqlite3";
import postgres from "postgres";
import { ItemStatus, Priority, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { EventSchema, ItemClaimedSchema, ItemCompletedSchema, ItemEnqueuedSchema, type Event } from "../../gen/pushpals/v1/events_pb.js";
import { ItemPayloadSchema, QueueItemSchema } from "../../gen/pushpals/v1/items_pb.js";
import { newId } from "../../shared/ids.js";
import { durationFromMs, toTimestamp } from "../../shared/time.js";
import { inParallel, Latencies, timed } from "./latency.js";
import { loadResult, type LoadResult } from "./load-result.js";
import { benchPayload } from "./prefill.js";

/*
 * The physical baseline for bench/queue-store.ts (issue 17): the same work as
 * Store.enqueue → claim → complete, written as plain SQL on the same schema — the same
 * columns, three audit events per job with the same protobuf bytes, each event taking
 * the next seq of its session — without the Store's layers (validation, drizzle
 * rendering, the transaction wrapper). On Postgres each of `clients` loops has a
 * connection of its own and claims with FOR UPDATE SKIP LOCKED; one transaction per
 * transition, its statements pipelined. On SQLite one connection does it all
 * synchronously (a second writer would only wait for the lock).
 */

const JOBS = QueueName.JOBS;

function eventBytes(sessionId: string, itemId: string, payload: Event["payload"]): Buffer {
  return Buffer.from(toBinary(EventSchema, create(EventSchema, { sessionId, itemId, payload })));
}

/** The job's payload as the store's enqueued event carries it (decoded once: the same for every job). */
const JOB_PAYLOAD = fromBinary(ItemPayloadSchema, benchPayload());

function enqueuedEvent(sessionId: string, id: string, now: number): Buffer {
  const item = create(QueueItemSchema, {
    id,
    queue: JOBS,
    sessionId,
    priority: Priority.NORMAL,
    status: ItemStatus.PENDING,
    payload: JOB_PAYLOAD,
    maxAttempts: 3,
    enqueuedAt: toTimestamp(now),
    availableAt: toTimestamp(now),
  });
  return eventBytes(sessionId, id, { case: "jobEnqueued", value: create(ItemEnqueuedSchema, { item }) });
}

export async function runRawPostgresLoad(url: string, sessionIds: string[], jobs: number, clients: number): Promise<LoadResult> {
  const int8 = { to: 20, from: [20], serialize: (value: number) => String(value), parse: (value: string) => Number(value) };
  const connections = Array.from({ length: clients }, () => postgres(url, { max: 1, onnotice: () => {}, types: { int8 } }));
  const payload = benchPayload();
  const claims = new Latencies();
  // An event takes the next seq of its session: bump the session and insert in one statement, like the store.
  const appendEvent = (sql: postgres.TransactionSql<{ int8: number }>, sessionId: string, itemId: string, caseName: string, data: Buffer, now: number) => sql`
    WITH s AS (UPDATE sessions SET last_seq = last_seq + 1, updated_at = GREATEST(updated_at, ${now}) WHERE id = ${sessionId} RETURNING last_seq, updated_at, session_key)
    INSERT INTO events (session_key, seq, time, item_seq, payload_case, data)
    SELECT s.session_key, s.last_seq, s.updated_at, (SELECT seq FROM queue_items WHERE id = ${itemId}), ${caseName}, ${data} FROM s`;
  try {
    const startedAt = performance.now();
    await inParallel(jobs, clients, async (index) => {
      const sql = connections[index % clients]!;
      const workerId = `raw-${index % clients}`;
      const sessionId = sessionIds[index % sessionIds.length]!;
      const id = newId("job");
      const enqueuedAt = Date.now();
      await sql.begin((tx) => [
        tx`INSERT INTO queue_items (id, queue, session_id, priority, status, payload, max_attempts, enqueued_at, available_at)
           VALUES (${id}, ${JOBS}, ${sessionId}, ${Priority.NORMAL}, ${ItemStatus.PENDING}, ${payload}, 3, ${enqueuedAt}, ${enqueuedAt})`,
        appendEvent(tx, sessionId, id, "jobEnqueued", enqueuedEvent(sessionId, id, enqueuedAt), enqueuedAt),
      ]);

      const claimed = await timed(claims, () =>
        sql.begin(async (tx) => {
          const now = Date.now();
          const leaseToken = newId("lease");
          const [row] = await tx<{ id: string; session_id: string; attempts: number }[]>`
            UPDATE queue_items SET status = ${ItemStatus.CLAIMED}, attempts = attempts + 1, claimed_by = ${workerId}, lease_token = ${leaseToken},
                   lease_expires_at = ${now + 60_000}, claimed_at = ${now}, first_claimed_at = COALESCE(first_claimed_at, ${now})
             WHERE seq = (SELECT seq FROM queue_items WHERE queue = ${JOBS} AND status = 1 AND available_at <= ${now} AND target_worker_id = ''
                           ORDER BY priority, seq LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, session_id, attempts`;
          if (!row) throw new Error(`raw claim ${index} found nothing although a job was just enqueued`);
          const data = eventBytes(row.session_id, row.id, {
            case: "jobClaimed",
            value: create(ItemClaimedSchema, { workerId, attempt: row.attempts, leaseExpiresAt: toTimestamp(now + 60_000) }),
          });
          await appendEvent(tx, row.session_id, row.id, "jobClaimed", data, now);
          return { ...row, leaseToken, claimedAt: now };
        }),
      );

      const now = Date.now();
      const data = eventBytes(claimed.session_id, claimed.id, { case: "jobCompleted", value: create(ItemCompletedSchema, { runTime: durationFromMs(now - claimed.claimedAt) }) });
      await sql.begin((tx) => [
        tx`UPDATE queue_items SET status = ${ItemStatus.COMPLETED}, finished_at = ${now}, lease_token = '', lease_expires_at = NULL
            WHERE id = ${claimed.id} AND status = ${ItemStatus.CLAIMED} AND lease_token = ${claimed.leaseToken}`,
        appendEvent(tx, claimed.session_id, claimed.id, "jobCompleted", data, now),
      ]);
    });
    return loadResult(jobs, startedAt, claims);
  } finally {
    await Promise.all(connections.map((c) => c.end({ timeout: 5 })));
  }
}

export function runRawSqliteLoad(file: string, sessionIds: string[], jobs: number): LoadResult {
  const db = new Database(file);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("busy_timeout = 5000");
    const payload = benchPayload();
    const insertItem = db.prepare(
      `INSERT INTO queue_items (id, queue, session_id, priority, status, payload, max_attempts, enqueued_at, available_at) VALUES (?, ${JOBS}, ?, ${Priority.NORMAL}, 1, ?, 3, ?, ?)`,
    );
    const bump = db.prepare<[number, string], { last_seq: number; updated_at: number; session_key: number }>(
      "UPDATE sessions SET last_seq = last_seq + 1, updated_at = max(updated_at, ?) WHERE id = ? RETURNING last_seq, updated_at, session_key",
    );
    // Events name their session and item by number, as the store writes them (schema: events).
    const insertEvent = db.prepare("INSERT INTO events (session_key, seq, time, item_seq, payload_case, data) VALUES (?, ?, ?, (SELECT seq FROM queue_items WHERE id = ?), ?, ?)");
    const claimItem = db.prepare<[string, string, number, number, number, number], { id: string; session_id: string; attempts: number }>(
      `UPDATE queue_items SET status = 2, attempts = attempts + 1, claimed_by = ?, lease_token = ?, lease_expires_at = ?, claimed_at = ?, first_claimed_at = COALESCE(first_claimed_at, ?)
        WHERE seq = (SELECT seq FROM queue_items WHERE queue = ${JOBS} AND status = 1 AND available_at <= ? AND target_worker_id = '' ORDER BY priority, seq LIMIT 1)
       RETURNING id, session_id, attempts`,
    );
    const completeItem = db.prepare(
      "UPDATE queue_items SET status = 3, finished_at = ?, lease_token = '', lease_expires_at = NULL WHERE id = ? AND status = 2 AND lease_token = ?",
    );
    const append = (sessionId: string, itemId: string, caseName: string, data: Buffer, now: number) => {
      const block = bump.get(now, sessionId)!;
      insertEvent.run(block.session_key, block.last_seq, block.updated_at, itemId, caseName, data);
    };
    const enqueue = db.transaction((sessionId: string, id: string, now: number) => {
      insertItem.run(id, sessionId, payload, now, now);
      append(sessionId, id, "jobEnqueued", enqueuedEvent(sessionId, id, now), now);
    });
    const claim = db.transaction((workerId: string, now: number) => {
      const leaseToken = newId("lease");
      const row = claimItem.get(workerId, leaseToken, now + 60_000, now, now, now);
      if (!row) throw new Error("raw claim found nothing although a job was just enqueued");
      const data = eventBytes(row.session_id, row.id, {
        case: "jobClaimed",
        value: create(ItemClaimedSchema, { workerId, attempt: row.attempts, leaseExpiresAt: toTimestamp(now + 60_000) }),
      });
      append(row.session_id, row.id, "jobClaimed", data, now);
      return { ...row, leaseToken, claimedAt: now };
    });
    const complete = db.transaction((claimed: { id: string; session_id: string; leaseToken: string; claimedAt: number }, now: number) => {
      completeItem.run(now, claimed.id, claimed.leaseToken);
      const data = eventBytes(claimed.session_id, claimed.id, { case: "jobCompleted", value: create(ItemCompletedSchema, { runTime: durationFromMs(now - claimed.claimedAt) }) });
      append(claimed.session_id, claimed.id, "jobCompleted", data, now);
    });
    const claims = new Latencies();
    const startedAt = performance.now();
    for (let index = 0; index < jobs; index++) {
      enqueue(sessionIds[index % sessionIds.length]!, newId("job"), Date.now());
      const started = performance.now();
      const claimed = claim(`raw-${index % 8}`, Date.now());
      claims.record(performance.now() - started);
      complete(claimed, Date.now());
    }
    return loadResult(jobs, startedAt, claims);
  } finally {
    db.close();
  }
}
