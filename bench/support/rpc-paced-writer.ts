import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { setTimeout as delay } from "node:timers/promises";
import { EventSchema, JobProgressSchema } from "../../gen/pushpals/v1/events_pb.js";
import type { SessionService } from "../../gen/pushpals/v1/sessions_pb.js";
import { errorMessage } from "../../shared/errors.js";
import { Latencies } from "./latency.js";
import { wallClockMs } from "./rpc-stream-tally.js";
import { JobStage } from "../../gen/pushpals/v1/kinds_pb.js";

export interface PacedWriteOptions {
  sessions: Client<typeof SessionService>;
  sessionId: string;
  /** Events per second. */
  rate: number;
  seconds: number;
  /**
   * 0: one event per AppendEvents call, each at its own slot. N: every N ms, one call
   * with the events that fell due since the last (at most 100, the RPC's limit).
   */
  batchMs: number;
  /** Appends allowed in flight; past it the writer falls behind its schedule instead of piling calls up. */
  maxInFlight: number;
  /** Told once a second how many events are out. */
  onSecond?: (sent: number, second: number) => void;
}

export interface PacedWriteResult {
  events: number;
  calls: number;
  /** Calls that failed with an internal error and were sent again (the error tells callers to retry). */
  retried: number;
  /** From the first send to the last append's answer. */
  seconds: number;
  lastSeq: bigint;
  /** One AppendEvents round trip. */
  append: Latencies;
}

const MAX_EVENTS_PER_CALL = 100;
const MAX_ATTEMPTS = 3;

/**
 * Appends `rate` events per second to one session for `seconds`, event i falling due at
 * start + i/rate s. Each event carries the wall-clock time its call went out (ms) in a
 * JobProgress detail, so a receiver can tell how old it is.
 */
export async function writePaced(options: PacedWriteOptions): Promise<PacedWriteResult> {
  const { sessions, sessionId, rate, maxInFlight } = options;
  const total = Math.round(rate * options.seconds);
  const append = new Latencies();
  const inFlight = new Set<Promise<void>>();
  let lastSeq = 0n;
  let calls = 0;
  let retried = 0;
  let failure: unknown;

  const send = async (first: number, count: number) => {
    const sentAt = wallClockMs();
    const events = Array.from({ length: count }, (_, offset) =>
      create(EventSchema, {
        payload: { case: "jobProgress", value: create(JobProgressSchema, { stage: JobStage.RUN, step: first + offset, detail: String(sentAt) }) },
      }),
    );
    const appended = await appendWithRetry(
      () => sessions.appendEvents({ sessionId, events }),
      () => retried++,
    );
    append.record(wallClockMs() - sentAt);
    for (const event of appended.events) if (event.seq > lastSeq) lastSeq = event.seq;
  };

  const startedAt = performance.now();
  const slotOf = (index: number) => startedAt + (index * 1000) / rate;
  let second = 0;
  for (let next = 0; next < total && failure === undefined; ) {
    // In batches: the first batch boundary at or after the next event's slot.
    const wakeAt = options.batchMs > 0 ? startedAt + Math.ceil((slotOf(next) - startedAt) / options.batchMs) * options.batchMs : slotOf(next);
    const wait = wakeAt - performance.now();
    if (wait >= 1) await delay(wait);
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    const now = performance.now();
    // Every event due by now, within the per-call limit; at least the next one.
    const due = options.batchMs > 0 ? Math.min(total, Math.floor(((now - startedAt) * rate) / 1000) + 1) : next + 1;
    const count = Math.max(1, Math.min(due - next, MAX_EVENTS_PER_CALL));
    const call: Promise<void> = send(next, count)
      .catch((error: unknown) => void (failure ??= error))
      .finally(() => inFlight.delete(call));
    inFlight.add(call);
    next += count;
    calls++;
    const elapsedSeconds = Math.floor((performance.now() - startedAt) / 1000);
    if (elapsedSeconds > second) options.onSecond?.(next, (second = elapsedSeconds));
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw new Error(`AppendEvents failed: ${errorMessage(failure)}`);
  return { events: total, calls, retried, seconds: (performance.now() - startedAt) / 1000, lastSeq, append };
}

/**
 * Internal errors are retried (at most MAX_ATTEMPTS calls in all): the control plane
 * asks callers to, and a run should show them, not die of the first. The caller checks
 * afterwards that no retry appended twice (the session's seq count).
 */
async function appendWithRetry<T>(call: () => Promise<T>, onRetry: () => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || ConnectError.from(error).code !== Code.Internal) throw error;
      onRetry();
    }
  }
}
