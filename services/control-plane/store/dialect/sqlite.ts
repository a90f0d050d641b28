import Database from "better-sqlite3";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { unavailable } from "../../../../shared/errors.js";
import type { Dialect } from "./dialect.js";
import { migrationsFolder } from "./migrations-folder.js";
import { Mutex } from "./mutex.js";
import { statementExecutor } from "./sqlite-statements.js";

export interface SqliteDialectOptions {
  /** How long a write waits for another process's write lock before failing (default 5 s). */
  busyTimeoutMs?: number;
}

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
export function openSqliteDialect(file: string, options: SqliteDialectOptions = {}): Dialect {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const path = resolve(file);
  if (openFiles.has(path)) {
    throw new Error(`SQLite database ${path} is already open in this process; share that Store instead of opening it again`);
  }
  mkdirSync(dirname(path), { recursive: true });
  const writer = new Database(path);
  let reader: Database.Database | undefined;
  try {
    writer.pragma("journal_mode = WAL");
    writer.pragma(`busy_timeout = ${busyTimeoutMs}`);
    // WAL + NORMAL survives an application crash; only an OS crash can lose the last commits.
    writer.pragma("synchronous = NORMAL");
    writer.pragma("foreign_keys = ON");
    migrate(drizzle(writer), { migrationsFolder: migrationsFolder("sqlite") });
    reader = new Database(path, { readonly: true });
    reader.pragma(`busy_timeout = ${busyTimeoutMs}`);
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
    lockRow: sql``,
    write: (work, last) =>
      mutex.run(async () => {
        if (closed) throw new Error("the store is closed");
        beginImmediate(writer, path, busyTimeoutMs);
        try {
          const result = await work(writeExecutor);
          if (last) await last(writeExecutor);
          writer.exec("COMMIT");
          return result;
        } catch (error) {
          if (writer.inTransaction) writer.exec("ROLLBACK");
          throw error;
        }
      }),
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

/** Takes the write lock; another process holding it past the busy timeout is reported, not thrown raw. */
function beginImmediate(writer: Database.Database, path: string, busyTimeoutMs: number): void {
  try {
    writer.exec("BEGIN IMMEDIATE");
  } catch (error) {
    if (error instanceof Database.SqliteError && error.code === "SQLITE_BUSY") {
      throw unavailable(
        `SQLite database ${path} stayed locked by another process for ${busyTimeoutMs / 1000} s; retry, and run only one PushPals on this data dir (or use Postgres for several)`,
      );
    }
    throw error;
  }
}
