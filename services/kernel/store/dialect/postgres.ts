import { sql, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import type { Dialect, Executor } from "./dialect.js";
import { migrationsFolder } from "./migrations-folder.js";

export interface PostgresDialectOptions {
  /** Connections in the pool (default 10); concurrent transactions beyond it wait for one. */
  poolSize?: number;
}

/** Any number mapped to an arbitrary, fixed advisory-lock key for migrations. */
const MIGRATION_LOCK_KEY = 7_310_468_212;

/**
 * Postgres through postgres.js: a pool, READ COMMITTED transactions (postgres.js
 * begin/commit/rollback), row locks for claims. Pending migrations are applied first,
 * under an advisory lock so that several processes starting together do not race.
 */
export async function openPostgresDialect(url: string, options: PostgresDialectOptions = {}): Promise<Dialect> {
  await migrateUnderLock(url);
  const client = postgres(url, {
    ...connectionOptions(),
    max: options.poolSize ?? 10,
  });
  return {
    kind: "postgres",
    reader: executor(client),
    lockSkipLocked: sql`FOR UPDATE SKIP LOCKED`,
    lockRow: sql`FOR NO KEY UPDATE`,
    // postgres.js types begin() as unwrapping arrays of promises; `work` returns one plain value.
    write: <T>(work: (tx: Executor) => Promise<T>) => client.begin((tx) => work(executor(tx))) as Promise<T>,
    close: () => client.end({ timeout: 5 }),
  };
}

function connectionOptions() {
  return {
    onnotice: () => {},
    connection: { application_name: "pushpals" },
    // Times, counts and sequence numbers are int8 columns; all of them fit a JS number.
    types: {
      int8: { to: 20, from: [20], serialize: (value: number) => String(value), parse: (value: string) => Number(value) },
    },
  };
}

async function migrateUnderLock(url: string): Promise<void> {
  const client = postgres(url, { ...connectionOptions(), max: 1 });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    await migrate(drizzle(client), { migrationsFolder: migrationsFolder("postgres") });
    await client`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
  } finally {
    await client.end({ timeout: 5 });
  }
}

const render = new PgDialect();

/**
 * Drizzle renders the SQL; postgres.js runs it as a named prepared statement, cached
 * per connection. (Drizzle's own execute() sends raw SQL unprepared, which parses and
 * plans every statement again and halved the queue throughput in bench/queue-store.ts.)
 */
function executor(client: postgres.Sql | postgres.TransactionSql): Executor {
  const send = (query: SQL) => {
    const { sql: text, params } = render.sqlToQuery(query);
    // Parameters are the values our SQL templates bind: strings, numbers, Buffers, null.
    return client.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true });
  };
  return {
    rows: async <Row>(query: SQL) => (await send(query)) as unknown as Row[],
    run: async (query: SQL) => (await send(query)).count,
  };
}
