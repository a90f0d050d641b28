import { create } from "@bufbuild/protobuf";
import Database from "better-sqlite3";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { Priority, QueueName } from "../gen/pushpals/v1/common_pb.js";
import { AgentStepSchema, UserMessageSchema } from "../gen/pushpals/v1/events_pb.js";
import { openPostgresStore, openSqliteStore } from "../services/control-plane/store/open-store.js";
import type { EventDraft, Store } from "../services/control-plane/store/store.js";
import { listOf, positive, progressFor } from "./support/args.js";
import { describeMachine } from "./support/machine.js";
import { benchDatabase } from "./support/postgres-database.js";
import { benchPayload } from "./support/prefill.js";
import { publishSection, runBenchmark } from "./support/report.js";
import { fromBinary } from "@bufbuild/protobuf";
import { ItemPayloadSchema } from "../gen/pushpals/v1/items_pb.js";

/*
 * Storage per event (issue 17, goal ≤ 200 B/event on SQLite): a session log written
 * through the Store the way a run writes it — per job its enqueued, claimed and
 * completed events, ten agent steps about the job and one message about no item —
 * then the bytes the events table and its indexes take on disk, divided by the events.
 * Not counted: the sessions table, where each session keeps its session_key (the number
 * its events store instead of its id) and one index entry for it — per session, not per event.
 *
 *   npx tsx bench/event-storage.ts [--jobs 2000] [--stores sqlite,postgres] [--no-record]
 */

const OPTIONS = { defaultMaxAttempts: 3, backoffBaseMs: 2000, backoffMaxMs: 300_000, workerStaleMs: 30_000 };
const SESSIONS = 8;
const STEPS_PER_JOB = 10;
const STORES = ["sqlite", "postgres"] as const;
type StoreKind = (typeof STORES)[number];

interface Args {
  jobs: number;
  stores: StoreKind[];
  record: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { jobs: 2000, stores: [...STORES], record: true };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--jobs") args.jobs = positive(argv[++i], "--jobs");
    else if (flag === "--stores") args.stores = listOf(argv[++i], "--stores", STORES);
    else if (flag === "--no-record") args.record = false;
    else throw new Error(`unknown argument ${flag}; use --jobs N, --stores sqlite,postgres or --no-record`);
  }
  return args;
}

const progress = progressFor("event-storage");

/** Writes the log; resolves to the number of events written and how long that took. */
async function writeLog(store: Store, jobs: number): Promise<{ events: number; ms: number }> {
  const startedAt = performance.now();
  const sessions: string[] = [];
  for (let i = 0; i < SESSIONS; i++) sessions.push((await store.createSession({ title: `storage ${i}` })).value.session.id);
  const payload = fromBinary(ItemPayloadSchema, benchPayload());
  let events = SESSIONS;
  for (let job = 0; job < jobs; job++) {
    const sessionId = sessions[job % SESSIONS]!;
    const { value } = await store.enqueue({ queue: QueueName.JOBS, sessionId, priority: Priority.NORMAL, payload });
    const claimed = (await store.claim({ queue: QueueName.JOBS, workerId: "storage-worker", leaseMs: 60_000 })).value!;
    const steps: EventDraft[] = Array.from({ length: STEPS_PER_JOB }, (_, step) => ({
      itemId: value.item.id,
      payload: { case: "agentStep", value: create(AgentStepSchema, { step: step + 1, thought: "run the tests", command: "npm test", exitCode: 0, output: "ok 12 tests" }) },
    }));
    steps.push({ payload: { case: "message", value: create(UserMessageSchema, { text: "looks good, go on", author: "ana" }) } });
    await store.appendEvents(sessionId, steps);
    await store.complete({ itemId: claimed.item.id, leaseToken: claimed.leaseToken });
    events += 3 + steps.length;
  }
  return { events, ms: performance.now() - startedAt };
}

interface Measured {
  store: StoreKind;
  events: number;
  /** Writing the log through the Store (one client, so the append path's cost shows; noisy under load). */
  writeMs: number;
  bytes: number;
  /** The stored event bytes alone (the data column), for what the rest costs. */
  dataBytes: number;
  parts: string;
}

