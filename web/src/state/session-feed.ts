import { Code, ConnectError, type Client } from "@connectrpc/connect";
import type { Event } from "../../../gen/pushpals/v1/events_pb.js";
import type { SessionService } from "../../../gen/pushpals/v1/sessions_pb.js";

export interface FeedOptions {
  sessions: Client<typeof SessionService>;
  sessionId: string;
  /** The highest seq the page holds: every (re)connect resumes after it. */
  cursor: () => bigint;
  onEvents: (events: Event[]) => void;
  onConnected: () => void;
  onDisconnected: (error: string, code: Code | undefined) => void;
  signal: AbortSignal;
  /** Delay before the n-th retry in a row (default: 250 ms doubling to 5 s). */
  retryDelayMs?: (attempt: number) => number;
  /** How long streamed events gather before one render (a replay of thousands is one update, not thousands). */
  flushMs?: number;
  /** Catch-up page size (ListEvents allows up to 1000). */
  pageSize?: number;
  /** A long session opens on its newest this-many events; the older ones load behind them. */
  tailSize?: number;
  /** How long the older events wait, so the newest are on screen first (default 400 ms). */
  fillDelayMs?: number;
}

const defaultRetry = (attempt: number) => Math.min(5000, 250 * 2 ** attempt);

/** Older events not loaded yet: seq in (after, until]. */
interface Hole {
  after: bigint;
  until: bigint;
}

/**
 * Follows one session until `signal` aborts. A long session opens on its newest events (what a
 * person looks at first) and loads the older ones behind them; then it catches up with ListEvents
 * pages after the cursor and streams StreamEvents after it. When the stream breaks (the server
 * restarted, the network dropped) it waits and does both again from the highest seq it has
 * delivered, so nothing is fetched twice on purpose (the reducer drops any seq it already has).
 * Unauthenticated and NotFound stop the loop: retrying cannot help.
 */
export async function followSession(options: FeedOptions): Promise<void> {
  const { signal } = options;
  const retryDelay = options.retryDelayMs ?? defaultRetry;
  // The page's cursor only moves when React renders; the feed also remembers what it delivered.
  let delivered = options.cursor();
  // bigint: Math.max does not take it.
  const cursor = () => {
    const held = options.cursor();
    if (held > delivered) return held;
    return delivered;
  };
  const deliver = (events: Event[]) => {
    const last = events[events.length - 1];
    if (last && last.seq > delivered) delivered = last.seq;
    options.onEvents(events);
  };
  const feed: FeedOptions = { ...options, cursor, onEvents: deliver };
  let hole: Hole | undefined;
  let filling = false;
  let attempt = 0;
  while (!signal.aborted) {
    try {
      if (cursor() === 0n) hole = await openOnTail(feed);
      if (hole && !filling) {
        filling = true;
        const open = hole;
        // After the newest events have had their render: the older ones must not delay it.
        void sleep(options.fillDelayMs ?? 400, signal)
          .then(() => fillHole(feed, open))
          .then(() => {
            if (hole === open) hole = undefined;
          })
          // A failed fill is taken up again after the next reconnect, from where it stopped.
          .catch(() => undefined)
          .finally(() => (filling = false));
      }
      await catchUp(feed);
      options.onConnected();
      attempt = 0;
      await stream(feed);
      if (signal.aborted) return;
      // A stream the server ended on purpose (it is stopping) is a disconnect like any other.
      throw new ConnectError("the event stream ended", Code.Unavailable);
    } catch (error) {
      if (signal.aborted) return;
      const connectError = ConnectError.from(error);
      options.onDisconnected(connectError.rawMessage || connectError.message, connectError.code);
      if (connectError.code === Code.Unauthenticated || connectError.code === Code.NotFound) return;
      await sleep(retryDelay(attempt++), signal);
    }
  }
}

async function openOnTail({ sessions, sessionId, onEvents, signal, tailSize = 150 }: FeedOptions): Promise<Hole | undefined> {
  const { session } = await sessions.getSession({ sessionId }, { signal });
  const last = session?.lastSeq ?? 0n;
  if (last <= BigInt(tailSize)) return undefined;
  const after = last - BigInt(tailSize);
  const page = await sessions.listEvents({ sessionId, afterSeq: after, limit: tailSize }, { signal });
  globalThis.performance?.mark("pushpals:tail-received");
  if (page.events.length > 0) onEvents(page.events);
  return { after: 0n, until: after };
}

async function fillHole({ sessions, sessionId, onEvents, signal, pageSize = 1000 }: FeedOptions, hole: Hole): Promise<void> {
  while (hole.after < hole.until && !signal.aborted) {
    const page = await sessions.listEvents({ sessionId, afterSeq: hole.after, limit: pageSize }, { signal });
    const older = page.events.filter((e) => e.seq <= hole.until);
    if (older.length > 0) onEvents(older);
    if (!page.hasMore || page.nextAfterSeq <= hole.after) return;
    hole.after = page.nextAfterSeq;
  }
}

async function catchUp({ sessions, sessionId, cursor, onEvents, signal, pageSize = 1000 }: FeedOptions): Promise<void> {
  let after = cursor();
  for (;;) {
    const page = await sessions.listEvents({ sessionId, afterSeq: after, limit: pageSize }, { signal });
    if (page.events.length > 0) onEvents(page.events);
    if (!page.hasMore || page.nextAfterSeq <= after) return;
    after = page.nextAfterSeq;
  }
}

async function stream({ sessions, sessionId, cursor, onEvents, signal, flushMs = 30 }: FeedOptions): Promise<void> {
  let buffer: Event[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    timer = undefined;
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    onEvents(batch);
  };
  try {
    for await (const message of sessions.streamEvents({ sessionId, afterSeq: cursor() }, { signal })) {
      if (message.message.case !== "event") continue;
      buffer.push(message.message.value);
      if (buffer.length >= 500) flush();
      else timer ??= setTimeout(flush, flushMs);
    }
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    flush();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
