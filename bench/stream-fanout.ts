import { connect } from "@nats-io/transport-node";
import { loadavg } from "node:os";
import { errorMessage } from "../shared/errors.js";
import { describeMachine } from "./support/machine.js";
import { publishSection, runBenchmark } from "./support/report.js";
import { runFanout, type FanoutLoad, type FanoutResult, type FanoutSetup } from "./support/rpc-fanout-run.js";
import { whole, progressFor } from "./support/args.js";

/*
 * StreamEvents fan-out: 100 subscribers on one session's StreamEvents over RPC and a
 * writer appending 1,000 events/s for 10 s (by default one AppendEvents call every
 * 10 ms with the events due; each event carries its send time): commit-to-receive
 * latency at every subscriber, and a check that each got every event exactly once,
 * in order. On the embedded default (SQLite + in-process bus) and on Postgres + NATS.
 * Lower rates (--rates) show where the fan-out stops keeping up; --connections 1,100
 * how much sharing one HTTP/2 connection costs (a browser tab or CLI has its own).
 *
 * postgres-remote puts the writer on a second control plane (same database and NATS), so
 * the subscribers' plane reads every event from the store when a NATS notice comes.
 *
 *   npm run build && node dist/bench/stream-fanout.js [--subscribers 100] [--rates 1000,250] [--seconds 10]
 *       [--connections 4] [--batch-ms 10] [--setups embedded,postgres,postgres-remote] [--nats nats://127.0.0.1:4222] [--no-record]
 *
 * PUSHPALS_LOG_LEVEL=warn shows the control plane's own logs (off otherwise).
 */

type SetupName = "embedded" | "postgres" | "postgres-remote";

interface Args {
  subscribers: number;
  rates: number[];
  seconds: number;
  connections: number[];
  batchMs: number;
  setups: SetupName[];
  natsUrl: string;
  record: boolean;
}

const USAGE =
  "use --subscribers N, --rates A,B (events/s), --seconds N, --connections A,B, --batch-ms MS (0 = one event per call), " +
  "--setups embedded,postgres,postgres-remote, --nats URL ('' = the in-process bus on Postgres too) or --no-record";

function parseArgs(argv: string[]): Args {
  const args: Args = {
    subscribers: 100,
    rates: [1000, 250],
    seconds: 10,
    connections: [4],
    batchMs: 10,
    setups: ["embedded", "postgres"],
    natsUrl: process.env.PUSHPALS_BENCH_NATS_URL ?? "nats://127.0.0.1:4222",
    record: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--subscribers") args.subscribers = whole(argv[++i], flag, 1);
    else if (flag === "--rates") args.rates = (argv[++i] ?? "").split(",").map((rate) => whole(rate, flag, 1));
    else if (flag === "--seconds") args.seconds = whole(argv[++i], flag, 1);
    else if (flag === "--connections") args.connections = (argv[++i] ?? "").split(",").map((n) => whole(n, flag, 1));
    else if (flag === "--batch-ms") args.batchMs = whole(argv[++i], flag, 0);
    else if (flag === "--setups") args.setups = (argv[++i] ?? "").split(",").map((name) => setupName(name, flag));
    else if (flag === "--nats") args.natsUrl = argv[++i] ?? "";
    else if (flag === "--no-record") args.record = false;
    else throw new Error(`unknown argument ${flag}; ${USAGE}`);
  }
  return args;
}

function setupName(value: string, flag: string): SetupName {
  if (value === "embedded" || value === "postgres" || value === "postgres-remote") return value;
  throw new Error(
    `${flag} takes embedded (SQLite + in-process bus), postgres (Postgres + NATS) and/or postgres-remote ` +
      `(Postgres + NATS, the writer on a second control plane), comma-separated; got ${value}`,
  );
}

const progress = progressFor("stream-fanout");

const STALL_TIMEOUT_MS = 10_000;
const DRAIN_CAP_MS = 120_000;
const MAX_APPENDS_IN_FLIGHT = 32;

async function natsVersion(url: string): Promise<string> {
  const nc = await connect({ servers: url, name: "pushpals-bench-version" });
  try {
    return nc.info?.version ?? "unknown";
  } finally {
    await nc.close();
  }
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : "n/a");
const percent = (value: number) => `${Math.round(value * 100)}%`;

