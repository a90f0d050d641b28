import type { SQL } from "drizzle-orm";

/** Runs SQL built with drizzle's `sql` template on one connection (or transaction). */
export interface Executor {
  /** The rows of a SELECT, or of an INSERT/UPDATE … RETURNING. Column names are the table's snake_case names. */
  rows<Row>(query: SQL): Promise<Row[]>;
  /** Runs a statement and resolves to the number of rows it changed. */
  run(query: SQL): Promise<number>;
}

/**
 * What differs between SQLite and Postgres, and nothing more: the store's logic is
 * written once in ../sql/ over this.
 */
export interface Dialect {
  readonly kind: "sqlite" | "postgres";
  /** Reads outside any transaction (they see the last committed state). */
  readonly reader: Executor;
  /**
   * Runs `work` as one write transaction: commits when it resolves, rolls back when it
   * throws. Transactions never interleave on a connection.
   *
   * `last`, when given, runs after `work` as the transaction's final step. Postgres sends
   * COMMIT right behind its statement, in the same pipeline, saving a round trip; so
   * `last` must issue exactly one statement, synchronously when called (a later one is
   * refused), and throw only when that statement failed (a failed statement aborts the
   * transaction, so the COMMIT behind it rolls back).
   */
  write<T>(work: (tx: Executor) => Promise<T>, last?: (tx: Executor) => Promise<unknown>): Promise<T>;
  /**
   * Ends a SELECT that picks rows to change. Postgres: FOR UPDATE SKIP LOCKED, so
   * concurrent claimers pass over each other's rows. SQLite: nothing, because its write
   * transaction already excludes every other writer.
   */
  readonly lockSkipLocked: SQL;
  /**
   * Ends a SELECT of one row the transaction is about to change. Postgres: FOR NO KEY
   * UPDATE (waits for the current holder; still lets foreign-key checks through).
   * SQLite: nothing, as above.
   */
  readonly lockRow: SQL;
  close(): Promise<void>;
}
