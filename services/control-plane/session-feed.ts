import type { Event } from "../../gen/pushpals/v1/events_pb.js";
import type { Bus, Subscription } from "./bus/bus.js";
import type { DropOldestQueue } from "./bus/drop-oldest-queue.js";
import { decodeNotice } from "./bus/event-notices.js";
import { subjects } from "./bus/subjects.js";
import { errorMessage, unavailable } from "../../shared/errors.js";
import type { Logger } from "../../shared/log.js";
import type { Store } from "./store/store.js";
import { sleep } from "../../shared/time.js";

/** What a feed reads: the store's session log, nothing else. */
export type EventLog = Pick<Store, "getSession" | "listEvents">;

/** What a listener is handed: the session's next stored event, or a tick its owner asked for. */
export type HubItem = Event | typeof TICK;
export const TICK = Symbol("tick");

export interface SessionFeedOptions {
  sessionId: string;
  bus: Bus;
  log: EventLog;
  logger: Logger;
  /** Called once when the feed has ended on its own (the bus closed, or the start failed). */
  onEnd: () => void;
  pageSize?: number;
}

/** A listener's queue, and the events it lost because the feed could not read them. */
export interface FeedListener {
  queue: DropOldestQueue<HubItem>;
  lost: number;
}

const DEFAULT_PAGE_SIZE = 500;
/** Reads tried per notice (backing off 100, 200, 400, 800 ms) before the listeners are told to read for themselves. */
const READ_ATTEMPTS = 5;
const RETRY_FIRST_MS = 100;

/**
 * One session's live events for every local follower of it. The bus only says that
 * the log grew (a notice with the newest seq); the feed then reads what is new from
 * the store, after its own cursor, and hands each stored event to every listener.
 * So a stream delivers only what the store holds, and one read serves every
 * follower: notices that arrive during a read, or name a seq already read, cost
 * nothing, and a forged notice costs one read that finds nothing new. Events this
 * process committed itself come straight from the store's transaction (offered by
 * the committer), so they need no read when they continue the cursor.
 */
export class SessionFeed {
  readonly listeners = new Set<FeedListener>();
  /**
   * Settles once the bus subscription is active and the feed's cursor is fixed at the
   * session's newest event: every event after it will reach the listeners. Rejects if
   * the store could not be read, so the follower's stream fails instead of hanging.
   */
  readonly ready: Promise<void>;

  readonly #options: SessionFeedOptions;
  readonly #subscription: Subscription;
  readonly #closed = new AbortController();
  /** The last seq handed on; undefined until the start has fixed it. */
  #cursor: bigint | undefined;

  constructor(options: SessionFeedOptions) {
    this.#options = options;
    this.#subscription = options.bus.subscribe(subjects.sessionEvents(options.sessionId));
    let started!: (error?: unknown) => void;
    this.ready = new Promise<void>((resolve, reject) => (started = (error) => (error === undefined ? resolve() : reject(error))));
    // A follower awaits it; a failure must not also count as unhandled when none does.
    this.ready.catch(() => {});
    void this.#run(started);
  }

  /**
   * Events of this session just committed by this process, as the store's transaction
   * returned them: handed on when they continue the cursor. Otherwise (an earlier
   * commit not seen yet, or the start not done) they are left to the store read their
   * bus notice triggers.
   */
  offerCommitted(events: readonly Event[]): void {
    for (const event of events) this.#handOn(event);
  }

  /** Stops the bus subscription; the listeners' queues belong to their owners. */
  close(): void {
    this.#closed.abort();
    this.#subscription.close();
  }

  async #run(started: (error?: unknown) => void): Promise<void> {
    const { sessionId, log, logger } = this.#options;
    try {
      await this.#subscription.ready;
      // Fixed after the subscription is active: anything committed later is announced.
      if (!this.#closed.signal.aborted) this.#cursor = (await log.getSession(sessionId))?.lastSeq ?? 0n;
      started();
    } catch (error) {
      logger.warn({ sessionId, err: errorMessage(error) }, "session feed: could not read the session's newest event; the streams following it fail and their clients resume");
      started(unavailable(`could not read session ${sessionId} from the store to follow it live (${errorMessage(error)}); resume the stream from the last seq received`));
      this.#subscription.close();
    }
    for await (const message of this.#subscription) {
      const notice = decodeNotice(message, logger);
      if (!notice) continue;
      if (notice.sessionId !== sessionId) {
        logger.warn({ sessionId, noticeSessionId: notice.sessionId, subject: message.subject }, "session feed: skipped a notice about another session on this session's subject");
        continue;
      }
      if (this.#cursor !== undefined && notice.seq > this.#cursor) await this.#readNew(this.#cursor);
    }
    // The bus ended the subscription (it closed): listeners end too, and re-subscribe if they go on.
    this.#options.onEnd();
    for (const listener of this.listeners) listener.queue.end();
  }

  /**
   * Reads everything after the cursor and hands it on. A failed read is tried again a
   * few times; then the listeners are told they lost events (each re-reads the store
   * itself on its next keep-alive, where a lasting failure ends its stream with the
   * error) and the next notice starts afresh. Nothing is skipped: the cursor stays.
   */
  async #readNew(from: bigint): Promise<void> {
    const { sessionId, log, logger } = this.#options;
    const pageSize = this.#options.pageSize ?? DEFAULT_PAGE_SIZE;
    let afterSeq = from;
    let failures = 0;
    while (!this.#closed.signal.aborted) {
      let page: Event[];
      try {
        page = await log.listEvents({ sessionId, afterSeq, limit: pageSize });
      } catch (error) {
        failures++;
        const givingUp = failures >= READ_ATTEMPTS;
        logger.warn(
          { sessionId, afterSeq, failures, err: errorMessage(error) },
          givingUp
            ? "session feed: could not read new events from the store; its streams re-read it themselves (check the database)"
            : "session feed: could not read new events from the store; trying again (check the database)",
        );
        if (givingUp) {
          for (const listener of this.listeners) listener.lost++;
          return;
        }
        await sleep(RETRY_FIRST_MS * 2 ** (failures - 1), this.#closed.signal);
        continue;
      }
      // Offered commits may have moved the cursor on meanwhile: what they handed on is skipped.
      for (const event of page) this.#handOn(event);
      if (page.length < pageSize) return;
      afterSeq = page.at(-1)!.seq;
    }
  }

  /** Hands the event to every listener if it is the next one; listeners thus see the log gap-free, once. */
  #handOn(event: Event): void {
    if (this.#cursor === undefined || event.seq !== this.#cursor + 1n) return;
    this.#cursor = event.seq;
    for (const listener of this.listeners) listener.queue.push(event);
  }
}
