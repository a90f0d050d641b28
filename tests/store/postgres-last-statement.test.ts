import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Dialect } from "../../services/control-plane/store/dialect/dialect.js";
import { openPostgresDialect } from "../../services/control-plane/store/dialect/postgres.js";
import { freshDatabase, type FreshDatabase } from "../support/postgres.js";

/*
 * Dialect.write's `last` step goes in one pipeline with COMMIT on Postgres (issue 17). A
 * failing last statement must still roll the whole transaction back, and a last step that
 * breaks its contract (a second statement, sent after COMMIT was queued) must fail loudly.
 */
describe("postgres write with a last statement pipelined with COMMIT", () => {
  let db: FreshDatabase;
  let dialect: Dialect;
  beforeAll(async () => {
    db = await freshDatabase("last");
    dialect = await openPostgresDialect(db.url, { poolSize: 2 });
    await dialect.write((tx) => tx.run(sql`CREATE TABLE notes (id int PRIMARY KEY, text text NOT NULL)`));
  });
  afterAll(async () => {
    await dialect?.close();
    await db?.drop();
  });

  const ids = async () => (await dialect.reader.rows<{ id: number }>(sql`SELECT id FROM notes ORDER BY id`)).map((row) => row.id);

  it("commits the work and the last statement together", async () => {
    const value = await dialect.write(
      async (tx) => {
        await tx.run(sql`INSERT INTO notes VALUES (1, 'work')`);
        return "done";
      },
      (tx) => tx.run(sql`INSERT INTO notes VALUES (2, 'last')`),
    );
    expect(value).toBe("done");
    expect(await ids()).toEqual([1, 2]);
  });

  it("rolls the work back when the last statement fails", async () => {
    const writing = dialect.write(
      (tx) => tx.run(sql`INSERT INTO notes VALUES (3, 'work')`),
      (tx) => tx.run(sql`INSERT INTO notes VALUES (1, 'a duplicate key')`),
    );
    await expect(writing).rejects.toThrow(/duplicate key/);
    expect(await ids()).toEqual([1, 2]);
  });

  it("refuses a second last statement sent after COMMIT was queued, and says it is a bug", async () => {
    const writing = dialect.write(
      (tx) => tx.run(sql`INSERT INTO notes VALUES (4, 'work')`),
      async (tx) => {
        await tx.run(sql`INSERT INTO notes VALUES (5, 'first')`);
        await tx.run(sql`INSERT INTO notes VALUES (6, 'too late')`);
      },
    );
    await expect(writing).rejects.toThrow(/store bug/);
    expect(await ids()).not.toContain(6);
  });
});
