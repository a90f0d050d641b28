import type { Event } from "../../gen/pushpals/v1/events_pb.js";
import { invalidArgument, notFound } from "../../shared/errors.js";
import type { Store } from "./store/store.js";
import { TICK, type SessionHub } from "./session-hub.js";

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
 * A session's log from a cursor: replayed from the store, then followed live through
 * the hub (which reads the store whenever the bus says the log grew). Every event
 * yielded was read from the store; the bus only says when to look.
 *
 * The seam has no gap and no duplicate because the store gives each session a
 * gap-free seq in commit order: we subscribe *before* replaying, skip live events
 * at or below the cursor, and whenever a live event skips ahead, this reader fell
 * behind the hub (its buffer overflowed), or nothing was heard for a keep-alive
 * period (a lost last notice), we re-read the store after the cursor.
 */
export async function* followSessionEvents(store: Store, hub: SessionHub, options: FollowOptions): AsyncGenerator<FollowItem> {
  const { sessionId, itemId, signal } = options;
  const pageSize = options.pageSize ?? 500;
  const session = await store.getSession(sessionId);
  if (!session) throw notFound("session", sessionId);
  if (options.afterSeq > session.lastSeq) {
    throw invalidArgument("after_seq", `${options.afterSeq} is beyond the session's last event ${session.lastSeq}; resume from a seq you received`);
  }

  const live = options.live ? hub.subscribe(sessionId) : undefined;
  // One interval per stream (not a timer per message): each tick asks "anything since the last one?".
  const ticker = live ? setInterval(() => live.tick(), options.keepaliveMs) : undefined;
  // Also here, not only in `finally`: a generator left suspended at a yield never reaches it.
  const onAbort = () => (clearInterval(ticker), live?.close());
  signal.addEventListener("abort", onAbort, { once: true });
  let cursor = options.afterSeq;
  let sent = false;
  const wanted = (event: Event) => !itemId || event.itemId === itemId;

  async function* catchUp(): AsyncGenerator<FollowItem> {
    if (itemId) {
      yield* catchUpOnItem(itemId);
      return;
    }
    for (;;) {
      const page = await store.listEvents({ sessionId, afterSeq: cursor, limit: pageSize });
      for (const event of page) {
        cursor = event.seq;
        if (wanted(event)) {
          sent = true;
          yield { kind: "event", event };
        }
      }
      if (page.length < pageSize) return;
    }
  }

  /**
   * Through the (session, item, seq) index instead of paging the whole log: the
   * session's last seq is read first, so every event up to it is committed and the
   * item's events among them are in the pages that follow; the cursor then moves past
   * the other items' events in one step.
   */
  async function* catchUpOnItem(item: string): AsyncGenerator<FollowItem> {
    const through = (await store.getSession(sessionId))?.lastSeq ?? cursor;
    for (;;) {
      const page = await store.listEvents({ sessionId, afterSeq: cursor, limit: pageSize, itemId: item });
      for (const event of page) {
        cursor = event.seq;
        sent = true;
        yield { kind: "event", event };
      }
      if (page.length < pageSize) break;
    }
    if (through > cursor) cursor = through;
  }

  try {
    if (live) await live.ready;
    yield* catchUp();
    if (!live || signal.aborted) return;

    let dropped = live.dropped;
    let heard = false;
    for await (const item of live) {
      if (item === TICK) {
        // Silence may hide a lost last notice, and an overflow the lost events: the store settles it.
        if (!heard || live.dropped !== dropped) {
          dropped = live.dropped;
          yield* catchUp();
        }
        if (!sent) yield { kind: "keepalive", lastSeq: cursor };
        heard = sent = false;
        continue;
      }
      heard = true;
      if (live.dropped !== dropped || item.seq > cursor + 1n) {
        dropped = live.dropped;
        yield* catchUp();
        continue;
      }
      if (item.seq <= cursor) continue;
      cursor = item.seq;
      if (wanted(item)) {
        sent = true;
        yield { kind: "event", event: item };
      }
    }
  } finally {
    clearInterval(ticker);
    signal.removeEventListener("abort", onAbort);
    live?.close();
  }
}
