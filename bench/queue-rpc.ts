import { join } from "node:path";
import type { Clients } from "../services/kernel/clients.js";
import { packageRoot } from "../services/kernel/paths.js";
import type { LoadResult } from "./support/load-result.js";
import { describeMachine } from "./support/machine.js";
import { prefillPostgres, prefillSqlite } from "./support/prefill.js";
import { appendResults, table, type Row } from "./support/report.js";
import { startBenchControlPlane, type BenchControlPlane, type BenchStore } from "./support/rpc-control-plane.js";
import { runRpcQueueLoad } from "./support/rpc-queue-load.js";
import { storeFigures, type StoreFigures } from "./support/rpc-store-figures.js";

/*
 * Queue throughput over RPC: enqueue → claim → complete with 8 concurrent claimers,
 * each on its own HTTP/2 connection to a real control plane (on its own thread), on
 * SQLite (in-process bus) and on Postgres (NATS bus, as deployed), with 1k, 10k and
 * 100k jobs pending beforehand. The store-level figures of bench/queue-store.ts, taken
 * in the same run, give the RPC overhead.
 *
 *   npm run build && node dist/bench/queue-rpc.js [--jobs 2000] [--depths 1000,10000,100000] [--repeat 3]
 *       [--claim-wait-ms 10000] [--nats nats://127.0.0.1:4222] [--store-figures run|results] [--no-record]
 */

const CLAIMERS = 8;
/** The store bench's spread: appends to one session serialise on its seq by design. */
const SESSIONS = 64;

interface Args {
  jobs: number;
  depths: number[];
  repeat: number;
  claimWaitMs: number | undefined;
  natsUrl: string;
  storeFigures: "run" | "results";
  record: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    jobs: 2000,
    depths: [1000, 10_000, 100_000],
    repeat: 3,
    claimWaitMs: 10_000,
    natsUrl: process.env.PUSHPALS_BENCH_NATS_URL ?? "nats://127.0.0.1:4222",
    storeFigures: "run",
    record: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--jobs") args.jobs = positive(argv[++i], flag);
    else if (flag === "--depths") args.depths = (argv[++i] ?? "").split(",").map((d) => positive(d, flag));
    else if (flag === "--repeat") args.repeat = positive(argv[++i], flag);
    else if (flag === "--claim-wait-ms") args.claimWaitMs = nonNegative(argv[++i], flag) || undefined;
    else if (flag === "--nats") args.natsUrl = argv[++i] ?? "";
    else if (flag === "--store-figures") args.storeFigures = oneOf(argv[++i], flag, ["run", "results"] as const);
    else if (flag === "--no-record") args.record = false;
    else {
      throw new Error(
        `unknown argument ${flag}; use --jobs N, --depths A,B,C, --repeat N, --claim-wait-ms MS (0 = no long poll), ` +
          "--nats URL ('' = in-process bus on Postgres too), --store-figures run|results or --no-record",
      );
    }
  }
  return args;
}

function positive(value: string | undefined, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive integer, got ${value ?? "nothing"}`);
  return n;
}

function nonNegative(value: string | undefined, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} takes a whole number of milliseconds, got ${value ?? "nothing"}`);
  return n;
}

function oneOf<T extends string>(value: string | undefined, flag: string, allowed: readonly T[]): T {
  if (allowed.includes(value as T)) return value as T;
  throw new Error(`${flag} takes one of ${allowed.join(", ")}, got ${value ?? "nothing"}`);
}

const percent = (value: number) => `${Math.round(value * 100)}%`;
const progress = (message: string) => process.stderr.write(`[queue-rpc] ${message}\n`);

async function createSessions(clients: Clients): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const { session } = await clients.sessions.createSession({ title: `bench ${i}` });
    if (!session) throw new Error("CreateSession answered without a session");
    ids.push(session.id);
  }
  return ids;
}

async function fillBacklog(plane: BenchControlPlane, depth: number, sessions: string[]): Promise<void> {
  if (plane.sqliteFile) prefillSqlite(plane.sqliteFile, depth, sessions, Date.now());
  else if (plane.databaseUrl) await prefillPostgres(plane.databaseUrl, depth, sessions, Date.now());
  else throw new Error(`the control plane on ${plane.store} names neither its SQLite file nor its database`);
}

interface RpcRun {
  result: LoadResult;
  /** The control plane thread's event-loop utilisation over the window (0..1). */
  serverBusy: number;
}

