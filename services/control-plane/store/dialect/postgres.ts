import { sql, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import type { Dialect, Executor } from "./dialect.js";
import { ExclusivePool } from "./exclusive-pool.js";
import { migrationsFolder } from "./migrations-folder.js";

export interface PostgresDialectOptions {
  /** Connections in the pool (default 10); concurrent transactions beyond it wait for one. */
  poolSize?: number;
  /** Queries postgres.js pipelines on one connection (its max_pipeline, default 100). */
  maxPipeline?: number;
}

/** Any number mapped to an arbitrary, fixed advisory-lock key for migrations. */
const MIGRATION_LOCK_KEY = 7_310_468_212;

/**
 * Postgres through postgres.js: a pool for reads, one single-connection client per
 * concurrent write transaction (READ COMMITTED), row locks for claims. Pending migrations are applied first,
 * under an advisory lock so that several processes starting together do not race.
 */
export async function openPostgresDialect(url: string, options: PostgresDialectOptions = {}): Promise<Dialect> {
  await migrateUnderLock(url);
  const poolSize = options.poolSize ?? 10;
  const pipeline = options.maxPipeline === undefined ? {} : { max_pipeline: options.maxPipeline };
  const readers = postgres(url, { ...connectionOptions(), ...pipeline, max: poolSize });
  // Write transactions never share a connection: each runs on a client of its own with max: 1.
  // postgres.js 3.4.9's pooled sql.begin() can send BEGIN on a connection it has not reserved
  // (when that BEGIN fills the connection's pipeline) and can hand a connection back to the pool
  // mid-transaction when its socket drains; other queries then run, and commit, inside our
  // transaction (porsager/postgres#823, #1189, #1204; fixes unreleased). A max: 1 client is the
  // mode the driver documents as safe for manual BEGIN/COMMIT.
  const writers = Array.from({ length: poolSize }, () => postgres(url, { ...connectionOptions(), ...pipeline, max: 1 }));
  const pool = new ExclusivePool(writers);
  return {
    kind: "postgres",
    reader: executor(readers),
    lockSkipLocked: sql`FOR UPDATE SKIP LOCKED`,
    lockRow: sql`FOR NO KEY UPDATE`,
    write: <T>(work: (tx: Executor) => Promise<T>, last?: (tx: Executor) => Promise<unknown>) => pool.use((client) => inTransaction(client, work, last)),
    close: async () => {
      await Promise.all([readers.end({ timeout: 5 }), ...writers.map((writer) => writer.end({ timeout: 5 }))]);
    },
  };
}

async function inTransaction<T>(client: postgres.Sql, work: (tx: Executor) => Promise<T>, last?: (tx: Executor) => Promise<unknown>): Promise<T> {
  // BEGIN is sent at once and not awaited: the transaction's first statement follows it in
  // the same pipeline on this client's one connection, saving a round trip per transaction.
  // Only a broken connection makes BEGIN fail, and then the statements behind it fail too.
  const began = client.unsafe("BEGIN").execute();
  began.catch(() => undefined);
  try {
    const value = await work(executor(client));
    if (last) await lastWithCommit(client, last);
    else await client.unsafe("COMMIT");
    await began;
    return value;
  } catch (error) {
    // A connection that died mid-transaction is rolled back by the server; the client reconnects.
    await client.unsafe("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/**
 * Sends the last statement and COMMIT in one pipeline (one round trip instead of two). If
 * the statement fails, the transaction is aborted and the server answers the COMMIT with
 * a rollback; its command tag tells which happened.
 */
async function lastWithCommit(client: postgres.Sql, last: (tx: Executor) => Promise<unknown>): Promise<void> {
  let open = true;
  const ending = last(executor(client, () => open));
  open = false;
  const committing = client.unsafe("COMMIT").execute();
  ending.catch(() => undefined);
  committing.catch(() => undefined);
  const [ended, committed] = await Promise.allSettled([ending, committing]);
  if (committed.status === "rejected") throw committed.reason;
  if (ended.status === "rejected") {
    if (committed.value.command === "COMMIT") {
      // The statement succeeded but `last` threw anyway, or it sent a second statement too late.
      throw new Error(`a write transaction committed although its last step failed (a store bug, report it): ${String(ended.reason)}`);
    }
    throw ended.reason;
  }
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
function executor(client: postgres.Sql, open: () => boolean = () => true): Executor {
  const send = (query: SQL) => {
    if (!open()) throw new Error("a write transaction's last step sent a second statement after COMMIT was queued (a store bug, report it)");
    const { sql: text, params } = render.sqlToQuery(query);
    // Parameters are the values our SQL templates bind: strings, numbers, Buffers, null.
    // execute() queues it now, in call order: awaiting it alone would queue it a microtask
    // later, behind a COMMIT queued meanwhile (see lastWithCommit).
    return client.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true }).execute();
  };
  return {
    rows: async <Row>(query: SQL) => (await send(query)) as unknown as Row[],
    run: async (query: SQL) => (await send(query)).count,
  };
}
