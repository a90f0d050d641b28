import postgres from "postgres";
import { randomBytes } from "node:crypto";

export const ADMIN_URL = process.env.PUSHPALS_TEST_PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface FreshDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A new, empty database on the loopback Postgres, for one test file's run. */
export async function freshDatabase(label = "t"): Promise<FreshDatabase> {
  const name = `pushpals_${label}_${randomBytes(5).toString("hex")}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    async drop() {
      const sql = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await sql.end();
      }
    },
  };
}
