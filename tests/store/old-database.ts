import Database from "better-sqlite3";
import { drizzle as drizzleSqlite } from "drizzle-orm/better-sqlite3";
import { migrate as migrateSqlite } from "drizzle-orm/better-sqlite3/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import { cp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import postgres from "postgres";
import { afterEach } from "vitest";
import { migrationsFolder } from "../../services/control-plane/store/dialect/migrations-folder.js";
import { openPostgresStore, openSqliteStore } from "../../services/control-plane/store/open-store.js";
import type { Store } from "../../services/control-plane/store/store.js";
import { freshDatabase, type FreshDatabase } from "../support/postgres.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { DEFAULT_OPTIONS } from "./harness.js";

/**
 * Rows as an older schema stored them: SQL statements in which `PAYLOAD` and `EMPTY` stand for
 * an empty blob, written in each dialect's own literal.
 */
export type OldRows = readonly string[];

export interface OldDatabases {
  /** A SQLite file migrated up to, not including, migration `before`, holding `rows`; then opened by today's store. */
  sqlite(before: number, rows: OldRows): Promise<{ store: Store; file: string }>;
  /** The same on a fresh Postgres database. */
  postgres(before: number, rows: OldRows): Promise<{ store: Store; url: string }>;
}

/**
 * The upgrade tests' scene: a database written by an older version, which today's store then
 * opens (running the newer migrations). Everything it makes is removed after each test.
 */
export function useOldDatabases(): OldDatabases {
  let dir: TempDir | undefined;
  let database: FreshDatabase | undefined;
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
    await database?.drop();
    database = undefined;
    await dir?.remove();
    dir = undefined;
  });
  const scratch = async () => (dir ??= await tempDir("pushpals-upgrade-")).path;
  return {
    async sqlite(before, rows) {
      const file = join(await scratch(), "pushpals.db");
      const db = new Database(file);
      try {
        migrateSqlite(drizzleSqlite(db), { migrationsFolder: await migrationsBefore("sqlite", await scratch(), before) });
        for (const statement of rows) db.exec(statement.replaceAll("PAYLOAD", "X''").replaceAll("EMPTY", "X''"));
      } finally {
        db.close();
      }
      store = await openSqliteStore(file, DEFAULT_OPTIONS);
      return { store, file };
    },
    async postgres(before, rows) {
      database = await freshDatabase("upgrade");
      const client = postgres(database.url, { max: 1, onnotice: () => {} });
      try {
        await migratePostgres(drizzlePostgres(client), { migrationsFolder: await migrationsBefore("postgres", await scratch(), before) });
        for (const statement of rows) await client.unsafe(statement.replaceAll("PAYLOAD", "''::bytea").replaceAll("EMPTY", "''::bytea"));
      } finally {
        await client.end();
      }
      store = await openPostgresStore(database.url, DEFAULT_OPTIONS);
      return { store, url: database.url };
    },
  };
}

/** A copy of the migrations folder as it was before migration `idx`. */
async function migrationsBefore(kind: "sqlite" | "postgres", dir: string, idx: number): Promise<string> {
  const folder = join(dir, kind);
  await cp(migrationsFolder(kind), folder, { recursive: true });
  const journalFile = join(folder, "meta", "_journal.json");
  const journal = JSON.parse(await readFile(journalFile, "utf8")) as { entries: { idx: number; tag: string }[] };
  for (const entry of journal.entries.filter((e) => e.idx >= idx)) await rm(join(folder, `${entry.tag}.sql`));
  journal.entries = journal.entries.filter((e) => e.idx < idx);
  await writeFile(journalFile, JSON.stringify(journal));
  return folder;
}
