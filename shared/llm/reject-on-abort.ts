/**
 * Settles with `promise`, or rejects the moment `signal` aborts. The `openai` client stops a
 * request in flight on abort but sits out its backoff sleep between retries (up to 8 s) first;
 * this makes a cancel take effect at once. The abandoned promise settles later, unobserved.
 */
export function rejectOnAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
