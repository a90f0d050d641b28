import { fromBinary } from "@bufbuild/protobuf";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { parentPort, workerData } from "node:worker_threads";
import { EventSchema, type Event } from "../../gen/pushpals/v1/events_pb.js";
import { createClients } from "../../shared/clients.js";
import { errorMessage } from "../../shared/errors.js";
import type { FanoutSubscriberWorkerData, FanoutThreadReport, FromSubscriberThread, ToSubscriberThread } from "./fanout-subscriber-messages.js";
import { runSubscribers } from "./rpc-stream-subscribers.js";
import { StreamTally, wallClockMs } from "./rpc-stream-tally.js";

/*
 * Some of a fan-out benchmark's subscribers, on their own thread: decoding a hundred
 * streams' messages kept the benchmark's main thread 88–100% busy, so the figures
 * measured the clients as much as the server (issue 17). Started by
 * fanout-subscriber-threads.ts, which reads the progress from shared memory and merges
 * the reports.
 */

const port = parentPort;
if (!port) throw new Error("fanout-subscriber-worker.js runs as a worker thread; start it with startSubscriberThreads()");
const data = workerData as FanoutSubscriberWorkerData;
const post = (message: FromSubscriberThread, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

/** A StreamTally that also publishes each subscriber's last seq and the thread's delivered count for the main thread. */
class SharedTally extends StreamTally {
  readonly #lastSeqs = new BigInt64Array(data.lastSeqs);
  readonly #delivered = new Float64Array(data.delivered);

  override event(subscriber: number, event: Event, receivedAt: number): void {
    super.event(subscriber, event, receivedAt);
    const slot = data.offset + subscriber;
    if (event.seq > Atomics.load(this.#lastSeqs, slot)) Atomics.store(this.#lastSeqs, slot, event.seq);
    this.#delivered[data.thread] = this.delivered;
  }
}

const tally = new SharedTally(data.count, data.afterSeq);
const leave = new AbortController();

function report(): FanoutThreadReport {
  return {
    commitToReceive: tally.commitToReceive.toFloat64Array(),
    sendToReceive: tally.sendToReceive.toFloat64Array(),
    delivered: tally.delivered,
    duplicates: tally.duplicates,
    outOfOrder: tally.outOfOrder,
    gaps: tally.gaps,
    keepalives: tally.keepalives,
  };
}

function sendReport(): void {
  const tallied = report();
  post({ kind: "report", report: tallied }, [tallied.commitToReceive.buffer as ArrayBuffer, tallied.sendToReceive.buffer as ArrayBuffer]);
}

port.on("message", (message: ToSubscriberThread) => {
  if (message.kind === "measure-from") {
    tally.measureFromSeq(message.seq);
    post({ kind: "measuring" });
  } else leave.abort();
});

/** StreamEvents calls; "live" once all are open (the warm-up event then proves them live). */
async function rpcSubscribers(source: Extract<FanoutSubscriberWorkerData["source"], { kind: "rpc" }>): Promise<void> {
  const streams = runSubscribers({
    connections: source.urls.map((url) => createClients(url)),
    count: data.count,
    sessionId: source.sessionId,
    afterSeq: data.afterSeq,
    tally,
    signal: leave.signal,
  });
  post({ kind: "live" });
  await streams;
}

/** Core NATS subscriptions on the peer's subject, each decoding every message with the generated code. */
async function natsSubscribers(source: Extract<FanoutSubscriberWorkerData["source"], { kind: "nats" }>): Promise<void> {
  const connections: NatsConnection[] = [];
  try {
    for (let i = 0; i < source.connections; i++) connections.push(await connect({ servers: source.natsUrl, name: `pushpals-bench-peer-${data.thread}-${i}` }));
    let subscriptionError: unknown;
    for (let subscriber = 0; subscriber < data.count; subscriber++) {
      connections[subscriber % connections.length]!.subscribe(source.subject, {
        callback: (error, message) => {
          if (error) {
            subscriptionError ??= error;
            return;
          }
          const receivedAt = wallClockMs();
          tally.event(subscriber, fromBinary(EventSchema, message.data), receivedAt);
        },
      });
    }
    await Promise.all(connections.map((nc) => nc.flush()));
    post({ kind: "live" });
    await new Promise((resolve) => leave.signal.addEventListener("abort", resolve, { once: true }));
    // A subscription error (the server cut a slow consumer, say) fails the run once it is over.
    if (subscriptionError !== undefined) throw new Error(`a NATS subscription of the peer failed: ${String(subscriptionError)}`);
  } finally {
    await Promise.all(connections.map((nc) => nc.close()));
  }
}

(data.source.kind === "rpc" ? rpcSubscribers(data.source) : natsSubscribers(data.source))
  .then(sendReport, (error: unknown) => post({ kind: "failed", message: errorMessage(error) }))
  .finally(() => port.close());
