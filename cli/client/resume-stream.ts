import { sleep } from "../../services/kernel/time.js";
import { isUnreachable } from "./rpc-failure.js";

export interface ResumeOptions<T> {
  /** Where reading starts (the cursor passed to the first `open`). */
  from: bigint;
  /** The cursor after an item, when the item moves it. */
  cursorOf(item: T): bigint | undefined;
  /** Reopen when the server ends the stream (it does so when it shuts down); false for streams that end by design. */
  reopenOnEnd: boolean;
  signal?: AbortSignal;
  /** Told before each reconnect, so the person sees why output paused. */
  onReconnect?(attempt: number, delayMs: number): void;
  /** Consecutive failed reconnects before giving up with the last error. */
  maxAttempts?: number;
}

/**
 * A server stream that survives a server restart: it reopens from the last cursor
 * seen, with capped exponential backoff, and gives up after `maxAttempts` tries in a
 * row (the error then says the server is unreachable). The server's replay-then-live
 * contract makes the seam exact: nothing is missed and nothing repeats.
 */
export async function* resumeStream<T>(open: (after: bigint, signal: AbortSignal | undefined) => AsyncIterable<T>, options: ResumeOptions<T>): AsyncGenerator<T> {
  const maxAttempts = options.maxAttempts ?? 6;
  let cursor = options.from;
  let failures = 0;
  for (;;) {
    try {
      for await (const item of open(cursor, options.signal)) {
        failures = 0;
        cursor = options.cursorOf(item) ?? cursor;
        yield item;
      }
      if (!options.reopenOnEnd || options.signal?.aborted) return;
    } catch (error) {
      // Aborting is how the caller stops reading; it is not an error.
      if (options.signal?.aborted) return;
      if (!isUnreachable(error) || failures + 1 >= maxAttempts) throw error;
    }
    failures += 1;
    const delayMs = Math.min(500 * 2 ** (failures - 1), 8000);
    options.onReconnect?.(failures, delayMs);
    await sleep(delayMs, options.signal);
    if (options.signal?.aborted) return;
  }
}
