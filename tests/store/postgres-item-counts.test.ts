import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ItemStatus, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { openPostgresStore } from "../../services/control-plane/store/open-store.js";
import type { Store } from "../../services/control-plane/store/store.js";
import { freshDatabase, type FreshDatabase } from "../support/postgres.js";
import { claimOne, enqueueOn, newSession } from "./fixtures.js";
import { DEFAULT_OPTIONS } from "./harness.js";

/*
 * item_counts on Postgres is kept by statement triggers (migration 0007, issue 17): a
 * statement changing many items writes each counter cell once. These check the cells
 * against a recount after multi-row statements of every kind, and that a bulk change
 * no longer leaves a dead row version per item behind.
 */

const RECOUNT = `SELECT queue, status, priority, seq / 1024 AS block, (seq % 16)::int AS stripe, count(*)::bigint AS n
                   FROM queue_items WHERE status IN (1, 2, 6) GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`;
const CELLS = "SELECT queue, status, priority, block, stripe, n FROM item_counts ORDER BY 1, 2, 3, 4, 5";

describe("item_counts kept per statement (Postgres)", () => {
  let database: FreshDatabase;
  let store: Store;
  let admin: postgres.Sql;
  beforeAll(async () => {
    database = await freshDatabase("counts");
    store = await openPostgresStore(database.url, DEFAULT_OPTIONS);
    admin = postgres(database.url, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await admin?.end();
    await store?.close();
    await database?.drop();
  });

  const expectRecounted = async () => {
    expect(await admin.unsafe(CELLS)).toEqual(await admin.unsafe(RECOUNT));
    expect(await admin.unsafe("SELECT * FROM item_counts WHERE n = 0")).toHaveLength(0);
  };

  test("single transitions through the store, then bulk INSERT, UPDATE and DELETE, match a recount", async () => {
    const sessionId = await newSession(store);
    for (let i = 0; i < 5; i++) await enqueueOn(store, sessionId, QueueName.JOBS);
    const { item, leaseToken } = await claimOne(store, QueueName.JOBS);
    await expectRecounted();
    await store.complete({ itemId: item.id, leaseToken });
    await expectRecounted();

    // 3,000 items in one statement, spread over several blocks, stripes and bands.
    await admin.unsafe(`
      INSERT INTO queue_items (id, queue, session_id, priority, status, payload, max_attempts, enqueued_at, available_at)
      SELECT 'job_bulk' || lpad(g::text, 22, '0'), ${QueueName.JOBS}, '${sessionId}', 1 + g % 3, ${ItemStatus.PENDING}, ''::bytea, 3, 1, 1
        FROM generate_series(1, 3000) AS g`);
    await expectRecounted();
    // Moves between counted statuses, out of them, a no-op on status, and a dead-letter.
    await admin.unsafe(`UPDATE queue_items SET status = ${ItemStatus.CLAIMED}, lease_token = 'x' WHERE id LIKE 'job_bulk%' AND seq % 3 = 0`);
    await admin.unsafe(`UPDATE queue_items SET status = ${ItemStatus.COMPLETED} WHERE id LIKE 'job_bulk%' AND seq % 5 = 0`);
    await admin.unsafe(`UPDATE queue_items SET attempts = attempts + 1 WHERE id LIKE 'job_bulk%'`);
    await admin.unsafe(`UPDATE queue_items SET status = ${ItemStatus.DEAD_LETTER} WHERE id LIKE 'job_bulk%' AND seq % 7 = 0 AND status = ${ItemStatus.CLAIMED}`);
    await expectRecounted();
    await admin.unsafe(`DELETE FROM queue_items WHERE id LIKE 'job_bulk%' AND seq % 2 = 0`);
    await expectRecounted();
    expect((await store.depths())[1]?.pendingNormal).toBe(
      Number((await admin.unsafe("SELECT count(*) AS n FROM queue_items WHERE queue = 2 AND status = 1 AND priority = 2"))[0]?.n),
    );
  });

  test("a bulk change writes each cell once, not once per item", async () => {
    const sessionId = await newSession(store);
    await admin.unsafe("TRUNCATE item_counts");
    await admin.unsafe(RECOUNT.replace("SELECT", "INSERT INTO item_counts SELECT").replace(/ORDER BY.*$/s, ""));
    const before = Number((await admin.unsafe("SELECT n_tup_upd + n_tup_ins AS writes FROM pg_stat_xact_user_tables WHERE relname = 'item_counts'"))[0]?.writes ?? 0);
    const [cells] = await admin.begin(async (tx) => {
      await tx.unsafe(`
        INSERT INTO queue_items (id, queue, session_id, priority, status, payload, max_attempts, enqueued_at, available_at)
        SELECT 'job_once' || lpad(g::text, 22, '0'), ${QueueName.JOBS}, '${sessionId}', 2, ${ItemStatus.PENDING}, ''::bytea, 3, 1, 1
          FROM generate_series(1, 5000) AS g`);
      const written = await tx.unsafe("SELECT n_tup_upd + n_tup_ins AS writes FROM pg_stat_xact_user_tables WHERE relname = 'item_counts'");
      return [Number(written[0]?.writes ?? 0) - before];
    });
    // 5,000 consecutive seqs touch at most 6 blocks × 16 stripes; the row trigger wrote 5,000 times.
    expect(cells).toBeGreaterThan(0);
    expect(cells).toBeLessThanOrEqual(6 * 16);
    await expectRecounted();
  });
});
