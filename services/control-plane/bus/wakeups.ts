import { setImmediate as nextMacrotask, setTimeout as delay } from "node:timers/promises";
import { invalidArgument } from "../../../shared/errors.js";
import type { Bus, Subscription } from "./bus.js";

export type Wakeup = "message" | "poll";

export interface WakeupOptions {
  /** The safety-net poll: the longest a claimer sleeps when no message comes (or one was lost). */
  pollMs: number;
  signal: AbortSignal;
}

/**
 * When a claimer should look for work: "poll" once at the start, then "message" as
 * soon as something is published on `subject`, or "poll" after `pollMs` without one.
 * Messages that arrive together, or while the claimer is busy, make one wake-up.
 * Ends when the signal aborts or the loop is left; the subscription and timer go too.
 *
 *   for await (const _ of wakeups(bus, subjects.queueEnqueued(QueueName.JOBS), { pollMs, signal })) {
 *     while (await claimOne()) {}
 *   }
 */
export async function* wakeups(bus: Bus, subject: string, options: WakeupOptions): AsyncGenerator<Wakeup, void, undefined> {
  const { pollMs, signal } = options;
  if (!Number.isFinite(pollMs) || pollMs <= 0) {
    throw invalidArgument("pollMs", `must be a positive number of milliseconds; got ${pollMs}`);
  }
  if (signal.aborted) return;
  // maxBuffered 1: only "something arrived" matters, never what or how many.
  const subscription = bus.subscribe(subject, { signal, maxBuffered: 1 });
  const doorbell = new Doorbell();
  const listening = ringOnEveryMessage(subscription, doorbell);
  try {
    // Subscribed before the first look, so nothing enqueued after it goes unnoticed.
    // Bounded by pollMs: with the bus unreachable, polling alone must still run.
    await readyWithin(subscription, pollMs);
    if (signal.aborted) return;
    yield "poll";
    for (;;) {
      const woke = await doorbell.wait(pollMs, signal);
      if (woke === "aborted") return;
      if (woke === "message") {
        // A burst read from one socket chunk lands within this macrotask: let it
        // finish landing so it makes one wake-up instead of two.
        await nextMacrotask();
        doorbell.silence();
      }
      yield woke;
    }
  } finally {
    subscription.close();
    await listening;
  }
}

async function ringOnEveryMessage(subscription: Subscription, doorbell: Doorbell): Promise<void> {
  for await (const _message of subscription) doorbell.ring();
}

async function readyWithin(subscription: Subscription, ms: number): Promise<void> {
  const timer = new AbortController();
  const timedOut = delay(ms, undefined, { signal: timer.signal }).catch(() => undefined);
  await Promise.race([subscription.ready, timedOut]);
  timer.abort();
}

/** Remembers that a message came; one pending ring however many came. */
class Doorbell {
  #rung = false;
  #answer: (() => void) | undefined;

  ring(): void {
    if (this.#answer) this.#answer();
    else this.#rung = true;
  }

  silence(): void {
    this.#rung = false;
  }

  wait(pollMs: number, signal: AbortSignal): Promise<Wakeup | "aborted"> {
    if (signal.aborted) return Promise.resolve("aborted");
    if (this.#rung) {
      this.#rung = false;
      return Promise.resolve("message");
    }
    return new Promise((resolve) => {
      const settle = (result: Wakeup | "aborted"): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.#answer = undefined;
        resolve(result);
      };
      const onAbort = (): void => settle("aborted");
      const timer = setTimeout(() => settle("poll"), pollMs);
      signal.addEventListener("abort", onAbort, { once: true });
      this.#answer = () => settle("message");
    });
  }
}
