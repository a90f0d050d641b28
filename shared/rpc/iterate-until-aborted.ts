/**
 * Iterates `source` until it ends or `signal` aborts — also while waiting for the
 * next item, which for a client or bidi stream may never come. Lets streaming
 * handlers end cleanly on shutdown instead of holding the connection open.
 */
export async function* iterateUntilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T, void, undefined> {
  if (signal.aborted) return;
  const iterator = source[Symbol.asyncIterator]();
  const aborted = new Promise<"aborted">((resolve) => signal.addEventListener("abort", () => resolve("aborted"), { once: true }));
  let finished = false;
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next === "aborted") return;
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    // A pending next() keeps the source busy; ask it to stop without waiting on it.
    if (!finished) void iterator.return?.()?.catch(() => undefined);
  }
}
