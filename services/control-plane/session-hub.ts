import type { Event } from "../../gen/pushpals/v1/events_pb.js";
import type { Bus } from "./bus/bus.js";
import { DEFAULT_MAX_BUFFERED } from "./bus/buffered-subscription.js";
import { DropOldestQueue } from "./bus/drop-oldest-queue.js";
import type { Logger } from "../../shared/log.js";
import { SessionFeed, TICK, type EventLog, type FeedListener, type HubItem } from "./session-feed.js";

export { TICK, type EventLog, type HubItem } from "./session-feed.js";

export interface HubSubscription extends AsyncIterable<HubItem> {
  /**
   * Settles once every event committed from now on will be yielded; rejects when the
   * session's log could not be read to get there.
   */
  readonly ready: Promise<void>;
  /** Events lost on the way (this reader's own overflow, or store reads the feed gave up on): re-read the store when it grows. */
  readonly dropped: number;
  /** Queues a TICK behind the events already handed to this reader, so its timer needs no racing with its reads. */
  tick(): void;
  close(): void;
}

/**
 * One feed per session per process, shared by every local stream of that session:
 * with a hundred followers of one session the bus delivers each notice once and the
 * store is read once for them all, not a hundred times (and not at all for what
 * this process committed itself). What the hub yields comes from the store, never
 * from the bus.
 */
export class SessionHub {
  private readonly feeds = new Map<string, SessionFeed>();

  constructor(
    private readonly bus: Bus,
    private readonly log: EventLog,
    private readonly logger: Logger,
  ) {}

  subscribe(sessionId: string): HubSubscription {
    const feed = this.feeds.get(sessionId) ?? this.open(sessionId);
    const queue = new DropOldestQueue<HubItem>(DEFAULT_MAX_BUFFERED);
    const listener: FeedListener = { queue, lost: 0 };
    feed.listeners.add(listener);
    let closed = false;
    return {
      ready: feed.ready,
      get dropped() {
        return queue.dropped + listener.lost;
      },
      tick: () => queue.push(TICK),
      close: () => {
        if (closed) return;
        closed = true;
        queue.close();
        feed.listeners.delete(listener);
        if (feed.listeners.size === 0 && this.feeds.get(sessionId) === feed) {
          this.feeds.delete(sessionId);
          feed.close();
        }
      },
      [Symbol.asyncIterator]: () => ({ next: () => queue.next() }),
    };
  }

  /** Events this process has just committed (the committer's hand-off): fed to the sessions followed here. */
  offerCommitted(events: readonly Event[]): void {
    if (this.feeds.size === 0) return;
    for (const event of events) this.feeds.get(event.sessionId)?.offerCommitted([event]);
  }

  private open(sessionId: string): SessionFeed {
    const feed: SessionFeed = new SessionFeed({
      sessionId,
      bus: this.bus,
      log: this.log,
      logger: this.logger,
      onEnd: () => {
        if (this.feeds.get(sessionId) === feed) this.feeds.delete(sessionId);
      },
    });
    this.feeds.set(sessionId, feed);
    return feed;
  }
}
