import { create } from "@bufbuild/protobuf";
import { setMaxListeners } from "node:events";
import { performance } from "node:perf_hooks";
import { EventSchema, JobProgressSchema } from "../../gen/pushpals/v1/events_pb.js";
import { sleep } from "../../shared/time.js";
import { startBenchControlPlane, type BenchControlPlane, type BenchStore } from "./rpc-control-plane.js";
import { writePaced, type PacedWriteResult } from "./rpc-paced-writer.js";
import { runSubscribers } from "./rpc-stream-subscribers.js";
import { StreamTally } from "./rpc-stream-tally.js";
import { JobStage } from "../../gen/pushpals/v1/kinds_pb.js";

export interface FanoutSetup {
  label: string;
  store: BenchStore;
  /** Empty: the in-process bus. */
  natsUrl: string;
  /**
   * The writer appends through a second control plane on the same database and bus, so
   * the subscribers' plane learns of each commit only from a NATS notice and reads the
   * events from the store (its own commits it hands on without a read).
   */
  remoteWriter?: boolean;
  /**
   * A second control plane on the same database and bus takes every other subscriber
   * connection (the writer stays on the first): two replicas behind one session, the
   * second learning of each commit from a NATS notice.
   */
  secondReplica?: boolean;
}

export interface FanoutLoad {
  subscribers: number;
  /** HTTP/2 connections the subscribers are spread over. */
  connections: number;
  rate: number;
  seconds: number;
  batchMs: number;
  maxAppendsInFlight: number;
  /** After the last append: how long the deliveries may make no progress before what is lacking counts as missed. */
  stallTimeoutMs: number;
  /** After the last append: how long to wait at most while deliveries still progress; what is lacking then counts as late. */
  drainCapMs: number;
}

export interface FanoutResult {
  setup: FanoutSetup;
  connections: number;
  rate: number;
  writer: PacedWriteResult;
  tally: StreamTally;
  /** Events × subscribers. */
  expected: number;
  /** Events the session gained beyond those written (a retried append that had committed after all). */
  extraAppended: number;
  /** From the last append's answer until every subscriber had the last event (or the wait ended). */
  drainMs: number;
  /** Deliveries lacking: skipped seqs, plus all still lacking if deliveries stalled. Must be 0. */
  missed: number;
  /** Deliveries still on their way when the drain cap ended the wait (slow, not lost). */
  late: number;
  /** Event-loop utilisation (0..1) over the writing and draining, of the control plane's thread and of the clients' thread. */
  serverBusy: number;
  /** The second replica's thread, when there is one. */
  secondServerBusy?: number;
  clientsBusy: number;
}

/**
 * One fan-out run on a fresh control plane: the subscribers open their streams, a
 * warm-up event proves every one live, then the paced writer runs and the run waits
 * for every subscriber to reach the last event.
 */
