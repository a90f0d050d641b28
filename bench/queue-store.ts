import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPostgresStore, openSqliteStore } from "../services/control-plane/store/open-store.js";
import type { Store } from "../services/control-plane/store/store.js";
import { runGraphileLoad } from "./support/graphile-load.js";
import type { LoadResult } from "./support/load-result.js";
import { describeMachine } from "./support/machine.js";
import { benchDatabase } from "./support/postgres-database.js";
import { prefillPostgres, prefillSqlite } from "./support/prefill.js";
import { publishSection, runBenchmark, table, type Row } from "./support/report.js";
import { runRawPostgresLoad, runRawSqliteLoad } from "./support/raw-load.js";
import { runStoreLoad } from "./support/store-load.js";
import { positive, progressFor } from "./support/args.js";

/*
 * Store-level queue benchmark: enqueue → claim → complete with 8 concurrent claimers on
 * SQLite and on Postgres, at 1k, 10k and 100k jobs pending beforehand; beside it the
 * same work as plain SQL on the same schema (support/raw-load.ts, the physical limit),
 * and graphile-worker doing the same on the same Postgres for comparison.
 *
 *   npm run build && node dist/bench/queue-store.js [--jobs 2000] [--depths 1000,10000,100000] [--repeat 3] [--no-record]
 *
 * Each configuration runs --repeat times, the three systems interleaved, and the run
 * with the median throughput is reported: on a shared machine single runs vary a lot.
 *
 * PUSHPALS_BENCH_PG_URL names the Postgres to use (a database there is created and
 * dropped per run; default postgres://postgres@127.0.0.1:5432/test).
 */

const CLAIMERS = 8;
/** Jobs spread over this many sessions: appends to one session serialise on its seq by design. */
const SESSIONS = 64;
const OPTIONS = { defaultMaxAttempts: 3, backoffBaseMs: 2000, backoffMaxMs: 300_000, workerStaleMs: 30_000 };

interface Args {
  jobs: number;
  depths: number[];
  repeat: number;
  record: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { jobs: 2000, depths: [1000, 10_000, 100_000], repeat: 3, record: true };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--jobs") args.jobs = positive(argv[++i], "--jobs");
    else if (flag === "--depths") args.depths = (argv[++i] ?? "").split(",").map((d) => positive(d, "--depths"));
    else if (flag === "--repeat") args.repeat = positive(argv[++i], "--repeat");
    else if (flag === "--no-record") args.record = false;
    else throw new Error(`unknown argument ${flag}; use --jobs N, --depths A,B,C, --repeat N or --no-record`);
  }
  return args;
}

const progress = progressFor("queue-store");

async function sessionsOf(store: Store): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < SESSIONS; i++) ids.push((await store.createSession({ title: `bench ${i}` })).value.session.id);
  return ids;
}

