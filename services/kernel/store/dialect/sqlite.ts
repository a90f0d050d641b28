import Database from "better-sqlite3";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { findCause, type Dialect } from "./dialect.js";
import { migrationsFolder } from "./migrations-folder.js";
import { Mutex } from "./mutex.js";
import { statementExecutor } from "./sqlite-statements.js";

const BUSY_TIMEOUT_MS = 5000;

/*
 * Files open in this process. better-sqlite3 waits for a busy lock synchronously, so a
 * second store on the same file in the same process would block the very event loop
 * that must finish the first store's transaction: it would stall for the busy timeout
 * and then fail. One store per file per process; other processes are fine.
 */
const openFiles = new Set<string>();

/**
 * SQLite through better-sqlite3 in WAL mode: one write connection whose transactions
 * (BEGIN IMMEDIATE … COMMIT) are serialised by a mutex, and one read-only connection
 * for reads, which WAL lets run beside the writer. Applies pending migrations first.
 */
export function openSqliteDialect(file: string): Dialect {
  const path = resolve(file);
  if (openFiles.has(path)) {
    throw new Error(`SQLite database ${path} is already open in this process; share that Store instead of opening it again`);
  }
  mkdirSync(dirname(path), { recursive: true });
  const writer = new Database(path);
  let reader: Database.Database | undefined;
  try {
    writer.pragma("journal_mode = WAL");
    writer.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // WAL + NORMAL survives an application crash; only an OS crash can lose the last commits.
    writer.pragma("synchronous = NORMAL");
    writer.pragma("foreign_keys = ON");
    migrate(drizzle(writer), { migrationsFolder: migrationsFolder("sqlite") });
    reader = new Database(path, { readonly: true });
    reader.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  } catch (error) {
    reader?.close();
    writer.close();
    throw error;
  }
  openFiles.add(path);

  const readConnection = reader;
  const readExecutor = statementExecutor(readConnection);
  const writeExecutor = statementExecutor(writer);
  const mutex = new Mutex();
  let closed = false;

  return {
    kind: "sqlite",
    reader: readExecutor,
    lockSkipLocked: sql``,
    write: (work) =>
      mutex.run(async () => {
        if (closed) throw new Error("the store is closed");
        writer.exec("BEGIN IMMEDIATE");
        try {
          const result = await work(writeExecutor);
          writer.exec("COMMIT");
          return result;
        } catch (error) {
          if (writer.inTransaction) writer.exec("ROLLBACK");
          throw error;
        }
      }),
    isUniqueViolation: (error) =>
      findCause(error, (e) => e.code === "SQLITE_CONSTRAINT_UNIQUE" || e.code === "SQLITE_CONSTRAINT_PRIMARYKEY"),
    close: () =>
      mutex.run(async () => {
        if (closed) return;
        closed = true;
        readConnection.close();
        writer.close();
        openFiles.delete(path);
      }),
  };
}
