import Database from "better-sqlite3";
import { describe, expect, test } from "vitest";
import { QueueName } from "../../gen/pushpals/v1/common_pb.js";
import type { Store } from "../../services/control-plane/store/store.js";
import { useOldDatabases } from "./old-database.js";

/*
 * Upgrading a database written before migration 0003 (issue 17): the item counters are
 * filled from the rows already there, and on SQLite the events table is rebuilt
 * without rowid with every event kept.
 */

const SESSION = "ses_01JD00000000000000000000AA";
const pending = (n: number) => `job_01JD000000000000000000P${String(n).padStart(3, "0")}`.slice(0, 30);

/** Rows as version 0002 stored them: 5 pending jobs, 1 claimed, 1 completed, and their session's events. */
const OLD_ROWS = [
  `INSERT INTO sessions (id, title, idempotency_key, created_at, updated_at, last_seq) VALUES ('${SESSION}', 'old', '', 1, 1, 3)`,
  ...[1, 2, 3, 4, 5, 6, 7].map(
    (n) => `INSERT INTO queue_items (id, queue, session_id, priority, status, payload, max_attempts, enqueued_at, available_at, claimed_at, first_claimed_at, claimed_by)
            VALUES ('${pending(n)}', ${QueueName.JOBS}, '${SESSION}', 2, ${n === 6 ? 2 : n === 7 ? 3 : 1}, PAYLOAD, 3, 1, 1, ${n >= 6 ? 1 : "NULL"}, ${n >= 6 ? 1 : "NULL"}, '${n >= 6 ? "w1" : ""}')`,
  ),
  ...[1, 2, 3].map((seq) => `INSERT INTO events (session_id, seq, time, item_id, payload_case, data) VALUES ('${SESSION}', ${seq}, 1, '${pending(1)}', 'message', EMPTY)`),
];

async function checkUpgraded(store: Store): Promise<void> {
  const jobs = (await store.depths())[1];
  expect(jobs).toMatchObject({ pendingNormal: 5, claimed: 1 });
  expect((await store.getItem(pending(5)))?.position?.ahead).toBe(4);
  const events = await store.listEvents({ sessionId: SESSION, afterSeq: 0n, limit: 10 });
  expect(events.map((e) => [e.seq, e.itemId, e.sessionId])).toEqual([1n, 2n, 3n].map((seq) => [seq, pending(1), SESSION]));
}

describe("upgrading a database from before migration 0003", () => {
  const old = useOldDatabases();

  test("SQLite: counters filled from the rows, events rebuilt without rowid, nothing lost", async () => {
    const { store, file } = await old.sqlite(3, OLD_ROWS);
    await checkUpgraded(store);
    const check = new Database(file, { readonly: true });
    const [{ sql }] = check.prepare("SELECT sql FROM sqlite_schema WHERE name = 'events'").all() as [{ sql: string }];
    check.close();
    expect(sql).toMatch(/WITHOUT ROWID/);
  });

  test("Postgres: counters filled from the rows", async () => {
    const { store } = await old.postgres(3, OLD_ROWS);
    await checkUpgraded(store);
  });
});
