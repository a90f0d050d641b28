import { create, toBinary } from "@bufbuild/protobuf";
import Database from "better-sqlite3";
import postgres from "postgres";
import { Priority, QueueName, ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { ItemPayloadSchema } from "../../gen/pushpals/v1/items_pb.js";
import { TaskExecuteV2Schema } from "../../gen/pushpals/v1/task_pb.js";
import { newId } from "../../shared/ids.js";

/*
 * The backlog is written straight into queue_items in bulk: going through
 * Store.enqueue one transaction at a time would take minutes for 100k items on
 * Postgres and measure nothing the load phase does not measure already.
 */

const BATCH = 5000;

export function benchPayload(): Buffer {
  return Buffer.from(toBinary(ItemPayloadSchema, create(ItemPayloadSchema, { kind: { case: "taskExecuteV2", value: create(TaskExecuteV2Schema, {}) } })));
}

interface BacklogRow {
  id: string;
  sessionId: string;
}

function backlog(count: number, sessionIds: string[]): BacklogRow[] {
  return Array.from({ length: count }, (_, index) => ({ id: newId("job"), sessionId: sessionIds[index % sessionIds.length]! }));
}

export function prefillSqlite(file: string, count: number, sessionIds: string[], now: number): void {
  const db = new Database(file);
  try {
    db.pragma("busy_timeout = 5000");
    const insert = db.prepare(
      `INSERT INTO queue_items (id, queue, session_id, priority, status, payload, max_attempts, enqueued_at, available_at)
       VALUES (?, ${QueueName.JOBS}, ?, ${Priority.NORMAL}, ${ItemStatus.PENDING}, ?, 3, ?, ?)`,
    );
    const payload = benchPayload();
    const insertAll = db.transaction((rows: BacklogRow[]) => {
      for (const row of rows) insert.run(row.id, row.sessionId, payload, now, now);
    });
    insertAll(backlog(count, sessionIds));
  } finally {
    db.close();
  }
}

export async function prefillPostgres(url: string, count: number, sessionIds: string[], now: number): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const payload = benchPayload();
    const rows = backlog(count, sessionIds);
    for (let start = 0; start < rows.length; start += BATCH) {
      const batch = rows.slice(start, start + BATCH);
      await sql`
        INSERT INTO queue_items (id, queue, session_id, priority, status, payload, max_attempts, enqueued_at, available_at)
        SELECT id, ${QueueName.JOBS}, session_id, ${Priority.NORMAL}, ${ItemStatus.PENDING}, ${payload}, 3, ${now}, ${now}
          FROM unnest(string_to_array(${batch.map((r) => r.id).join(",")}, ','),
                      string_to_array(${batch.map((r) => r.sessionId).join(",")}, ',')) AS b(id, session_id)`;
    }
    await sql`VACUUM ANALYZE queue_items`;
  } finally {
    await sql.end();
  }
}
