import { Code } from "@connectrpc/connect";
import { isConnectCode } from "../../shared/errors.js";
import { sleep } from "../../shared/time.js";

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
 * contract makes the seam exact: nothing is missed and nothing repeats. Aborting
 * `signal` ends it quietly.
 */
export async function* resumeStream<T>(open: (after: bigint, signal: AbortSignal) => AsyncIterable<T>, options: ResumeOptions<T>): AsyncGenerator<T> {
  const maxAttempts = options.maxAttempts ?? 6;
  // Our own signal too, so a consumer that stops reading early (break, return) also ends
  // the call on the wire; an open HTTP/2 stream would otherwise keep the process alive.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  let cursor = options.from;
  let failures = 0;
  try {
    for (;;) {
      try {
        for await (const item of open(cursor, signal)) {
          failures = 0;
          cursor = options.cursorOf(item) ?? cursor;
          yield item;
        }
        if (!options.reopenOnEnd || signal.aborted) return;
      } catch (error) {
        if (signal.aborted) return;
        // Unavailable is the transient kind: nothing listening, or a server shutting down.
        if (!isConnectCode(error, Code.Unavailable) || failures + 1 >= maxAttempts) throw error;
      }
      failures += 1;
      const delayMs = Math.min(500 * 2 ** (failures - 1), 8000);
      options.onReconnect?.(failures, delayMs);
      await sleep(delayMs, signal);
      if (signal.aborted) return;
    }
  } finally {
    stop.abort();
  }
}
