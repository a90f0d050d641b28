import { create } from "@bufbuild/protobuf";
import { performance } from "node:perf_hooks";
import { EventSchema, JobProgressSchema } from "../../gen/pushpals/v1/events_pb.js";
import { sleep } from "../../shared/time.js";
import { startBenchControlPlane, type BenchControlPlane, type BenchStore } from "./rpc-control-plane.js";
import { writePaced, type PacedWriteResult } from "./rpc-paced-writer.js";
import { splitOverThreads, startSubscriberThreads, type FanoutTally, type SubscriberThreads } from "./fanout-subscriber-threads.js";
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
  /** Threads the subscribers run on (at most one per connection), apart from the writer's. */
  clientThreads: number;
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
  tally: FanoutTally;
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
  /** Event-loop utilisation (0..1) over the writing and draining, of the control plane's thread. */
  serverBusy: number;
  /** The second replica's thread, when there is one. */
  secondServerBusy?: number;
  /** The same, of each subscriber thread. */
  clientsBusy: number[];
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
    // Connection c goes to plane c mod planes, as before the subscribers had threads of their own.
    const threads = await startSubscriberThreads({
      subscribers: load.subscribers,
      afterSeq: session.lastSeq,
      threads: splitOverThreads(load.subscribers, load.connections, load.clientThreads).map(({ connections, count }) => ({
        count,
        source: { kind: "rpc", sessionId: session.id, urls: connections.map((c) => subscriberPlanes[c % subscriberPlanes.length]!.url) },
      })),
    });
    let finished = false;
    try {
      // Every stream has replayed and gone live once all have seen this one event.
      const warmUp = await writerClients.sessions.appendEvents({
        sessionId: session.id,
        events: [create(EventSchema, { payload: { case: "jobProgress", value: create(JobProgressSchema, { stage: JobStage.RUN, detail: "warm-up" }) } })],
      });
      const warmUpSeq = warmUp.events[0]?.seq ?? 0n;
      if (!(await within(threads.allReach(warmUpSeq), load.stallTimeoutMs, threads.failed))) {
        throw new Error(`${threads.behind(warmUpSeq)} of ${load.subscribers} subscribers did not get the warm-up event within ${load.stallTimeoutMs} ms`);
      }
      await threads.measureFromSeq(warmUpSeq + 1n);
      say(`${load.subscribers} subscribers live on ${threads.busy().length} threads; writing for ${load.seconds} s`);

      const [serverBefore, clientsBefore, replicaBefore] = [plane.busy(), threads.busy(), replica?.busy()];
      const writer = await writePaced({
        sessions: writerClients.sessions,
        sessionId: session.id,
        rate: load.rate,
        seconds: load.seconds,
        batchMs: load.batchMs,
        maxInFlight: load.maxAppendsInFlight,
        onSecond: (sent, second) => say(`${second} s, ${sent} events sent, ${threads.delivered.toLocaleString("en")} deliveries so far`),
      });
      const drainStarted = performance.now();
      const drain = await drained(threads, writer.lastSeq, load, drainStarted);
      const drainMs = performance.now() - drainStarted;
      const [serverBusy, clientsBusy] = [plane.busy(serverBefore).utilization, threads.busy(clientsBefore).map(({ utilization }) => utilization)];
      const secondServerBusy = replica?.busy(replicaBefore).utilization;
      const stillBehind = threads.behind(writer.lastSeq);
      const tally = await threads.finish();
      finished = true;
      if (writer.retried > 0) say(`${writer.retried} AppendEvents calls failed with an internal error and were retried`);
      const extraAppended = Number(writer.lastSeq - warmUpSeq) - writer.events;
      // Extra events are delivered too; count the deliveries expected of all of them.
      const expected = (writer.events + extraAppended) * load.subscribers;
      const lacking = expected - tally.delivered - tally.gaps;
      if (drain !== "all") say(`${stillBehind} subscribers still behind ${drain === "stalled" ? "and making no progress" : `after ${load.drainCapMs} ms`}`);
      const missed = tally.gaps + (drain === "stalled" ? lacking : 0);
      const late = drain === "capped" ? lacking : 0;
      return { setup, connections: load.connections, rate: load.rate, writer, tally, expected, extraAppended, drainMs, missed, late, serverBusy, secondServerBusy, clientsBusy };
    } finally {
      if (!finished) await threads.terminate();
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
export async function drained(
  threads: Pick<SubscriberThreads, "allReach" | "delivered" | "failed">,
  lastSeq: bigint,
  load: Pick<FanoutLoad, "stallTimeoutMs" | "drainCapMs">,
  startedAt: number,
): Promise<"all" | "stalled" | "capped"> {
  const reached = threads.allReach(lastSeq);
  for (;;) {
    const before = threads.delivered;
    if (await within(reached, load.stallTimeoutMs, threads.failed)) return "all";
    if (threads.delivered === before) return "stalled";
    if (performance.now() - startedAt >= load.drainCapMs) return "capped";
  }
}

/** True when `promise` settled within `ms`, false on timeout; rejects if the subscribers failed first. */
export async function within(promise: Promise<void>, ms: number, failed: Promise<Error>): Promise<boolean> {
  const timer = new AbortController();
  try {
    return await Promise.race([promise.then(() => true), sleep(ms, timer.signal).then(() => false), failed.then((error) => Promise.reject(error))]);
  } finally {
    timer.abort();
  }
}