async function sqliteRun(depth: number, jobs: number): Promise<LoadResult> {
  const dir = await mkdtemp(join(tmpdir(), "pushpals-bench-"));
  const file = join(dir, "pushpals.db");
  try {
    const store = await openSqliteStore(file, OPTIONS);
    try {
      const sessions = await sessionsOf(store);
      progress(`sqlite, ${depth} pending: filling the backlog`);
      prefillSqlite(file, depth, sessions, Date.now());
      progress(`sqlite, ${depth} pending: ${jobs} jobs through ${CLAIMERS} claimers`);
      return await runStoreLoad(store, sessions, jobs, CLAIMERS);
    } finally {
      await store.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function postgresRun(depth: number, jobs: number): Promise<LoadResult> {
  const database = await benchDatabase("store");
  try {
    const store = await openPostgresStore(database.url, { ...OPTIONS, poolSize: 10 });
    try {
      const sessions = await sessionsOf(store);
      progress(`postgres, ${depth} pending: filling the backlog`);
      await prefillPostgres(database.url, depth, sessions, Date.now());
      progress(`postgres, ${depth} pending: ${jobs} jobs through ${CLAIMERS} claimers`);
      return await runStoreLoad(store, sessions, jobs, CLAIMERS);
    } finally {
      await store.close();
    }
  } finally {
    await database.drop();
  }
}

/** The same work as plain SQL on the same schema (support/raw-load.ts): the physical limit the store is compared with. */
async function rawSqliteRun(depth: number, jobs: number): Promise<LoadResult> {
  const dir = await mkdtemp(join(tmpdir(), "pushpals-bench-"));
  const file = join(dir, "pushpals.db");
  try {
    const store = await openSqliteStore(file, OPTIONS);
    const sessions = await sessionsOf(store);
    await store.close();
    progress(`raw sqlite, ${depth} pending: filling the backlog, then ${jobs} jobs`);
    prefillSqlite(file, depth, sessions, Date.now());
    return runRawSqliteLoad(file, sessions, jobs);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function rawPostgresRun(depth: number, jobs: number): Promise<LoadResult> {
  const database = await benchDatabase("raw");
  try {
    const store = await openPostgresStore(database.url, { ...OPTIONS, poolSize: 10 });
    const sessions = await sessionsOf(store);
    await store.close();
    progress(`raw postgres, ${depth} pending: filling the backlog, then ${jobs} jobs through ${CLAIMERS} clients`);
    await prefillPostgres(database.url, depth, sessions, Date.now());
    return await runRawPostgresLoad(database.url, sessions, jobs, CLAIMERS);
  } finally {
    await database.drop();
  }
}

async function graphileRun(depth: number, jobs: number): Promise<LoadResult> {
  const database = await benchDatabase("graphile");
  try {
    progress(`graphile-worker, ${depth} pending: filling the backlog, then ${jobs} jobs at concurrency ${CLAIMERS}`);
    return await runGraphileLoad(database.url, depth, jobs, CLAIMERS);
  } finally {
    await database.drop();
  }
}

/** The run with the median throughput. */
function median(results: LoadResult[]): LoadResult {
  const sorted = [...results].sort((a, b) => a.jobsPerSecond - b.jobsPerSecond);
  const middle = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!middle) throw new Error("no runs to take the median of");
  return middle;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const machine = await describeMachine();
  progress(machine);
  const rows: Row[] = [];
  const ratios: string[] = [];
  for (const depth of args.depths) {
    const runs: Record<"sqlite" | "rawSqlite" | "pg" | "rawPg" | "graphile", LoadResult[]> = { sqlite: [], rawSqlite: [], pg: [], rawPg: [], graphile: [] };
    for (let round = 1; round <= args.repeat; round++) {
      progress(`${depth} pending, round ${round} of ${args.repeat}`);
      runs.sqlite.push(await sqliteRun(depth, args.jobs));
      runs.rawSqlite.push(await rawSqliteRun(depth, args.jobs));
      runs.pg.push(await postgresRun(depth, args.jobs));
      runs.rawPg.push(await rawPostgresRun(depth, args.jobs));
      runs.graphile.push(await graphileRun(depth, args.jobs));
    }
    const [sqlite, rawSqlite, pg, rawPg, graphile] = [median(runs.sqlite), median(runs.rawSqlite), median(runs.pg), median(runs.rawPg), median(runs.graphile)];
    rows.push(
      { system: "pushpals store, SQLite", depth, result: sqlite },
      { system: "raw SQL, same work, SQLite", depth, result: rawSqlite },
      { system: "pushpals store, Postgres", depth, result: pg },
      { system: "raw SQL, same work, Postgres", depth, result: rawPg },
      { system: "graphile-worker, Postgres", depth, result: graphile },
    );
    const ratio = (a: LoadResult, b: LoadResult) => (a.jobsPerSecond / b.jobsPerSecond).toFixed(2);
    ratios.push(
      `- ${depth.toLocaleString("en")} pending: store ÷ raw SQL = ${ratio(sqlite, rawSqlite)}× (SQLite), ${ratio(pg, rawPg)}× (Postgres) (goal ≥ 0.8×); pushpals Postgres ÷ graphile-worker = ${ratio(pg, graphile)}× jobs/s (goal ≥ 1.2×)`,
    );
    progress(`${depth} pending done`);
  }

  const section = [
    `## Queue store: enqueue → claim → complete (${new Date().toISOString()})`,
    "",
    `Command: \`node dist/bench/queue-store.js${process.argv.length > 2 ? " " + process.argv.slice(2).join(" ") : ""}\``,
    `Machine: ${machine}`,
    `Load: ${args.jobs} jobs per run, median of ${args.repeat} runs by throughput, ${CLAIMERS} concurrent claimers (graphile-worker: concurrency ${CLAIMERS}, ${CLAIMERS} producers), ` +
      `jobs spread over ${SESSIONS} sessions, a backlog of pending jobs written beforehand (the queue keeps that depth during the run). ` +
      "Claim latency is one Store.claim call (reap check, claim, claimed event, commit); for graphile-worker, get_job to job start. " +
      "The pushpals store also appends an audit event per transition (enqueued, claimed, completed) in the same transaction; graphile-worker keeps no such log.",
    "",
    table(rows),
    "",
    ...ratios,
  ].join("\n");
  await publishSection(section, args.record, progress);
}

runBenchmark("queue-store", main);
