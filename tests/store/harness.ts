import Database from "better-sqlite3";
import postgres from "postgres";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import { openPostgresStore, openSqliteStore } from "../../services/control-plane/store/open-store.js";
import type { Store, StoreOptions } from "../../services/control-plane/store/store.js";
import { freshDatabase, type FreshDatabase } from "../support/postgres.js";
import { tempDir, type TempDir } from "../support/tmp.js";

/** A hand-driven clock, so leases, backoff and SLO windows are tested without sleeping. */
export interface TestClock {
  now(): number;
  advance(ms: number): void;
  set(ms: number): void;
}

export function testClock(start = 1_700_000_000_000): TestClock {
  let current = start;
  return { now: () => current, advance: (ms) => (current += ms), set: (ms) => (current = ms) };
}

export const DEFAULT_OPTIONS = { defaultMaxAttempts: 3, backoffBaseMs: 1000, backoffMaxMs: 8000, workerStaleMs: 30_000 };

/** One database dialect under test; the conformance cases only talk to this. */
export interface Harness {
  readonly kind: "sqlite" | "postgres";
  /** A store over an empty database. Closed after the test. */
  open(options?: Partial<StoreOptions>): Promise<Store>;
  /** Closes `store` and opens its database again, running the migrator again. */
  reopen(store: Store, options?: Partial<StoreOptions>): Promise<Store>;
  /** Rows of raw SQL run on the current database through a connection of its own. */
  raw<Row>(statement: string): Promise<Row[]>;
  /** Makes every INSERT into events fail until `repairEventInserts`. */
  breakEventInserts(): Promise<void>;
  repairEventInserts(): Promise<void>;
}

abstract class BaseHarness {
  protected readonly stores = new Set<Store>();

  protected track(store: Store): Store {
    this.stores.add(store);
    return store;
  }

  async closeAll(): Promise<void> {
    for (const store of this.stores) await store.close();
    this.stores.clear();
  }
}

class SqliteHarness extends BaseHarness implements Harness {
  readonly kind = "sqlite";
  private dir: TempDir | undefined;
  private file = "";
  private counter = 0;

  async start(): Promise<void> {
    this.dir = await tempDir("pushpals-store-");
  }

  async stop(): Promise<void> {
    await this.closeAll();
    await this.dir?.remove();
  }

  async open(options: Partial<StoreOptions> = {}): Promise<Store> {
    if (!this.dir) throw new Error("harness not started");
    this.file = join(this.dir.path, `db-${++this.counter}`, "pushpals.db");
    return this.track(await openSqliteStore(this.file, { ...DEFAULT_OPTIONS, ...options }));
  }

  async reopen(store: Store, options: Partial<StoreOptions> = {}): Promise<Store> {
    await store.close();
    this.stores.delete(store);
    return this.track(await openSqliteStore(this.file, { ...DEFAULT_OPTIONS, ...options }));
  }

  async raw<Row>(statement: string): Promise<Row[]> {
    const db = new Database(this.file);
    db.pragma("busy_timeout = 5000");
    try {
      const prepared = db.prepare(statement);
      return prepared.reader ? (prepared.all() as Row[]) : (prepared.run(), []);
    } finally {
      db.close();
    }
  }

  async breakEventInserts(): Promise<void> {
    await this.raw(`CREATE TRIGGER break_events BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
  }

  async repairEventInserts(): Promise<void> {
    await this.raw(`DROP TRIGGER break_events`);
  }
}

class PostgresHarness extends BaseHarness implements Harness {
  readonly kind = "postgres";
  private database: FreshDatabase | undefined;
  private admin: postgres.Sql | undefined;

  async start(): Promise<void> {
    this.database = await freshDatabase("store");
    this.admin = postgres(this.database.url, { max: 1, onnotice: () => {} });
  }

  async stop(): Promise<void> {
    await this.closeAll();
    await this.admin?.end();
    await this.database?.drop();
  }

  async open(options: Partial<StoreOptions> & { poolSize?: number } = {}): Promise<Store> {
    if (!this.database) throw new Error("harness not started");
    const store = this.track(await openPostgresStore(this.database.url, { ...DEFAULT_OPTIONS, poolSize: 10, ...options }));
    // One database per file run; every test starts from empty tables.
    for (const table of ["approvals", "artifacts", "events", "queue_items", "workers", "sessions"]) await this.raw(`DELETE FROM ${table}`);
    return store;
  }

  async reopen(store: Store, options: Partial<StoreOptions> = {}): Promise<Store> {
    if (!this.database) throw new Error("harness not started");
    await store.close();
    this.stores.delete(store);
    return this.track(await openPostgresStore(this.database.url, { ...DEFAULT_OPTIONS, ...options }));
  }

  async raw<Row>(statement: string): Promise<Row[]> {
    if (!this.admin) throw new Error("harness not started");
    return Array.from(await this.admin.unsafe(statement)) as Row[];
  }

  async breakEventInserts(): Promise<void> {
    await this.raw(`CREATE FUNCTION break_events() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$`);
    await this.raw(`CREATE TRIGGER break_events BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION break_events()`);
  }

  async repairEventInserts(): Promise<void> {
    await this.raw(`DROP TRIGGER break_events ON events`);
    await this.raw(`DROP FUNCTION break_events()`);
  }
}

/** Registers the hooks of a harness for the current test file. */
export function useHarness(kind: "sqlite" | "postgres"): Harness {
  const harness = kind === "sqlite" ? new SqliteHarness() : new PostgresHarness();
  beforeAll(() => harness.start());
  afterEach(() => harness.closeAll());
  afterAll(() => harness.stop());
  return harness;
}
