import type { Event } from "../../gen/pushpals/v1/events_pb.js";
import { fromTimestamp } from "../../shared/time.js";
import { Latencies } from "./latency.js";

/** The wall clock with sub-millisecond resolution; the same clock Date.now() reads. */
export const wallClockMs = () => performance.timeOrigin + performance.now();

/** The writer's send time, carried in each benchmark event's JobProgress detail. */
export function sentAtOf(event: Event): number | undefined {
  if (event.payload.case !== "jobProgress") return undefined;
  const sentAt = Number(event.payload.value.detail);
  return Number.isFinite(sentAt) ? sentAt : undefined;
}

/**
 * What every subscriber received, checked against the exactly-once, in-order promise
 * of StreamEvents: per subscriber, each seq must be the one after the last.
 */
export class StreamTally {
  /** Commit (the event's time, set by the store) → arrival here. */
  readonly commitToReceive = new Latencies();
  /** Writer's AppendEvents call → arrival here: includes the append round trip. */
  readonly sendToReceive = new Latencies();
  duplicates = 0;
  outOfOrder = 0;
  /** Events skipped over (a seq arrived after a gap). */
  gaps = 0;
  keepalives = 0;
  /** Measured events received, over all subscribers. */
  delivered = 0;
  private readonly lastSeq: bigint[];
  private measureFrom = Number.POSITIVE_INFINITY;
  private waiter: { seq: bigint; remaining: number; reached: () => void } | undefined;

  constructor(subscribers: number, afterSeq: bigint) {
    this.lastSeq = Array.from({ length: subscribers }, () => afterSeq);
  }

  /** Events from this seq on are measured; earlier ones (the warm-up) are only checked. */
  measureFromSeq(seq: bigint): void {
    this.measureFrom = Number(seq);
  }

  event(subscriber: number, event: Event, receivedAt: number): void {
    const last = this.lastSeq[subscriber]!;
    if (event.seq <= last) {
      if (event.seq === last) this.duplicates++;
      else this.outOfOrder++;
      return;
    }
    if (event.seq > last + 1n) this.gaps += Number(event.seq - last - 1n);
    this.lastSeq[subscriber] = event.seq;
    const waiter = this.waiter;
    if (waiter && last < waiter.seq && event.seq >= waiter.seq && --waiter.remaining === 0) {
      this.waiter = undefined;
      waiter.reached();
    }
    if (Number(event.seq) < this.measureFrom) return;
    this.delivered++;
    const committedAt = fromTimestamp(event.time);
    const sentAt = sentAtOf(event);
    if (committedAt !== undefined) this.commitToReceive.record(receivedAt - committedAt);
    if (sentAt !== undefined) this.sendToReceive.record(receivedAt - sentAt);
  }

  /** Resolves once every subscriber has received `seq` (one waiter at a time). */
  allReach(seq: bigint): Promise<void> {
    const remaining = this.behind(seq);
    if (remaining === 0) return Promise.resolve();
    return new Promise((reached) => (this.waiter = { seq, remaining, reached }));
  }

  /** Subscribers that have not yet received `seq`. */
  behind(seq: bigint): number {
    return this.lastSeq.filter((last) => last < seq).length;
  }
}
