import { join } from "node:path";
import { silentLogger, type Logger } from "../../../shared/log.js";
import type { Dialect } from "./dialect/dialect.js";
import { openPostgresDialect, type PostgresDialectOptions } from "./dialect/postgres.js";
import { openSqliteDialect } from "./dialect/sqlite.js";
import { createSqlStore } from "./sql-store.js";
import type { Store, StoreOptions } from "./store.js";

export interface OpenStoreOptions extends StoreOptions {
  /** Empty: SQLite at <dataDir>/pushpals.db. postgres://… or postgresql://…: that database. */
  databaseUrl: string;
  dataDir: string;
  /** Postgres connection pool size (default 10). */
  poolSize?: number;
  logger?: Logger;
}

/** Opens the configured store and brings its schema up to date. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (options.databaseUrl === "") return openSqliteStore(join(options.dataDir, "pushpals.db"), options);
  if (/^postgres(ql)?:\/\//.test(options.databaseUrl)) return openPostgresStore(options.databaseUrl, options);
  throw new Error(
    `storage.databaseUrl must be empty (SQLite in the data dir) or a postgres:// URL, got ${redact(options.databaseUrl)}; fix PUSHPALS_DATABASE_URL or [storage] databaseUrl`,
  );
}

/** SQLite at an explicit file (its directory is created). One Store per file per process. */
export async function openSqliteStore(file: string, options: StoreOptions & { logger?: Logger }): Promise<Store> {
  return opened(() => Promise.resolve(openSqliteDialect(file)), options, { file });
}

export async function openPostgresStore(url: string, options: StoreOptions & PostgresDialectOptions & { logger?: Logger }): Promise<Store> {
  return opened(() => openPostgresDialect(url, { poolSize: options.poolSize, maxPipeline: options.maxPipeline }), options, { url: redact(url) });
}

async function opened(open: () => Promise<Dialect>, options: StoreOptions & { logger?: Logger }, where: Record<string, string>): Promise<Store> {
  const logger = options.logger ?? silentLogger;
  const started = performance.now();
  const dialect = await open();
  logger.info({ store: dialect.kind, ...where, openMs: Math.round(performance.now() - started) }, "store open, schema up to date");
  return createSqlStore(dialect, options);
}

/** The URL without its password, for logs and errors. */
function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
}
