import Database from "better-sqlite3";
import { create } from "@bufbuild/protobuf";
import { describe, expect, test } from "vitest";
import { QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { UserMessageSchema } from "../../gen/pushpals/v1/events_pb.js";
import type { Store } from "../../services/control-plane/store/store.js";
import { useOldDatabases } from "./old-database.js";

/*
 * Upgrading a database written before migration 0006 (issue 17, bytes per event): events
 * named their session and item by id; 0006 numbers the sessions and stores those numbers
 * and the items' seqs instead. Every event must read back with the same ids, the item
 * filter must find the same events, and sessions made afterwards must get fresh numbers.
 */

const SESSIONS = ["ses_01JD00000000000000000000AA", "ses_01JD00000000000000000000BB"] as const;
const JOBS = ["job_01JD00000000000000000000J1", "job_01JD00000000000000000000J2"] as const;
/** An item id AppendEvents accepted although no queue item has it. */
const NO_SUCH_ITEM = "job_01JD00000000000000000000ZZ";

/** Per session: seq → item id of its events as version 0005 stored them. */
const OLD_EVENTS: Record<(typeof SESSIONS)[number], string[]> = {
  [SESSIONS[0]]: ["", JOBS[0], JOBS[0], NO_SUCH_ITEM, "", JOBS[1]],
  [SESSIONS[1]]: ["", JOBS[1], JOBS[1]],
};

const OLD_ROWS = [
  ...SESSIONS.map(
    (id, n) => `INSERT INTO sessions (id, title, idempotency_key, created_at, updated_at, last_seq) VALUES ('${id}', 'old ${n}', '', ${n + 1}, ${n + 1}, ${OLD_EVENTS[id].length})`,
  ),
  ...JOBS.map(
    (id, n) => `INSERT INTO queue_items (id, queue, session_id, priority, status, payload, max_attempts, enqueued_at, available_at)
                VALUES ('${id}', ${QueueName.JOBS}, '${SESSIONS[n]}', 2, 1, PAYLOAD, 3, 1, 1)`,
  ),
  ...SESSIONS.flatMap((sessionId) =>
    OLD_EVENTS[sessionId].map(
      (itemId, index) =>
        `INSERT INTO events (session_id, seq, time, item_id, payload_case, data) VALUES ('${sessionId}', ${index + 1}, ${index + 1}, '${itemId}', 'message', EMPTY)`,
    ),
  ),
];

async function checkUpgraded(store: Store): Promise<void> {
  for (const sessionId of SESSIONS) {
    const events = await store.listEvents({ sessionId, afterSeq: 0n, limit: 100 });
    expect(events.map((e) => [e.sessionId, e.seq, e.itemId, Number(e.time?.seconds ?? 0n) * 1000 + (e.time?.nanos ?? 0) / 1e6])).toEqual(
      OLD_EVENTS[sessionId].map((itemId, index) => [sessionId, BigInt(index + 1), itemId, index + 1]),
    );
    for (const itemId of [...JOBS, NO_SUCH_ITEM]) {
      const about = await store.listEvents({ sessionId, afterSeq: 0n, limit: 100, itemId });
      const expected = OLD_EVENTS[sessionId].flatMap((id, index) => (id === itemId ? [BigInt(index + 1)] : []));
      expect(about.map((e) => e.seq)).toEqual(expected);
    }
  }
  // A session made after the upgrade gets a number of its own: its events stay apart from the old ones.
  const fresh = (await store.createSession({ title: "new" })).value.session.id;
  await store.appendEvents(fresh, [{ itemId: JOBS[0], payload: { case: "message", value: create(UserMessageSchema, { text: "hi" }) } }]);
  expect((await store.listEvents({ sessionId: fresh, afterSeq: 0n, limit: 10 })).map((e) => [e.seq, e.itemId])).toEqual([
    [1n, ""],
    [2n, JOBS[0]],
  ]);
  expect((await store.listEvents({ sessionId: SESSIONS[0], afterSeq: 0n, limit: 100, itemId: JOBS[0] })).map((e) => e.seq)).toEqual([2n, 3n]);
  await store.appendEvents(SESSIONS[1], [{ payload: { case: "message", value: create(UserMessageSchema, { text: "still here" }) } }]);
  expect((await store.listEvents({ sessionId: SESSIONS[1], afterSeq: 3n, limit: 10 })).map((e) => [e.seq, e.sessionId])).toEqual([[4n, SESSIONS[1]]]);
}

describe("upgrading a database from before migration 0006", () => {
  const old = useOldDatabases();

  test("SQLite: every event keeps its session, item, seq and time; events stay clustered without rowid", async () => {
    const { store, file } = await old.sqlite(6, OLD_ROWS);
    await checkUpgraded(store);
    const check = new Database(file, { readonly: true });
    const [{ sql }] = check.prepare("SELECT sql FROM sqlite_schema WHERE name = 'events'").all() as [{ sql: string }];
    const columns = (check.prepare("SELECT name FROM pragma_table_info('events')").all() as { name: string }[]).map((c) => c.name);
    check.close();
    expect(sql).toMatch(/WITHOUT ROWID/);
    expect(columns).not.toContain("session_id");
  });

  test("Postgres: every event keeps its session, item, seq and time", async () => {
    const { store } = await old.postgres(6, OLD_ROWS);
    await checkUpgraded(store);
  });
});
