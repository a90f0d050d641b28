import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openSqliteStore, openStore } from "../../services/control-plane/store/open-store.js";
import { freshDatabase, type FreshDatabase } from "../support/postgres.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { DEFAULT_OPTIONS } from "./harness.js";

describe("openStore", () => {
  let dir: TempDir;
  let database: FreshDatabase;
  beforeAll(async () => {
    dir = await tempDir("pushpals-open-store-");
    database = await freshDatabase("open");
  });
  afterAll(async () => {
    await dir.remove();
    await database.drop();
  });

  test("an empty database URL means SQLite at <dataDir>/pushpals.db, creating the directory", async () => {
    const dataDir = join(dir.path, "nested", "data");
    const store = await openStore({ ...DEFAULT_OPTIONS, databaseUrl: "", dataDir });
    try {
      expect(store.kind).toBe("sqlite");
      expect(existsSync(join(dataDir, "pushpals.db"))).toBe(true);
      await store.createSession({ title: "embedded" });
    } finally {
      await store.close();
    }
    const reopened = await openStore({ ...DEFAULT_OPTIONS, databaseUrl: "", dataDir });
    try {
      expect((await reopened.listSessions({ limit: 10 })).map((s) => s.title)).toEqual(["embedded"]);
    } finally {
      await reopened.close();
    }
  });

  test("a postgres:// or postgresql:// URL means Postgres", async () => {
    for (const url of [database.url, database.url.replace(/^postgres:/, "postgresql:")]) {
      const store = await openStore({ ...DEFAULT_OPTIONS, databaseUrl: url, dataDir: dir.path });
      try {
        expect(store.kind).toBe("postgres");
        expect(await store.listSessions({ limit: 1 })).toEqual([]);
      } finally {
        await store.close();
      }
    }
  });

  test("any other URL is refused with the setting to fix, and no password in the message", async () => {
    await expect(openStore({ ...DEFAULT_OPTIONS, databaseUrl: "mysql://root:hunter2@db/x", dataDir: dir.path })).rejects.toThrow(
      /must be empty \(SQLite in the data dir\) or a postgres:\/\/ URL, got mysql:\/\/root:\*\*\*@db\/x; fix PUSHPALS_DATABASE_URL/,
    );
  });

  test("a SQLite file is opened once per process; closing frees it", async () => {
    const file = join(dir.path, "once", "pushpals.db");
    const first = await openSqliteStore(file, DEFAULT_OPTIONS);
    await expect(openSqliteStore(file, DEFAULT_OPTIONS)).rejects.toThrow(/already open in this process; share that Store/);
    await first.close();
    const second = await openSqliteStore(file, DEFAULT_OPTIONS);
    await second.close();
    await second.close(); // closing twice is harmless
  });
});
