/**
 * A signal that aborts after `ms` or as soon as any of `signals` does; `clear()` stops the timer
 * and lets go of the parents (call it when the work is done, so long-lived signals keep no
 * listener per call).
 *
 * Why not `AbortSignal.any([signal, AbortSignal.timeout(ms)])`: on Node 20 a garbage collection
 * while it waits drops the timeout signal and the composite never fires (nodejs/node#57736);
 * a long-poll claim then outlived every deadline on an idle server. A plain setTimeout owned by
 * our own AbortController is held by the timer list and cannot be collected.
 */
export interface Deadline {
  readonly signal: AbortSignal;
  /** True when the time ran out (not a parent's abort). */
  timedOut(): boolean;
  clear(): void;
}

export function deadline(ms: number, ...signals: (AbortSignal | undefined)[]): Deadline {
  const controller = new AbortController();
  let expired = false;
  const parents = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  const onParentAbort = (event: Event): void => abort((event.target as AbortSignal).reason);
  const timer = setTimeout(
    () => {
      expired = true;
      abort(new DOMException(`the operation timed out after ${ms} ms`, "TimeoutError"));
    },
    Math.max(0, ms),
  );
  // Like AbortSignal.timeout: a pending deadline alone does not keep the process alive.
  timer.unref();
  function clear(): void {
    clearTimeout(timer);
    for (const parent of parents) parent.removeEventListener("abort", onParentAbort);
  }
  function abort(reason: unknown): void {
    clear();
    controller.abort(reason);
  }
  const already = parents.find((parent) => parent.aborted);
  if (already) abort(already.reason);
  else for (const parent of parents) parent.addEventListener("abort", onParentAbort, { once: true });
  return { signal: controller.signal, timedOut: () => expired, clear };
}
