import { connect } from "@nats-io/transport-node";
import { loadavg } from "node:os";
import { errorMessage } from "../shared/errors.js";
import { describeMachine } from "./support/machine.js";
import { publishSection, runBenchmark } from "./support/report.js";
import { runNatsPeer } from "./support/nats-fanout-peer.js";
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
 * The subscribers run on --client-threads worker threads of their own (connection c on
 * thread c mod threads), the writer on the main thread: with all hundred clients on the
 * main thread it was 88–100% busy and the figures measured the clients as much as the
 * server.
 *
 * nats-peer is the same fan-out on raw NATS (publish → subscriptions, each decoding the
 * event; no store, no RPC), run in the same process and run so the machine's load is the
 * same for both. replicas is issue 17's scale case, with its own load (--replica-*):
 * 10,000 events/s to 1,000 subscribers split over two control planes on one Postgres and
 * NATS, the writer on the first — counted for loss above all.
 *
 *   npm run build && node dist/bench/stream-fanout.js [--subscribers 100] [--rates 1000,250] [--seconds 10]
 *       [--connections 4] [--client-threads 2] [--batch-ms 10] [--setups embedded,postgres,postgres-remote,nats-peer,replicas] [--nats nats://127.0.0.1:4222]
 *       [--replica-rate 10000] [--replica-subscribers 1000] [--replica-seconds 2] [--replica-connections 8] [--no-record]
 *
 * PUSHPALS_LOG_LEVEL=warn shows the control plane's own logs (off otherwise).
 */

const SETUP_NAMES = ["embedded", "postgres", "postgres-remote", "nats-peer", "replicas"] as const;
type SetupName = (typeof SETUP_NAMES)[number];

interface Args {
  subscribers: number;
  rates: number[];
  seconds: number;
  connections: number[];
  clientThreads: number;
  batchMs: number;
  setups: SetupName[];
  natsUrl: string;
  record: boolean;
  replicaRate: number;
  replicaSubscribers: number;
  replicaSeconds: number;
  replicaConnections: number;
}

const USAGE =
  "use --subscribers N, --rates A,B (events/s), --seconds N, --connections A,B, --client-threads N, --batch-ms MS (0 = one event per call), " +
  "--setups embedded,postgres,postgres-remote,nats-peer,replicas, --nats URL ('' = the in-process bus on Postgres too), " +
  "--replica-rate N, --replica-subscribers N, --replica-seconds N, --replica-connections N or --no-record";

function parseArgs(argv: string[]): Args {
  const args: Args = {
    subscribers: 100,
    rates: [1000, 250],
    seconds: 10,
    connections: [4],
    clientThreads: 2,
    batchMs: 10,
    setups: ["embedded", "postgres", "nats-peer"],
    natsUrl: process.env.PUSHPALS_BENCH_NATS_URL ?? "nats://127.0.0.1:4222",
    record: true,
    replicaRate: 10_000,
    replicaSubscribers: 1000,
    replicaSeconds: 2,
    replicaConnections: 8,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--subscribers") args.subscribers = whole(argv[++i], flag, 1);
    else if (flag === "--rates") args.rates = (argv[++i] ?? "").split(",").map((rate) => whole(rate, flag, 1));
    else if (flag === "--seconds") args.seconds = whole(argv[++i], flag, 1);
    else if (flag === "--connections") args.connections = (argv[++i] ?? "").split(",").map((n) => whole(n, flag, 1));
    else if (flag === "--client-threads") args.clientThreads = whole(argv[++i], flag, 1);
    else if (flag === "--batch-ms") args.batchMs = whole(argv[++i], flag, 0);
    else if (flag === "--setups") args.setups = (argv[++i] ?? "").split(",").map((name) => setupName(name, flag));
    else if (flag === "--nats") args.natsUrl = argv[++i] ?? "";
    else if (flag === "--no-record") args.record = false;
    else if (flag === "--replica-rate") args.replicaRate = whole(argv[++i], flag, 1);
    else if (flag === "--replica-subscribers") args.replicaSubscribers = whole(argv[++i], flag, 1);
    else if (flag === "--replica-seconds") args.replicaSeconds = whole(argv[++i], flag, 1);
    else if (flag === "--replica-connections") args.replicaConnections = whole(argv[++i], flag, 2);
    else throw new Error(`unknown argument ${flag}; ${USAGE}`);
  }
  return args;
}

function setupName(value: string, flag: string): SetupName {
  if ((SETUP_NAMES as readonly string[]).includes(value)) return value as SetupName;
  throw new Error(
    `${flag} takes embedded (SQLite + in-process bus), postgres (Postgres + NATS), postgres-remote ` +
      `(Postgres + NATS, the writer on a second control plane), nats-peer (raw NATS, no PushPals) and/or replicas ` +
      `(two control planes, --replica-* load), comma-separated; got ${value}`,
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
const percent = (value: number) => (Number.isFinite(value) ? `${Math.round(value * 100)}%` : "n/a");

function table(results: FanoutResult[]): string {
  const lines = [
    "| setup | subscribers | connections | events/s asked | achieved | events | calls | deliveries | appends retried | missed | duplicated or out of order | commit→receive p50 ms | p99 ms | send→receive p50 ms | p99 ms | AppendEvents p50 ms | p99 ms | drain ms | control-plane thread busy | subscriber threads busy |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const { setup, connections, rate, writer, tally, expected, extraAppended, drainMs, missed, late, serverBusy, secondServerBusy, clientsBusy } of results) {
    const cells = [
      setup.label,
      (expected / Math.max(1, writer.events + extraAppended)).toLocaleString("en"),
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
      secondServerBusy === undefined ? percent(serverBusy) : `${percent(serverBusy)} / ${percent(secondServerBusy)}`,
      clientsBusy.map(percent).join(" / "),
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
  const needsNats = args.setups.some((name) => name === "postgres-remote" || name === "nats-peer" || name === "replicas");
  if (needsNats && !args.natsUrl) throw new Error("--setups postgres-remote, nats-peer and replicas need NATS; give --nats URL");
  const rpcSetups = args.setups.filter((name) => name !== "nats-peer" && name !== "replicas");
  const setups: FanoutSetup[] = rpcSetups.map((name): FanoutSetup => {
    if (name === "embedded") return { label: "SQLite + in-process bus (embedded default)", store: "sqlite", natsUrl: "" };
    if (name === "postgres") return { label: args.natsUrl ? "Postgres + NATS" : "Postgres + in-process bus", store: "postgres", natsUrl: args.natsUrl };
    return { label: "Postgres + NATS, writer on a second control plane", store: "postgres", natsUrl: args.natsUrl, remoteWriter: true };
  });
  const nats =
    args.setups.some((name) => name !== "embedded") && args.natsUrl
      ? `, NATS server ${await natsVersion(args.natsUrl).catch((error: unknown) => `unreachable (${errorMessage(error)})`)}`
      : "";
  const machine = `${await describeMachine()}${nats}`;
  progress(machine);
  const results: FanoutResult[] = [];
  const loadAt = (rate: number, connections: number, subscribers = args.subscribers, seconds = args.seconds): FanoutLoad => ({
    subscribers,
    connections,
    clientThreads: args.clientThreads,
    rate,
    seconds,
    batchMs: args.batchMs,
    maxAppendsInFlight: MAX_APPENDS_IN_FLIGHT,
    stallTimeoutMs: STALL_TIMEOUT_MS,
    drainCapMs: DRAIN_CAP_MS,
  });
  for (const setup of setups) {
    for (const [rate, connections] of args.rates.flatMap((r) => args.connections.map((c) => [r, c] as const))) {
      results.push(await runFanout(setup, loadAt(rate, connections), progress));
      progress(`${setup.label}, ${rate} events/s, ${connections} connections: done`);
    }
  }
  if (args.setups.includes("nats-peer")) {
    for (const [rate, connections] of args.rates.flatMap((r) => args.connections.map((c) => [r, c] as const))) {
      results.push(await runNatsPeer(args.natsUrl, loadAt(rate, connections), progress));
      progress(`raw NATS peer, ${rate} events/s, ${connections} connections: done`);
    }
  }
  if (args.setups.includes("replicas")) {
    const replicas: FanoutSetup = { label: "Postgres + NATS, two control-plane replicas", store: "postgres", natsUrl: args.natsUrl, secondReplica: true };
    const load = loadAt(args.replicaRate, args.replicaConnections, args.replicaSubscribers, args.replicaSeconds);
    results.push(await runFanout(replicas, load, progress));
    progress(`${replicas.label}: done`);
    if (args.setups.includes("nats-peer")) results.push(await runNatsPeer(args.natsUrl, load, progress));
  }

  const writing = args.batchMs > 0 ? `one AppendEvents call every ${args.batchMs} ms carrying the events due by then` : "one event per AppendEvents call, each at its own slot";
  const section = [
    `## StreamEvents fan-out (${new Date().toISOString()})`,
    "",
    `Command: \`node dist/bench/stream-fanout.js${process.argv.length > 2 ? " " + process.argv.slice(2).join(" ") : ""}\``,
    `Machine: ${machine}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} at the end`,
    `Load: ${args.subscribers} StreamEvents subscribers (unless the row says otherwise) on one session, spread evenly over the HTTP/2 connections (Connect clients) the row names, ` +
      "to a real control plane (serveControlPlane, logging off) on a worker thread of the benchmark's process (a fresh one per row); " +
      `the subscribers on up to ${args.clientThreads} threads of their own (connection c on thread c mod threads), the writer on the main thread. ` +
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
      (args.setups.includes("nats-peer")
        ? "Raw NATS peer: the same load without PushPals — one publisher connection sends each event protobuf-encoded once to one subject, " +
          "the subscriptions (spread over as many NATS connections as the row says) decode it with the same generated code; commit = publish; " +
          "run in the same process and run as the rows above, so it saw the same machine load. "
        : "") +
      (args.setups.includes("replicas")
        ? `Two control-plane replicas: ${args.replicaSubscribers} subscribers on ${args.replicaConnections} connections alternating between two control planes ` +
          `(own worker threads) on one Postgres database and NATS, the writer (${args.replicaRate.toLocaleString("en")} events/s for ${args.replicaSeconds} s) on the first; busy shows both planes. `
        : "") +
      "Percentiles over every delivery. " +
      "Busy: event-loop utilisation of each thread while writing and draining.",
    "",
    table(results),
    ...retriedNote(results),
  ].join("\n");
  await publishSection(section, args.record, progress);
}

runBenchmark("stream-fanout", main);