async function rpcRun(store: BenchStore, depth: number, args: Args): Promise<RpcRun> {
  const natsUrl = store === "postgres" ? args.natsUrl : "";
  const plane = await startBenchControlPlane({ store, natsUrl, label: "rpc" });
  try {
    const sessions = await createSessions(plane.connect());
    progress(`${store} over RPC, ${depth} pending: filling the backlog`);
    await fillBacklog(plane, depth, sessions);
    const claimers = Array.from({ length: CLAIMERS }, () => plane.connect());
    // Connection set-up is not the steady state: open every claimer's connection first.
    await Promise.all(claimers.map((clients) => clients.system.getSystemStatus({})));
    progress(`${store} over RPC, ${depth} pending: ${args.jobs} jobs through ${CLAIMERS} claimers`);
    const before = plane.busy();
    const result = await runRpcQueueLoad({ claimers, sessionIds: sessions, jobs: args.jobs, claimWaitMs: args.claimWaitMs });
    return { result, serverBusy: plane.busy(before).utilization };
  } finally {
    await plane.stop();
  }
}

/** The run with the median throughput. */
function median(runs: RpcRun[]): RpcRun {
  const sorted = [...runs].sort((a, b) => a.result.jobsPerSecond - b.result.jobsPerSecond);
  const middle = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!middle) throw new Error("no runs to take the median of");
  return middle;
}

function overhead(label: string, depth: number, rpc: LoadResult, store: LoadResult | undefined): string {
  if (!store) return `- ${label}, ${depth.toLocaleString("en")} pending: no store-level figure to compare with`;
  const p50 = rpc.claimP50 !== undefined && store.claimP50 !== undefined ? `, claim p50 +${(rpc.claimP50 - store.claimP50).toFixed(2)} ms` : "";
  return `- ${label}, ${depth.toLocaleString("en")} pending: store / RPC = ${(store.jobsPerSecond / rpc.jobsPerSecond).toFixed(2)}× jobs/s${p50}`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const machine = await describeMachine();
  progress(machine);
  const store: StoreFigures = await storeFigures(args.storeFigures, args.depths, args.repeat, progress);
  const postgresBus = args.natsUrl ? "NATS bus" : "in-process bus";
  const rows: Row[] = [];
  const ratios: string[] = [];
  const busy: string[] = [];
  for (const depth of args.depths) {
    const runs: Record<BenchStore, RpcRun[]> = { sqlite: [], postgres: [] };
    for (let round = 1; round <= args.repeat; round++) {
      progress(`${depth} pending, round ${round} of ${args.repeat}`);
      runs.sqlite.push(await rpcRun("sqlite", depth, args));
      runs.postgres.push(await rpcRun("postgres", depth, args));
    }
    const [sqliteRun, postgresRun] = [median(runs.sqlite), median(runs.postgres)];
    const [sqlite, postgres] = [sqliteRun.result, postgresRun.result];
    const [storeSqlite, storePostgres] = [store.find("pushpals store, SQLite", depth), store.find("pushpals store, Postgres", depth)];
    if (storeSqlite) rows.push({ system: "store level, SQLite", depth, result: storeSqlite });
    rows.push({ system: "over RPC, SQLite + in-process bus", depth, result: sqlite });
    if (storePostgres) rows.push({ system: "store level, Postgres", depth, result: storePostgres });
    rows.push({ system: `over RPC, Postgres + ${postgresBus}`, depth, result: postgres });
    ratios.push(overhead("SQLite", depth, sqlite, storeSqlite), overhead("Postgres", depth, postgres, storePostgres));
    busy.push(`${depth.toLocaleString("en")} pending: SQLite ${percent(sqliteRun.serverBusy)}, Postgres ${percent(postgresRun.serverBusy)}`);
    progress(`${depth} pending done`);
  }

  const claimCall = args.claimWaitMs === undefined ? "no wait (claims what is there)" : `wait ${args.claimWaitMs} ms (the long-poll path real claimers take)`;
  const section = [
    `## Queue over RPC: enqueue → claim → complete (${new Date().toISOString()})`,
    "",
    `Command: \`node dist/bench/queue-rpc.js${process.argv.length > 2 ? " " + process.argv.slice(2).join(" ") : ""}\``,
    `Machine: ${machine}`,
    `Load: ${args.jobs} jobs per run, median of ${args.repeat} runs by throughput, ${CLAIMERS} concurrent claimers, each a Connect client on its own HTTP/2 connection ` +
      `to a real control plane (serveControlPlane, logging off) on a worker thread of the benchmark's process; a fresh data dir or database per run; ` +
      `jobs spread over ${SESSIONS} sessions; the backlog written straight into queue_items beforehand by bench/support/prefill.ts (as the store bench does), ` +
      "so the queue keeps that depth during the run. " +
      `Window: from the first Enqueue to the last Complete, after every connection is open. Claim latency: one Claim RPC's round trip at the client, ${claimCall}. ` +
      `Store-level rows: ${store.source}.`,
    "",
    table(rows),
    "",
    ...ratios,
    `- Control plane thread busy (event-loop utilisation over the window, median run): ${busy.join("; ")}`,
  ].join("\n");
  process.stdout.write(`${section}\n`);
  if (args.record) {
    const file = join(packageRoot(), "bench", "RESULTS.md");
    await appendResults(file, section);
    progress(`appended to ${file}`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[queue-rpc] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