export async function runFanout(setup: FanoutSetup, load: FanoutLoad, progress: (message: string) => void): Promise<FanoutResult> {
  const plane = await startBenchControlPlane({ store: setup.store, natsUrl: setup.natsUrl, label: "fanout" });
  const say = (message: string) => progress(`${setup.label}, ${load.rate} events/s, ${load.connections} connections: ${message}`);
  let writerPlane: BenchControlPlane | undefined;
  let replica: BenchControlPlane | undefined;
  try {
    if (setup.remoteWriter) {
      writerPlane = await startBenchControlPlane({ store: setup.store, natsUrl: setup.natsUrl, label: "fanout-writer", databaseUrl: plane.databaseUrl });
    }
    if (setup.secondReplica) {
      replica = await startBenchControlPlane({ store: setup.store, natsUrl: setup.natsUrl, label: "fanout-replica", databaseUrl: plane.databaseUrl });
    }
    const subscriberPlanes = replica ? [plane, replica] : [plane];
    const writerClients = (writerPlane ?? plane).connect();
    const { session } = await writerClients.sessions.createSession({ title: "stream fan-out bench" });
    if (!session) throw new Error("CreateSession answered without a session");
    const tally = new StreamTally(load.subscribers, session.lastSeq);
    const leave = new AbortController();
    // Every stream listens on it; a hundred listeners is the point, not a leak.
    setMaxListeners(0, leave.signal);
    const subscribers = runSubscribers({
      connections: Array.from({ length: load.connections }, (_, i) => subscriberPlanes[i % subscriberPlanes.length]!.connect()),
      count: load.subscribers,
      sessionId: session.id,
      afterSeq: session.lastSeq,
      tally,
      signal: leave.signal,
    });
    // A failed stream ends the run at once rather than after it.
    const failed = subscribers.then(
      () => undefined,
      (error: unknown) => error,
    );
    try {
      // Every stream has replayed and gone live once all have seen this one event.
      const warmUp = await writerClients.sessions.appendEvents({
        sessionId: session.id,
        events: [create(EventSchema, { payload: { case: "jobProgress", value: create(JobProgressSchema, { stage: JobStage.RUN, detail: "warm-up" }) } })],
      });
      const warmUpSeq = warmUp.events[0]?.seq ?? 0n;
      if (!(await within(tally.allReach(warmUpSeq), load.stallTimeoutMs, failed))) {
        throw new Error(`${tally.behind(warmUpSeq)} of ${load.subscribers} subscribers did not get the warm-up event within ${load.stallTimeoutMs} ms`);
      }
      tally.measureFromSeq(warmUpSeq + 1n);
      say(`${load.subscribers} subscribers live; writing for ${load.seconds} s`);

      const [serverBefore, clientsBefore, replicaBefore] = [plane.busy(), performance.eventLoopUtilization(), replica?.busy()];
      const writer = await writePaced({
        sessions: writerClients.sessions,
        sessionId: session.id,
        rate: load.rate,
        seconds: load.seconds,
        batchMs: load.batchMs,
        maxInFlight: load.maxAppendsInFlight,
        onSecond: (sent, second) => say(`${second} s, ${sent} events sent, ${tally.delivered.toLocaleString("en")} deliveries so far`),
      });
      const drainStarted = performance.now();
      const drain = await drained(tally, writer.lastSeq, load, failed, drainStarted);
      const drainMs = performance.now() - drainStarted;
      const [serverBusy, clientsBusy] = [plane.busy(serverBefore).utilization, performance.eventLoopUtilization(clientsBefore).utilization];
      const secondServerBusy = replica?.busy(replicaBefore).utilization;
      if (writer.retried > 0) say(`${writer.retried} AppendEvents calls failed with an internal error and were retried`);
      const extraAppended = Number(writer.lastSeq - warmUpSeq) - writer.events;
      // Extra events are delivered too; count the deliveries expected of all of them.
      const expected = (writer.events + extraAppended) * load.subscribers;
      const lacking = expected - tally.delivered - tally.gaps;
      if (drain !== "all") say(`${tally.behind(writer.lastSeq)} subscribers still behind ${drain === "stalled" ? "and making no progress" : `after ${load.drainCapMs} ms`}`);
      const missed = tally.gaps + (drain === "stalled" ? lacking : 0);
      const late = drain === "capped" ? lacking : 0;
      return { setup, connections: load.connections, rate: load.rate, writer, tally, expected, extraAppended, drainMs, missed, late, serverBusy, secondServerBusy, clientsBusy };
    } finally {
      leave.abort();
      const error = await failed;
      // biome-ignore lint/correctness/noUnsafeFinally: a writer that failed makes the figures worthless, so its error replaces the result
      if (error !== undefined) throw error;
    }
  } finally {
    await writerPlane?.stop();
    await replica?.stop();
    await plane.stop();
  }
}

/**
 * Waits for every subscriber to reach `lastSeq`: "all" when they did, "stalled" when
 * deliveries made no progress for stallTimeoutMs, "capped" when drainCapMs ran out
 * while they were still progressing.
 */
async function drained(tally: StreamTally, lastSeq: bigint, load: FanoutLoad, failed: Promise<unknown>, startedAt: number): Promise<"all" | "stalled" | "capped"> {
  const reached = tally.allReach(lastSeq);
  for (;;) {
    const before = tally.delivered;
    if (await within(reached, load.stallTimeoutMs, failed)) return "all";
    if (tally.delivered === before) return "stalled";
    if (performance.now() - startedAt >= load.drainCapMs) return "capped";
  }
}

/** True when `promise` settled within `ms`, false on timeout; rethrows if the subscribers failed first. */
async function within(promise: Promise<void>, ms: number, failed: Promise<unknown>): Promise<boolean> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      promise.then(() => true),
      sleep(ms, timer.signal).then(() => false),
      failed.then((error) => (error === undefined ? new Promise<never>(() => {}) : Promise.reject(error))),
    ]);
  } finally {
    timer.abort();
  }
}
