import { loadavg } from "node:os";
import type { Clients } from "../shared/clients.js";
import type { LoadResult } from "./support/load-result.js";
import { describeMachine } from "./support/machine.js";
import { prefillPostgres, prefillSqlite } from "./support/prefill.js";
import { publishSection, runBenchmark, table, type Row } from "./support/report.js";
import { startBenchControlPlane, type BenchControlPlane, type BenchStore } from "./support/rpc-control-plane.js";
import { runRpcQueueLoad } from "./support/rpc-queue-load.js";
import { recordedStoreFigures, storeBenchRound } from "./support/rpc-store-figures.js";
import { nonNegative, oneOf, positive, progressFor } from "./support/args.js";

/*
 * Queue throughput over RPC: enqueue → claim → complete with 8 concurrent claimers,
 * each on its own HTTP/2 connection to a real control plane (on its own thread), on
 * SQLite (in-process bus) and on Postgres (NATS bus, as deployed), with 1k, 10k and
 * 100k jobs pending beforehand. The store-level figures of bench/queue-store.ts, taken
 * in the same run and interleaved with the RPC runs, give the RPC overhead.
 *
 *   npm run build && node dist/bench/queue-rpc.js [--jobs 1000] [--depths 1000,10000,100000] [--repeat 3]
 *       [--claim-wait-ms 10000] [--nats nats://127.0.0.1:4222] [--store-figures run|results|none] [--no-record]
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
  storeFigures: "run" | "results" | "none";
  record: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    // The store bench's 2000 would make the interleaved run take several minutes more.
    jobs: 1000,
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
    else if (flag === "--store-figures") args.storeFigures = oneOf(argv[++i], flag, ["run", "results", "none"] as const);
    else if (flag === "--no-record") args.record = false;
    else {
      throw new Error(
        `unknown argument ${flag}; use --jobs N, --depths A,B,C, --repeat N, --claim-wait-ms MS (0 = no long poll), ` +
          "--nats URL ('' = in-process bus on Postgres too), --store-figures run|results|none or --no-record",
      );
    }
  }
  return args;
}

const percent = (value: number) => `${Math.round(value * 100)}%`;
const progress = progressFor("queue-rpc");

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

/** The run with the median throughput (the lower middle one for an even count). */
function median<T>(runs: T[], result: (run: T) => LoadResult): T {
  const sorted = [...runs].sort((a, b) => result(a).jobsPerSecond - result(b).jobsPerSecond);
  const middle = sorted[Math.floor((sorted.length - 1) / 2)];
  if (middle === undefined) throw new Error("no runs to take the median of");
  return middle;
}

function overhead(label: string, depth: number, rpc: LoadResult, store: LoadResult | undefined): string {
  if (!store) return `- ${label}, ${depth.toLocaleString("en")} pending: no store-level figure to compare with`;
  const p50 = rpc.claimP50 !== undefined && store.claimP50 !== undefined ? `, claim p50 +${(rpc.claimP50 - store.claimP50).toFixed(2)} ms` : "";
  return `- ${label}, ${depth.toLocaleString("en")} pending: store / RPC = ${(store.jobsPerSecond / rpc.jobsPerSecond).toFixed(2)}× jobs/s${p50}`;
}

const STORE_ROWS = { sqlite: "pushpals store, SQLite", postgres: "pushpals store, Postgres" } as const;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const machine = await describeMachine();
  progress(machine);
  const recorded = args.storeFigures === "results" ? await recordedStoreFigures() : undefined;
  const postgresBus = args.natsUrl ? "NATS bus" : "in-process bus";
  const rows: Row[] = [];
  const ratios: string[] = [];
  const busy: string[] = [];
  for (const depth of args.depths) {
    const runs: Record<BenchStore, RpcRun[]> = { sqlite: [], postgres: [] };
    const storeRuns: Record<BenchStore, LoadResult[]> = { sqlite: [], postgres: [] };
    for (let round = 1; round <= args.repeat; round++) {
      progress(`${depth} pending, round ${round} of ${args.repeat}`);
      if (args.storeFigures === "run") {
        progress(`store level, ${depth} pending: node dist/bench/queue-store.js for this round`);
        const store = await storeBenchRound(depth, args.jobs);
        for (const kind of ["sqlite", "postgres"] as const) {
          const result = store.find(STORE_ROWS[kind], depth);
          if (result) storeRuns[kind].push(result);
        }
      }
      runs.sqlite.push(await rpcRun("sqlite", depth, args));
      runs.postgres.push(await rpcRun("postgres", depth, args));
    }
    const storeFigure = (kind: BenchStore) => (recorded ? recorded.find(STORE_ROWS[kind], depth) : storeRuns[kind].length > 0 ? median(storeRuns[kind], (r) => r) : undefined);
    for (const kind of ["sqlite", "postgres"] as const) {
      const rpc = median(runs[kind], (run) => run.result);
      const store = storeFigure(kind);
      const label = kind === "sqlite" ? "SQLite" : "Postgres";
      if (store) rows.push({ system: `store level, ${label}`, depth, result: store });
      rows.push({ system: `over RPC, ${label} + ${kind === "sqlite" ? "in-process bus" : postgresBus}`, depth, result: rpc.result });
      ratios.push(overhead(label, depth, rpc.result, store));
      busy.push(`${label} ${depth.toLocaleString("en")} pending ${percent(rpc.serverBusy)}`);
    }
    progress(`${depth} pending done`);
  }

  const claimCall = args.claimWaitMs === undefined ? "no wait (claims what is there)" : `wait ${args.claimWaitMs} ms (the long-poll path real claimers take)`;
  const storeSource = {
    run: "bench/queue-store.js run once per round just before the RPC runs of that round (interleaved, same jobs per run), median of the rounds",
    results: `the newest queue-store section of bench/RESULTS.md (${recorded?.date ?? ""})`,
    none: "not compared (--store-figures none)",
  }[args.storeFigures];
  const section = [
    `## Queue over RPC: enqueue → claim → complete (${new Date().toISOString()})`,
    "",
    `Command: \`node dist/bench/queue-rpc.js${process.argv.length > 2 ? " " + process.argv.slice(2).join(" ") : ""}\``,
    `Machine: ${machine}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} at the end`,
    `Load: ${args.jobs} jobs per run, median of ${args.repeat} runs by throughput, ${CLAIMERS} concurrent claimers, each a Connect client on its own HTTP/2 connection ` +
      "to a real control plane (serveControlPlane, logging off) on a worker thread of the benchmark's process; a fresh data dir or database per run; " +
      `jobs spread over ${SESSIONS} sessions; the backlog written straight into queue_items beforehand by bench/support/prefill.ts (as the store bench does), ` +
      "so the queue keeps that depth during the run. " +
      `Window: from the first Enqueue to the last Complete, after every connection is open. Claim latency: one Claim RPC's round trip at the client, ${claimCall}. ` +
      `Store-level rows: ${storeSource}.`,
    "",
    table(rows),
    "",
    ...ratios,
    `- Control plane thread busy (event-loop utilisation over the window, median run): ${busy.join("; ")}`,
  ].join("\n");
  await publishSection(section, args.record, progress);
}

runBenchmark("queue-rpc", main);
