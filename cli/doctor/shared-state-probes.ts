import postgres from "postgres";
import type { Config } from "../../shared/config/schema.js";
import { connectNatsBus } from "../../services/control-plane/bus/nats-bus.js";
import { redactNatsUrl } from "../../services/control-plane/bus/nats-credentials.js";
import { errorMessage } from "../../shared/errors.js";
import { broken, ok, skipped, type Probe } from "./probe.js";

/** Postgres when storage.databaseUrl is set: connects and asks which database and server it reached. */
export function postgresProbe(config: Config): Probe {
  return {
    name: "postgres",
    async run() {
      const url = config.storage.databaseUrl;
      if (!url) return skipped(`not configured; the store is SQLite in ${config.storage.dataDir}`);
      const where = redactedDatabaseUrl(url);
      const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
      try {
        const [row] = await sql<{ database: string; version: string }[]>`select current_database() as database, current_setting('server_version') as version`;
        return ok(`${where}: database ${row?.database} on PostgreSQL ${row?.version}`);
      } catch (error) {
        return broken(`${where}: ${errorMessage(error)}`, postgresFix(error, url));
      } finally {
        await sql.end({ timeout: 1 });
      }
    },
  };
}

/** NATS when bus.natsUrl is set: connects with the configured credentials, as the services do. */
export function natsProbe(config: Config): Probe {
  return {
    name: "nats",
    async run() {
      const { natsUrl, natsCredsFile, natsToken } = config.bus;
      if (!natsUrl) return skipped("not configured; the bus is in-process (embedded mode only)");
      try {
        const bus = await connectNatsBus({ url: natsUrl, credsFile: natsCredsFile, token: natsToken, name: "pushpals-doctor" });
        await bus.close();
        return ok(`connected to ${redactNatsUrl(natsUrl)}`);
      } catch (error) {
        const [detail, ...fix] = errorMessage(error).split("; ");
        return broken(detail ?? "", fix.join("; ") || "check PUSHPALS_NATS_URL and that nats-server runs there");
      }
    },
  };
}

function postgresFix(error: unknown, url: string): string {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
  const database = new URL(url).pathname.slice(1) || "the database";
  switch (code) {
    case "3D000":
      return `create it: createdb ${database} (or psql -c 'create database ${database}')`;
    case "28P01":
    case "28000":
      return "the server refused the user or password in PUSHPALS_DATABASE_URL; fix them";
    case "ECONNREFUSED":
    case "ENOTFOUND":
    case "CONNECT_TIMEOUT":
      return "start PostgreSQL there, or fix the host and port in PUSHPALS_DATABASE_URL (leave it empty for SQLite)";
    default:
      return "check PUSHPALS_DATABASE_URL (postgres://user:password@host:5432/database)";
  }
}

function redactedDatabaseUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}
