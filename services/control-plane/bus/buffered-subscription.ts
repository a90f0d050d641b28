import { invalidArgument } from "../../../shared/errors.js";
import type { BusMessage, SubscribeOptions, Subscription } from "./bus.js";
import { DropOldestQueue } from "./drop-oldest-queue.js";

export const DEFAULT_MAX_BUFFERED = 10_000;

/** Where a bus puts what arrives for one subscription. */
export interface MessageSink {
  deliver(message: BusMessage): void;
  /** The source has finished (drained or the bus closed): buffered messages are still read. */
  end(): void;
  /** Settles when the subscription has ended, for whatever reason. */
  readonly ended: Promise<void>;
}

/** What a bus returns when it starts the underlying subscription. */
export interface MessageSource {
  /** Settles once the subscription is active end to end; may never settle if it never is. */
  readonly ready: Promise<void>;
  /** Stops delivery at the source; called at most once. */
  stop(): void;
}

/**
 * The reader's side of a subscription, the same for every bus: a bounded buffer
 * (drop-oldest, counted), and an end on close(), on abort, on `break` out of the
 * loop, or when the source ends. `ready` never rejects: it also settles when the
 * subscription ends first, so awaiting it can never leave a rejection unhandled.
 */
export function bufferedSubscription(options: SubscribeOptions, start: (sink: MessageSink) => MessageSource): Subscription {
  const queue = new DropOldestQueue<BusMessage>(maxBufferedOf(options));
  const { signal } = options;
  let markEnded!: () => void;
  const ended = new Promise<void>((resolve) => (markEnded = resolve));
  let source: MessageSource | undefined;
  let stopped = false;

  const finish = (): void => {
    signal?.removeEventListener("abort", stop);
    markEnded();
  };
  function stop(): void {
    if (stopped) return;
    stopped = true;
    queue.close();
    source?.stop();
    finish();
  }
  const sink: MessageSink = {
    deliver: (message) => queue.push(message),
    end: () => {
      queue.end();
      finish();
    },
    ended,
  };

  if (signal?.aborted) stop();
  else {
    signal?.addEventListener("abort", stop, { once: true });
    try {
      source = start(sink);
    } catch (error) {
      stop();
      throw error;
    }
  }
  const ready = Promise.race([source?.ready ?? Promise.resolve(), ended]).then(
    () => undefined,
    () => undefined,
  );

  const iterator: AsyncIterableIterator<BusMessage> = {
    next: () => queue.next() as Promise<IteratorResult<BusMessage>>,
    return: () => {
      stop();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]: () => iterator,
  };

  return {
    ready,
    get dropped() {
      return queue.dropped;
    },
    close: stop,
    [Symbol.asyncIterator]: () => iterator,
  };
}

function maxBufferedOf(options: SubscribeOptions): number {
  const value = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw invalidArgument("maxBuffered", `must be a whole number of at least 1 (default ${DEFAULT_MAX_BUFFERED}); got ${value}`);
  }
  return value;
}
