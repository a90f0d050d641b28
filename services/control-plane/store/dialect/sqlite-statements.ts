import type Database from "better-sqlite3";
import type { SQL } from "drizzle-orm";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import type { Executor } from "./dialect.js";

const render = new SQLiteSyncDialect();
/** Distinct statements the store sends are a few dozen; the bound only guards against a leak. */
const MAX_CACHED = 500;

/**
 * Drizzle renders the SQL; better-sqlite3 runs it from a per-connection cache of
 * prepared statements (drizzle's own all()/run() prepare every statement again).
 */
export function statementExecutor(db: Database.Database): Executor {
  const cache = new Map<string, Database.Statement>();
  const prepared = (query: SQL) => {
    const { sql: text, params } = render.sqlToQuery(query);
    let statement = cache.get(text);
    if (!statement) {
      if (cache.size >= MAX_CACHED) cache.clear();
      statement = db.prepare(text);
      cache.set(text, statement);
    }
    return { statement, params };
  };
  return {
    rows: async <Row>(query: SQL) => {
      const { statement, params } = prepared(query);
      return statement.all(...params) as Row[];
    },
    run: async (query: SQL) => {
      const { statement, params } = prepared(query);
      return statement.run(...params).changes;
    },
  };
}
