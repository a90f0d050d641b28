import type { Event } from "../../gen/pushpals/v1/events_pb.js";
import type { Bus } from "../kernel/bus/bus.js";
import { decodeEvent } from "../kernel/bus/event-codec.js";
import { subjects } from "../kernel/bus/subjects.js";
import { invalidArgument, notFound } from "../kernel/errors.js";
import type { Store } from "../kernel/store/store.js";
import { TimedReader } from "./next-or-timeout.js";

export interface FollowOptions {
  sessionId: string;
  afterSeq: bigint;
  /** Only events about this item are yielded (the cursor still advances past the others). */
  itemId?: string;
  /** When false, ends once the log has been replayed. */
  live: boolean;
  keepaliveMs: number;
  signal: AbortSignal;
  pageSize?: number;
}

export type FollowItem = { kind: "event"; event: Event } | { kind: "keepalive"; lastSeq: bigint };

/**
 * A session's log from a cursor: replayed from the store, then followed live on the bus.
 *
 * The seam has no gap and no duplicate because the store gives each session a
 * gap-free seq in commit order: we subscribe *before* replaying, skip live events
 * at or below the cursor, and whenever a live event skips ahead (a lost or dropped
 * bus message) or the stream has been idle for a keep-alive period, we re-read the
 * store after the cursor. The bus only makes the stream fast; the store makes it whole.
 */
export async function* followSessionEvents(store: Store, bus: Bus, options: FollowOptions): AsyncGenerator<FollowItem> {
  const { sessionId, itemId, signal } = options;
  const pageSize = options.pageSize ?? 500;
  const session = await store.getSession(sessionId);
  if (!session) throw notFound("session", sessionId);
  if (options.afterSeq > session.lastSeq) {
    throw invalidArgument("after_seq", `${options.afterSeq} is beyond the session's last event ${session.lastSeq}; resume from a seq you received`);
  }

  const subscription = options.live ? bus.subscribe(subjects.sessionEvents(sessionId), { signal }) : undefined;
  let cursor = options.afterSeq;
  const wanted = (event: Event) => !itemId || event.itemId === itemId;

  async function* catchUp(): AsyncGenerator<FollowItem> {
    for (;;) {
      const page = await store.listEvents({ sessionId, afterSeq: cursor, limit: pageSize });
      for (const event of page) {
        cursor = event.seq;
        if (wanted(event)) yield { kind: "event", event };
      }
      if (page.length < pageSize) return;
    }
  }

  try {
    if (subscription) await subscription.ready;
    yield* catchUp();
    if (!subscription) return;

    const reader = new TimedReader(subscription[Symbol.asyncIterator]());
    let dropped = subscription.dropped;
    while (!signal.aborted) {
      const next = await reader.next(options.keepaliveMs);
      if (next === "timeout") {
        yield* catchUp();
        yield { kind: "keepalive", lastSeq: cursor };
        continue;
      }
      if (next.done) return;
      const event = decodeEvent(next.value);
      if (subscription.dropped !== dropped || !event || event.seq > cursor + 1n) {
        dropped = subscription.dropped;
        yield* catchUp();
        continue;
      }
      if (event.seq <= cursor) continue;
      cursor = event.seq;
      if (wanted(event)) yield { kind: "event", event };
    }
  } finally {
    // Closing the subscription ends any pull still pending on it.
    subscription?.close();
  }
}
