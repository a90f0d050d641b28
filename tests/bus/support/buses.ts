import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Bus, BusMessage, Subscription } from "../../../services/control-plane/bus/bus.js";
import { openBus } from "../../../services/control-plane/bus/open-bus.js";

export const SHARED_NATS_URL = process.env.PUSHPALS_TEST_NATS_URL ?? "nats://127.0.0.1:4222";

export interface BusUnderTest {
  kind: "memory" | "nats";
  /**
   * A publishing and a subscribing side: the same bus in memory, two separate
   * connections on NATS (so the server really routes between clients).
   */
  pair(): Promise<{ publisher: Bus; subscriber: Bus; close(): Promise<void> }>;
}

export const busesUnderTest: BusUnderTest[] = [
  {
    kind: "memory",
    async pair() {
      const bus = await openBus({ natsUrl: "", name: "bus-test" });
      return { publisher: bus, subscriber: bus, close: () => bus.close() };
    },
  },
  {
    kind: "nats",
    async pair() {
      const publisher = await openBus({ natsUrl: SHARED_NATS_URL, name: "bus-test-publisher" });
      const subscriber = await openBus({ natsUrl: SHARED_NATS_URL, name: "bus-test-subscriber" });
      return { publisher, subscriber, close: async () => void (await Promise.all([publisher.close(), subscriber.close()])) };
    },
  },
];

/** A root token of this test's own: the shared NATS server carries other suites' traffic too. */
export function uniqueRoot(): string {
  return `t${randomBytes(6).toString("hex")}`;
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (message: BusMessage): string => new TextDecoder().decode(message.data);

/** The next `count` messages, failing (with what did arrive) if they do not within `timeoutMs`. */
export async function take(subscription: Subscription, count: number, timeoutMs = 5_000): Promise<BusMessage[]> {
  const iterator = subscription[Symbol.asyncIterator]();
  const received: BusMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  while (received.length < count) {
    const timer = new AbortController();
    const next = await Promise.race([iterator.next(), sleep(Math.max(0, deadline - Date.now()), "timeout" as const, { signal: timer.signal }).catch(() => "aborted" as const)]);
    timer.abort();
    if (next === "timeout" || next === "aborted") {
      throw new Error(`expected ${count} messages within ${timeoutMs} ms, got ${received.length}: ${received.map(text).join(", ")}`);
    }
    if (next.done) throw new Error(`subscription ended after ${received.length} of ${count} messages`);
    received.push(next.value);
  }
  return received;
}

/** Whether the iteration ends (rather than yields or hangs) within `timeoutMs`. */
export async function endsWithin(subscription: Subscription, timeoutMs: number): Promise<boolean> {
  const timer = new AbortController();
  const outcome = await Promise.race([
    subscription[Symbol.asyncIterator]()
      .next()
      .then((r) => (r.done ? "ended" : "yielded")),
    sleep(timeoutMs, "hung" as const, { signal: timer.signal }).catch(() => "hung" as const),
  ]);
  timer.abort();
  return outcome === "ended";
}
