import { create } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { DispatchLeaseSchema, type DispatchLease } from "../../../../../gen/pushpals/v1/autonomy_pb.js";
import { failedPrecondition } from "../../../../../shared/errors.js";
import { toTimestamp } from "../../../../../shared/time.js";
import type { Executor } from "../../dialect/dialect.js";
import type { WriteTx } from "../../transaction.js";

const LOCK = "dispatch";

interface LeaseRow {
  holder: string;
  expires_at: number;
}

const toLease = (row: LeaseRow | undefined, now: number): DispatchLease =>
  row && Number(row.expires_at) > now ? create(DispatchLeaseSchema, { holder: row.holder, expiresAt: toTimestamp(Number(row.expires_at)) }) : create(DispatchLeaseSchema, {});

/**
 * One statement takes, renews or takes over the lock: the upsert only overwrites a row that
 * is the caller's own or has expired, so of two planners racing for it exactly one gets a
 * row back (Postgres serialises the conflicting inserts; SQLite has one writer).
 */
export async function acquireDispatchLease(tx: WriteTx, input: { holder: string; ttlMs: number }): Promise<{ acquired: boolean; lease: DispatchLease }> {
  const [row] = await tx.exec.rows<LeaseRow>(sql`
    INSERT INTO autonomy_leases (name, holder, expires_at, acquired_at) VALUES (${LOCK}, ${input.holder}, ${tx.now + input.ttlMs}, ${tx.now})
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
           acquired_at = CASE WHEN autonomy_leases.holder = excluded.holder THEN autonomy_leases.acquired_at ELSE excluded.acquired_at END
     WHERE autonomy_leases.holder = excluded.holder OR autonomy_leases.expires_at <= ${tx.now}
    RETURNING holder, expires_at`);
  if (row) return { acquired: true, lease: toLease(row, tx.now) };
  return { acquired: false, lease: await readDispatchLease(tx.exec, tx.now) };
}

export async function releaseDispatchLease(tx: WriteTx, holder: string): Promise<boolean> {
  return (await tx.exec.run(sql`DELETE FROM autonomy_leases WHERE name = ${LOCK} AND holder = ${holder}`)) > 0;
}

export async function readDispatchLease(exec: Executor, now: number): Promise<DispatchLease> {
  const [row] = await exec.rows<LeaseRow>(sql`SELECT holder, expires_at FROM autonomy_leases WHERE name = ${LOCK}`);
  return toLease(row, now);
}

/** Every dispatcher write checks the lock in its own transaction: a holder whose lease lapsed cannot act on a stale view. */
export async function requireHolder(tx: WriteTx, holder: string): Promise<void> {
  const [row] = await tx.exec.rows<LeaseRow>(sql`SELECT holder, expires_at FROM autonomy_leases WHERE name = ${LOCK} ${tx.dialect.lockRow}`);
  if (row && row.holder === holder && Number(row.expires_at) > tx.now) return;
  const who = row && Number(row.expires_at) > tx.now ? `${row.holder} holds it` : "nobody holds it";
  throw failedPrecondition(`${holder} does not hold the autonomy dispatch lease (${who}); acquire it first`);
}
