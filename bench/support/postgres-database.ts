import postgres from "postgres";
import { randomBytes } from "node:crypto";

export const BENCH_PG_ADMIN_URL = process.env.PUSHPALS_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A new, empty database on the benchmark's Postgres, dropped by `drop()`. */
export async function benchDatabase(label: string): Promise<BenchDatabase> {
  const name = `pushpals_bench_${label}_${randomBytes(4).toString("hex")}`;
  await withAdmin(async (sql) => void (await sql.unsafe(`create database ${name}`)));
  return {
    url: BENCH_PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`),
    drop: () =>
      withAdmin(async (sql) => {
        await connectionsGone(sql, name);
        await sql.unsafe(`drop database if exists ${name} with (force)`);
      }),
  };
}

/**
 * Waits (up to 10 s) for clients to finish disconnecting. graphile-worker's stop()
 * resolves while its pool is still closing; forcing the drop then kills those
 * connections and pg reports it as an unhandled 'error' event that ends the process.
 */
async function connectionsGone(sql: postgres.Sql, name: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where datname = ${name}`;
    if (!row || row.n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function postgresVersion(): Promise<string> {
  return withAdmin(async (sql) => {
    const [row] = await sql<{ server_version: string }[]>`show server_version`;
    return row?.server_version ?? "unknown";
  });
}

async function withAdmin<T>(work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(BENCH_PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    return await work(sql);
  } finally {
    await sql.end();
  }
}
