import { create, toBinary } from "@bufbuild/protobuf";
import { connect } from "@nats-io/transport-node";
import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { EventSchema, JobProgressSchema } from "../../gen/pushpals/v1/events_pb.js";
import { JobStage } from "../../gen/pushpals/v1/kinds_pb.js";
import { toTimestamp } from "../../shared/time.js";
import { splitOverThreads, startSubscriberThreads, type SubscriberThreads } from "./fanout-subscriber-threads.js";
import { drained, within, type FanoutLoad, type FanoutResult, type FanoutSetup } from "./rpc-fanout-run.js";
import { Latencies } from "./latency.js";
import { wallClockMs } from "./rpc-stream-tally.js";

/**
 * The same fan-out without PushPals: a publisher on its own NATS connection sends each
 * event, protobuf-encoded once, to one subject that `subscribers` subscriptions (spread
 * over `connections` NATS connections and the same subscriber threads as the RPC
 * subscribers are over HTTP/2 ones) all receive and decode with the same generated code. No store, no RPC: the floor a
 * pub/sub fan-out reaches on this machine in the same run. "Commit" is the publish.
 */
export async function runNatsPeer(natsUrl: string, load: FanoutLoad, progress: (message: string) => void): Promise<FanoutResult> {
  const setup: FanoutSetup = { label: "raw NATS peer (publish → subscription, no store, no RPC)", store: "sqlite", natsUrl };
  const subject = `pushpals.bench.fanout.${process.pid}.${Date.now()}`;
  const publisher = await connect({ servers: natsUrl, name: "pushpals-bench-peer-publisher" });
  let threads: SubscriberThreads | undefined;
  let finished = false;
  try {
    threads = await startSubscriberThreads({
      subscribers: load.subscribers,
      afterSeq: 0n,
      threads: splitOverThreads(load.subscribers, load.connections, load.clientThreads).map(({ connections, count }) => ({
        count,
        source: { kind: "nats", natsUrl, connections: connections.length, subject },
      })),
    });
    const subscribers = threads;
    let seq = 0n;
    const publish = (count: number, step: number) => {
      const sentAt = wallClockMs();
      for (let i = 0; i < count; i++) {
        seq++;
        const event = create(EventSchema, {
          seq,
          time: toTimestamp(Date.now()),
          payload: { case: "jobProgress", value: create(JobProgressSchema, { stage: JobStage.RUN, step: step + i, detail: String(sentAt) }) },
        });
        publisher.publish(subject, toBinary(EventSchema, event));
      }
    };
    publish(1, 0);
    await publisher.flush();
    if (!(await within(subscribers.allReach(seq), load.stallTimeoutMs, subscribers.failed))) {
      throw new Error(`${subscribers.behind(seq)} of ${load.subscribers} NATS subscribers did not get the warm-up message`);
    }
    const warmUpSeq = seq;
    await subscribers.measureFromSeq(warmUpSeq + 1n);
    progress(`raw NATS peer, ${load.rate} events/s: ${load.subscribers} subscriptions live; publishing for ${load.seconds} s`);

    const clientsBefore = subscribers.busy();
    const total = Math.round(load.rate * load.seconds);
    const append = new Latencies();
    const startedAt = performance.now();
    let calls = 0;
    for (let next = 0; next < total; ) {
      const wakeAt = load.batchMs > 0 ? startedAt + Math.ceil((next * 1000) / load.rate / load.batchMs) * load.batchMs : startedAt + (next * 1000) / load.rate;
      const wait = wakeAt - performance.now();
      if (wait >= 1) await delay(wait);
      const due = load.batchMs > 0 ? Math.min(total, Math.floor(((performance.now() - startedAt) * load.rate) / 1000) + 1) : next + 1;
      const count = Math.max(1, Math.min(due - next, 100));
      const sentAt = performance.now();
      publish(count, next);
      append.record(performance.now() - sentAt);
      next += count;
      calls++;
    }
    await publisher.flush();
    const writer = { events: total, calls, retried: 0, seconds: (performance.now() - startedAt) / 1000, lastSeq: seq, append };
    const drainStarted = performance.now();
    const drain = await drained(subscribers, seq, load, drainStarted);
    const drainMs = performance.now() - drainStarted;
    const clientsBusy = subscribers.busy(clientsBefore).map(({ utilization }) => utilization);
    const tally = await subscribers.finish();
    finished = true;
    const expected = total * load.subscribers;
    const lacking = expected - tally.delivered - tally.gaps;
    return {
      setup,
      connections: load.connections,
      rate: load.rate,
      writer,
      tally,
      expected,
      extraAppended: 0,
      drainMs,
      missed: tally.gaps + (drain === "stalled" ? lacking : 0),
      late: drain === "capped" ? lacking : 0,
      serverBusy: Number.NaN,
      clientsBusy,
    };
  } finally {
    if (!finished) await threads?.terminate();
    await publisher.close();
  }
}
