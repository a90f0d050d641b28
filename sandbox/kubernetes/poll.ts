import { setTimeout as sleep } from "node:timers/promises";

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 2000;

/**
 * Delays for polling the API with backoff (100 ms growing to 2 s) until `deadline`
 * (performance.now() time); yields once per attempt, the first at once. A slow poll is enough
 * here: a pod start takes seconds, and a poll cannot miss a state the way a dropped watch can.
 */
export async function* pollUntil(deadline: number, signal?: AbortSignal): AsyncGenerator<number> {
  let delay = FIRST_DELAY_MS;
  for (let attempt = 0; ; attempt += 1) {
    signal?.throwIfAborted();
    yield attempt;
    const left = deadline - performance.now();
    if (left <= 0) return;
    await sleep(Math.min(delay, left), undefined, signal ? { signal } : {});
    delay = Math.min(MAX_DELAY_MS, Math.round(delay * 1.6));
  }
}