async function sqliteRun(jobs: number): Promise<Measured> {
  const dir = await mkdtemp(join(tmpdir(), "pushpals-storage-"));
  const file = join(dir, "pushpals.db");
  try {
    const store = await openSqliteStore(file, OPTIONS);
    const { events, ms } = await writeLog(store, jobs);
    await store.close();
    const db = new Database(file);
    try {
      db.pragma("wal_checkpoint(TRUNCATE)");
      const rows = db
        .prepare<[], { name: string; bytes: number }>(
          "SELECT name, sum(pgsize) AS bytes FROM dbstat WHERE name = 'events' OR name IN (SELECT name FROM sqlite_schema WHERE tbl_name = 'events' AND type = 'index') GROUP BY name ORDER BY name",
        )
        .all();
      const [{ data }] = db.prepare<[], { data: number }>("SELECT sum(length(data)) AS data FROM events").all() as [{ data: number }];
      return {
        store: "sqlite",
        events,
        writeMs: ms,
        bytes: rows.reduce((sum, row) => sum + row.bytes, 0),
        dataBytes: data,
        parts: rows.map((row) => `${row.name} ${(row.bytes / events).toFixed(0)}`).join(", "),
      };
    } finally {
      db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function postgresRun(jobs: number): Promise<Measured> {
  const database = await benchDatabase("storage");
  try {
    const store = await openPostgresStore(database.url, OPTIONS);
    const { events, ms } = await writeLog(store, jobs);
    await store.close();
    const sql = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      await sql`VACUUM ANALYZE events`;
      const rows = await sql<{ name: string; bytes: string }[]>`
        SELECT c.relname AS name, pg_relation_size(c.oid) AS bytes FROM pg_class c
         WHERE c.relname = 'events' OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'events'::regclass) ORDER BY 1`;
      const [{ data }] = (await sql<{ data: string }[]>`SELECT sum(length(data)) AS data FROM events`) as unknown as [{ data: string }];
      const bytes = rows.reduce((sum, row) => sum + Number(row.bytes), 0);
      return {
        store: "postgres",
        events,
        writeMs: ms,
        bytes,
        dataBytes: Number(data),
        parts: rows.map((row) => `${row.name} ${(Number(row.bytes) / events).toFixed(0)}`).join(", "),
      };
    } finally {
      await sql.end();
    }
  } finally {
    await database.drop();
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const machine = await describeMachine();
  const measured: Measured[] = [];
  for (const store of args.stores) {
    progress(`${store}: ${args.jobs} jobs`);
    measured.push(store === "sqlite" ? await sqliteRun(args.jobs) : await postgresRun(args.jobs));
  }
  const lines = [
    `## Event storage — ${startedAt.toISOString()}`,
    "",
    `- command: \`npx tsx bench/event-storage.ts --jobs ${args.jobs} --stores ${args.stores.join(",")}\``,
    `- machine: ${machine}`,
    `- log: ${SESSIONS} sessions; per job enqueued, claimed and completed events (through the Store), ${STEPS_PER_JOB} agent steps about the job and one message about no item; bytes = the events table and its indexes on disk (SQLite: dbstat page sizes after a checkpoint; Postgres: relation sizes after VACUUM), goal ≤ 200 B/event on SQLite; not counted: the sessions table (one session_key and its index entry per session, not per event)`,
    "",
    "| store | events | B/event | of which event bytes (data column) | by relation, B/event | writing the log, s (one client) |",
    "| --- | ---: | ---: | ---: | --- | ---: |",
    ...measured.map(
      (m) => `| ${m.store} | ${m.events} | ${(m.bytes / m.events).toFixed(0)} | ${(m.dataBytes / m.events).toFixed(0)} | ${m.parts} | ${(m.writeMs / 1000).toFixed(1)} |`,
    ),
  ];
  await publishSection(lines.join("\n"), args.record, progress);
}

runBenchmark("event-storage", main);