function table(results: FanoutResult[]): string {
  const lines = [
    "| setup | connections | events/s asked | achieved | events | calls | deliveries | appends retried | missed | duplicated or out of order | commit→receive p50 ms | p99 ms | send→receive p50 ms | p99 ms | AppendEvents p50 ms | p99 ms | drain ms | control-plane thread busy | clients' thread busy |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const { setup, connections, rate, writer, tally, extraAppended, drainMs, missed, late, serverBusy, clientsBusy } of results) {
    const cells = [
      setup.label,
      String(connections),
      rate.toLocaleString("en"),
      (writer.events / writer.seconds).toFixed(0),
      extraAppended === 0 ? writer.events.toLocaleString("en") : `${writer.events.toLocaleString("en")} (+${extraAppended} appended twice)`,
      writer.calls.toLocaleString("en"),
      tally.delivered.toLocaleString("en"),
      String(writer.retried),
      late === 0 ? missed.toLocaleString("en") : `${missed.toLocaleString("en")} (${late.toLocaleString("en")} still on their way after ${DRAIN_CAP_MS / 1000} s)`,
      String(tally.duplicates + tally.outOfOrder),
      ms(tally.commitToReceive.percentile(0.5)),
      ms(tally.commitToReceive.percentile(0.99)),
      ms(tally.sendToReceive.percentile(0.5)),
      ms(tally.sendToReceive.percentile(0.99)),
      ms(writer.append.percentile(0.5)),
      ms(writer.append.percentile(0.99)),
      drainMs.toFixed(0),
      percent(serverBusy),
      percent(clientsBusy),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

function retriedNote(results: FanoutResult[]): string[] {
  const retried = results.reduce((sum, { writer }) => sum + writer.retried, 0);
  if (retried === 0) return [];
  return [
    "",
    `- ${retried} AppendEvents calls failed with an internal error and were retried. PUSHPALS_LOG_LEVEL=warn shows the control plane's error; ` +
      "on Postgres it has been postgres.js's UNSAFE_TRANSACTION (a BEGIN sent on a connection the pool had not reserved; porsager/postgres#823, #1189).",
  ];
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const setups: FanoutSetup[] = args.setups.map((name): FanoutSetup => {
    if (name === "embedded") return { label: "SQLite + in-process bus (embedded default)", store: "sqlite", natsUrl: "" };
    if (name === "postgres") return { label: args.natsUrl ? "Postgres + NATS" : "Postgres + in-process bus", store: "postgres", natsUrl: args.natsUrl };
    if (!args.natsUrl) throw new Error("--setups postgres-remote needs NATS between its two control planes; give --nats URL");
    return { label: "Postgres + NATS, writer on a second control plane", store: "postgres", natsUrl: args.natsUrl, remoteWriter: true };
  });
  const nats =
    args.setups.some((name) => name !== "embedded") && args.natsUrl
      ? `, NATS server ${await natsVersion(args.natsUrl).catch((error: unknown) => `unreachable (${errorMessage(error)})`)}`
      : "";
  const machine = `${await describeMachine()}${nats}`;
  progress(machine);
  const results: FanoutResult[] = [];
  for (const setup of setups) {
    for (const [rate, connections] of args.rates.flatMap((r) => args.connections.map((c) => [r, c] as const))) {
      const load: FanoutLoad = {
        subscribers: args.subscribers,
        connections,
        rate,
        seconds: args.seconds,
        batchMs: args.batchMs,
        maxAppendsInFlight: MAX_APPENDS_IN_FLIGHT,
        stallTimeoutMs: STALL_TIMEOUT_MS,
        drainCapMs: DRAIN_CAP_MS,
      };
      results.push(await runFanout(setup, load, progress));
      progress(`${setup.label}, ${rate} events/s, ${connections} connections: done`);
    }
  }

  const writing = args.batchMs > 0 ? `one AppendEvents call every ${args.batchMs} ms carrying the events due by then` : "one event per AppendEvents call, each at its own slot";
  const section = [
    `## StreamEvents fan-out (${new Date().toISOString()})`,
    "",
    `Command: \`node dist/bench/stream-fanout.js${process.argv.length > 2 ? " " + process.argv.slice(2).join(" ") : ""}\``,
    `Machine: ${machine}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} at the end`,
    `Load: ${args.subscribers} StreamEvents subscribers on one session, spread evenly over the HTTP/2 connections (Connect clients) the row names, ` +
      "to a real control plane (serveControlPlane, logging off) on a worker thread of the benchmark's process (a fresh one per row); subscribers and writer share the main thread. " +
      `A writer on its own connection appends JobProgress events for ${args.seconds} s, ${writing} (at most ${MAX_APPENDS_IN_FLIGHT} calls in flight); ` +
      "each event carries its call's send time. Measured after every subscriber has received a warm-up event (all streams live). " +
      (args.setups.includes("postgres-remote")
        ? "Writer on a second control plane: the writer's connection goes to another control plane (its own worker thread) on the same database and NATS, " +
          "so the subscribers' plane reads each commit's events from the store when its notice arrives; busy is the subscribers' plane. "
        : "") +
      "Commit→receive: arrival at a subscriber (wall clock, sub-ms) minus the event's time as the store set it (whole ms, read just before commit), so it reads up to 1 ms high; " +
      "send→receive: arrival minus the writer's send time (same clock, exact; includes the append). " +
      `Missed: expected deliveries (events × subscribers) skipped over, or still lacking once deliveries made no progress for ${STALL_TIMEOUT_MS / 1000} s ` +
      `(the wait after the last append lasts while they progress, up to ${DRAIN_CAP_MS / 1000} s); ` +
      "duplicated: a seq received again or out of order. Appends retried: calls that failed with an internal error and were sent again (see the note below the table when not 0). " +
      "Percentiles over every delivery. " +
      "Busy: event-loop utilisation of each thread while writing and draining.",
    "",
    table(results),
    ...retriedNote(results),
  ].join("\n");
  await publishSection(section, args.record, progress);
}

runBenchmark("stream-fanout", main);
