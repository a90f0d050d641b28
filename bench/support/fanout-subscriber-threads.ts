import type { EventLoopUtilization } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { Worker } from "node:worker_threads";
import type { FanoutSource, FanoutSubscriberWorkerData, FanoutThreadReport, FromSubscriberThread, ToSubscriberThread } from "./fanout-subscriber-messages.js";
import { Latencies } from "./latency.js";

/** What a fan-out run reports of its subscribers (StreamTally has the same shape). */
export interface FanoutTally {
  readonly commitToReceive: Latencies;
  readonly sendToReceive: Latencies;
  readonly delivered: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
  readonly gaps: number;
  readonly keepalives: number;
}

/** The subscribers' threads while they run; `finish` ends them and merges their tallies. */
export interface SubscriberThreads {
  /** Settles with the first thread's failure (a stream failed or ended on its own); never with success. */
  readonly failed: Promise<Error>;
  /** Subscribers that have not yet received `seq`. */
  behind(seq: bigint): number;
  /** Resolves once every subscriber has received `seq` (or the threads have ended). */
  allReach(seq: bigint): Promise<void>;
  /** Measured deliveries so far, over all threads (read from shared memory, so it may trail by a few). */
  readonly delivered: number;
  /** Events from this seq on are measured; resolves once every thread has taken it. */
  measureFromSeq(seq: bigint): Promise<void>;
  /** Each thread's event-loop utilisation since `since` (the same thread's earlier reading). */
  busy(since?: EventLoopUtilization[]): EventLoopUtilization[];
  /** Ends every stream and merges what the threads tallied. */
  finish(): Promise<FanoutTally>;
  /** Ends the threads at once (after a failure). */
  terminate(): Promise<void>;
}

export interface SubscriberThreadsOptions {
  subscribers: number;
  afterSeq: bigint;
  /** One source per thread, with how many subscribers it takes. */
  threads: { source: FanoutSource; count: number }[];
}

const WORKER_FILE = new URL("./fanout-subscriber-worker.js", import.meta.url);
const POLL_MS = 2;

/**
 * Starts the subscriber threads and resolves once every one reports its subscriptions
 * open. Progress (each subscriber's last seq) is in shared memory, so waiting for
 * every subscriber to reach a seq costs no message per event.
 */
export async function startSubscriberThreads(options: SubscriberThreadsOptions): Promise<SubscriberThreads> {
  const total = options.threads.reduce((sum, { count }) => sum + count, 0);
  if (total !== options.subscribers) throw new Error(`the subscriber threads take ${total} subscribers, not the ${options.subscribers} asked for`);
  const lastSeqsBuffer = new SharedArrayBuffer(8 * total);
  const lastSeqs = new BigInt64Array(lastSeqsBuffer).fill(options.afterSeq);
  const deliveredBuffer = new SharedArrayBuffer(8 * options.threads.length);
  const delivered = new Float64Array(deliveredBuffer);
  let failedWith!: (error: Error) => void;
  const failed = new Promise<Error>((resolve) => (failedWith = resolve));
  let offset = 0;
  const workers = options.threads.map(({ source, count }, thread) => {
    const workerData: FanoutSubscriberWorkerData = { source, count, afterSeq: options.afterSeq, offset, thread, lastSeqs: lastSeqsBuffer, delivered: deliveredBuffer };
    offset += count;
    const worker = new Worker(WORKER_FILE, { workerData });
    worker.on("message", (message: FromSubscriberThread) => {
      if (message.kind === "failed") failedWith(new Error(`subscriber thread ${thread}: ${message.message}`));
    });
    worker.once("error", (error) => failedWith(new Error(`subscriber thread ${thread} crashed: ${error.message}`)));
    return worker;
  });
  const reply = <K extends FromSubscriberThread["kind"]>(worker: Worker, kind: K) =>
    new Promise<Extract<FromSubscriberThread, { kind: K }>>((resolve) => {
      const onMessage = (message: FromSubscriberThread) => {
        if (message.kind !== kind) return;
        worker.off("message", onMessage);
        resolve(message as Extract<FromSubscriberThread, { kind: K }>);
      };
      worker.on("message", onMessage);
    });
  const orFailure = async <T>(promise: Promise<T>): Promise<T> => Promise.race([promise, failed.then((error) => Promise.reject(error))]);
  // Ends every allReach poll too, so a run that gave up waiting leaves no timer behind.
  let ended = false;
  const terminate = async () => {
    ended = true;
    await Promise.all(workers.map((worker) => worker.terminate()));
  };
  const behind = (seq: bigint) => {
    let count = 0;
    for (let i = 0; i < total; i++) if (Atomics.load(lastSeqs, i) < seq) count++;
    return count;
  };
  try {
    await orFailure(Promise.all(workers.map((worker) => reply(worker, "live"))));
  } catch (error) {
    await terminate();
    throw error;
  }
  return {
    failed,
    behind,
    async allReach(seq) {
      while (!ended && behind(seq) > 0) await delay(POLL_MS);
    },
    get delivered() {
      return delivered.reduce((sum, n) => sum + n, 0);
    },
    async measureFromSeq(seq) {
      const taken = workers.map((worker) => reply(worker, "measuring"));
      for (const worker of workers) worker.postMessage({ kind: "measure-from", seq } satisfies ToSubscriberThread);
      await orFailure(Promise.all(taken));
    },
    busy: (since) => workers.map((worker, i) => worker.performance.eventLoopUtilization(since?.[i])),
    async finish() {
      const reports = workers.map((worker) => reply(worker, "report"));
      for (const worker of workers) worker.postMessage({ kind: "stop" } satisfies ToSubscriberThread);
      try {
        return merge((await orFailure(Promise.all(reports))).map(({ report }) => report));
      } finally {
        ended = true;
      }
    },
    terminate,
  };
}

function merge(reports: FanoutThreadReport[]): FanoutTally {
  const commitToReceive = new Latencies();
  const sendToReceive = new Latencies();
  const sum = (pick: (report: FanoutThreadReport) => number) => reports.reduce((total, report) => total + pick(report), 0);
  for (const report of reports) {
    commitToReceive.recordAll(report.commitToReceive);
    sendToReceive.recordAll(report.sendToReceive);
  }
  return {
    commitToReceive,
    sendToReceive,
    delivered: sum((r) => r.delivered),
    duplicates: sum((r) => r.duplicates),
    outOfOrder: sum((r) => r.outOfOrder),
    gaps: sum((r) => r.gaps),
    keepalives: sum((r) => r.keepalives),
  };
}

/**
 * Splits `subscribers` over `threads` threads as the benchmark spreads them over
 * `connections` connections (subscriber s on connection s mod connections): connection
 * c goes to thread c mod threads, and each thread takes the subscribers of its connections.
 */
export function splitOverThreads(subscribers: number, connections: number, threads: number): { connections: number[]; count: number }[] {
  const used = Math.max(1, Math.min(threads, connections));
  return Array.from({ length: used }, (_, thread) => {
    const mine = Array.from({ length: connections }, (_, c) => c).filter((c) => c % used === thread);
    const count = mine.reduce((sum, c) => sum + Math.floor(subscribers / connections) + (c < subscribers % connections ? 1 : 0), 0);
    return { connections: mine, count };
  }).filter(({ count }) => count > 0);
}
