import Database from "better-sqlite3";
import { Code } from "@connectrpc/connect";
import { sql } from "drizzle-orm";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openSqliteDialect } from "../../services/control-plane/store/dialect/sqlite.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { expectCode } from "./fixtures.js";

describe("SQLite dialect", () => {
  let dir: TempDir;
  beforeAll(async () => (dir = await tempDir("pushpals-sqlite-dialect-")));
  afterAll(() => dir.remove());

  test("a write lock held elsewhere past the busy timeout is Unavailable, naming the file", async () => {
    const file = join(dir.path, "busy.db");
    const dialect = openSqliteDialect(file, { busyTimeoutMs: 50 });
    const other = new Database(file);
    try {
      other.exec("BEGIN IMMEDIATE");
      await expectCode(
        dialect.write(async (tx) => tx.run(sql`DELETE FROM workers`)),
        Code.Unavailable,
        /busy\.db stayed locked by another process/,
      );
      other.exec("ROLLBACK");
      expect(await dialect.write(async (tx) => tx.run(sql`DELETE FROM workers`))).toBe(0);
    } finally {
      other.close();
      await dialect.close();
    }
  });

  test("reads go on beside a writer's open transaction and see only committed rows", async () => {
    const dialect = openSqliteDialect(join(dir.path, "wal.db"));
    try {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const writing = dialect.write(async (tx) => {
        await tx.run(sql`INSERT INTO workers (id, name, host, drivers, concurrency, active_job_ids, version, first_seen_at, last_heartbeat_at)
                         VALUES ('w1', 'n', 'h', '[]', 1, '[]', 'v', 1, 1)`);
        await held;
      });
      // The write transaction is open (and uncommitted) while this read runs.
      await new Promise((resolve) => setImmediate(resolve));
      expect(await dialect.reader.rows(sql`SELECT id FROM workers`)).toEqual([]);
      release();
      await writing;
      expect(await dialect.reader.rows(sql`SELECT id FROM workers`)).toEqual([{ id: "w1" }]);
    } finally {
      await dialect.close();
    }
  });
});
