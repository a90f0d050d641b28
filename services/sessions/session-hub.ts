import type { Event } from "../../gen/pushpals/v1/events_pb.js";
import type { Bus, Subscription } from "../kernel/bus/bus.js";
import { DEFAULT_MAX_BUFFERED } from "../kernel/bus/buffered-subscription.js";
import { DropOldestQueue } from "../kernel/bus/drop-oldest-queue.js";
import { decodeEvent } from "../kernel/bus/event-codec.js";
import { subjects } from "../kernel/bus/subjects.js";
import type { Logger } from "../kernel/log.js";

/** What a hub subscription yields: the session's next event, or a tick its owner asked for. */
export type HubItem = Event | typeof TICK;
export const TICK = Symbol("tick");

export interface HubSubscription extends AsyncIterable<HubItem> {
  /** Settles once the session's bus subscription is active end to end. */
  readonly ready: Promise<void>;
  /** Events lost on the way (bus drops, undecodable messages, this reader's own overflow): re-read the store when it grows. */
  readonly dropped: number;
  /** Queues a TICK behind the events already handed to this reader, so its timer needs no racing with its reads. */
  tick(): void;
  close(): void;
}

interface Listener {
  queue: DropOldestQueue<HubItem>;
  lost: number;
}

interface Shared {
  subscription: Subscription;
  listeners: Set<Listener>;
}

/**
 * One bus subscription, and one decode, per session per process, shared by every
 * local stream of that session: with a hundred followers of one session the bus
 * delivers each event once and it is decoded once, not a hundred times.
 */
export class SessionHub {
  private readonly sessions = new Map<string, Shared>();

  constructor(
    private readonly bus: Bus,
    private readonly logger: Logger,
  ) {}

  subscribe(sessionId: string): HubSubscription {
    const shared = this.sessions.get(sessionId) ?? this.open(sessionId);
    const listener: Listener = { queue: new DropOldestQueue<HubItem>(DEFAULT_MAX_BUFFERED), lost: 0 };
    shared.listeners.add(listener);
    let closed = false;
    return {
      ready: shared.subscription.ready,
      get dropped() {
        return listener.lost + listener.queue.dropped;
      },
      tick: () => listener.queue.push(TICK),
      close: () => {
        if (closed) return;
        closed = true;
        listener.queue.close();
        shared.listeners.delete(listener);
        if (shared.listeners.size === 0 && this.sessions.get(sessionId) === shared) {
          this.sessions.delete(sessionId);
          shared.subscription.close();
        }
      },
      [Symbol.asyncIterator]: () => ({ next: () => listener.queue.next() }),
    };
  }

  private open(sessionId: string): Shared {
    const subscription = this.bus.subscribe(subjects.sessionEvents(sessionId));
    const shared: Shared = { subscription, listeners: new Set() };
    this.sessions.set(sessionId, shared);
    void this.pump(sessionId, shared);
    return shared;
  }

  private async pump(sessionId: string, shared: Shared): Promise<void> {
    let busDropped = 0;
    for await (const message of shared.subscription) {
      const event = decodeEvent(message, this.logger);
      const lostNow = shared.subscription.dropped - busDropped + (event ? 0 : 1);
      busDropped = shared.subscription.dropped;
      for (const listener of shared.listeners) {
        listener.lost += lostNow;
        if (event) listener.queue.push(event);
      }
    }
    // The bus ended the subscription (it closed): readers end too, and re-subscribe if they go on.
    if (this.sessions.get(sessionId) === shared) this.sessions.delete(sessionId);
    for (const listener of shared.listeners) listener.queue.end();
  }
}
