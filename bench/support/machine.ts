import Database from "better-sqlite3";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { postgresVersion } from "./postgres-database.js";

/** Where the figures were taken, for the record next to them. */
export async function describeMachine(): Promise<string> {
  const memory = `${(totalmem() / 2 ** 30).toFixed(1)} GiB`;
  const sqlite = new Database(":memory:");
  const [{ v: sqliteVersion }] = sqlite.prepare("select sqlite_version() as v").all() as [{ v: string }];
  sqlite.close();
  return [
    `nproc ${availableParallelism()} (${cpus()[0]?.model.trim() ?? "unknown cpu"})`,
    `memory ${memory}`,
    `node ${process.version}`,
    `PostgreSQL ${await postgresVersion()}`,
    `SQLite ${sqliteVersion}`,
    // Shared machines skew the figures; the load when the run began says how much.
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} at start`,
  ].join(", ");
}
