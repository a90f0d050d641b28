import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Bus, Subscription } from "../../services/control-plane/bus/bus.js";
import { wakeups, type Wakeup } from "../../services/control-plane/bus/wakeups.js";
import { waitFor } from "../sandbox/fixtures.js";
import { busesUnderTest, bytes, take, uniqueRoot } from "./support/buses.js";

type Next = { value: Wakeup | undefined; done: boolean; ms: number };

async function timedNext(iterator: AsyncIterator<Wakeup>): Promise<Next> {
  const started = performance.now();
  const result = await iterator.next();
  return { value: result.done ? undefined : result.value, done: result.done === true, ms: performance.now() - started };
}

/** The real bus, counting subscriptions that were opened and not yet closed. */
function countingSubscriptions(inner: Bus): { bus: Bus; open: () => number } {
  let open = 0;
  const bus: Bus = {
    kind: inner.kind,
    publish: (subject, data) => inner.publish(subject, data),
    close: () => inner.close(),
    subscribe(subject, options) {
      const sub = inner.subscribe(subject, options);
      open++;
      let closed = false;
      const counted: Subscription = {
        ready: sub.ready,
        get dropped() {
          return sub.dropped;
        },
        close() {
          if (!closed) open--;
          closed = true;
          sub.close();
        },
        [Symbol.asyncIterator]: () => sub[Symbol.asyncIterator](),
      };
      return counted;
    },
  };
  return { bus, open: () => open };
}

const activeTimers = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;

describe.each(busesUnderTest)("wakeups on the $kind bus", (busUnderTest) => {
  let publisher: Bus;
  let subscriber: Bus;
  let closePair: () => Promise<void>;
  let subject: string;
  let controller: AbortController;

  beforeEach(async () => {
    ({ publisher, subscriber, close: closePair } = await busUnderTest.pair());
    subject = `${uniqueRoot()}.queue.enqueued`;
    controller = new AbortController();
  });
  afterEach(async () => {
    controller.abort();
    await closePair();
  });

  it("yields 'poll' at once, before any message", async () => {
    const iterator = wakeups(subscriber, subject, { pollMs: 60_000, signal: controller.signal });
    const first = await timedNext(iterator);
    expect(first.value).toBe("poll");
    expect(first.ms).toBeLessThan(500);
  });

  // With a 60 s safety-net poll, every "message" is the publish's doing; latency is bench/'s business.
  it("wakes with 'message' on each publish, long before the poll", async () => {
    const iterator = wakeups(subscriber, subject, { pollMs: 60_000, signal: controller.signal });
    expect((await iterator.next()).value).toBe("poll");
    for (let round = 0; round < 20; round++) {
      const pending = iterator.next();
      publisher.publish(subject, bytes(String(round)));
      expect((await pending).value).toBe("message");
    }
  });

  it("still wakes within pollMs when the message was lost", async () => {
    const work: string[] = [];
    const iterator = wakeups(subscriber, subject, { pollMs: 300, signal: controller.signal });
    expect((await iterator.next()).value).toBe("poll");
    // Work is enqueued but its bus message never arrives.
    work.push("job");
    const second = await timedNext(iterator);
    expect(second.value).toBe("poll");
    expect(second.ms).toBeGreaterThanOrEqual(280);
    expect(second.ms).toBeLessThan(1_500);
    expect(work).toEqual(["job"]);
    // And keeps polling.
    const third = await timedNext(iterator);
    expect(third.value).toBe("poll");
    expect(third.ms).toBeGreaterThanOrEqual(280);
  });

  // Over a real socket a burst published together may still land in more than one read (CI
  // saw it on a loaded machine): whatever lands while the first wake-up is being handled rings
  // the doorbell once more, so 50 messages make one or two wake-ups — never more — and then
  // nothing until the poll.
  it("coalesces a burst into at most two wake-ups: the first and whatever landed behind it", async () => {
    const iterator = wakeups(subscriber, subject, { pollMs: 400, signal: controller.signal });
    expect((await iterator.next()).value).toBe("poll");
    // A second subscription on the same connection tells when the whole burst has landed.
    const watcher = subscriber.subscribe(subject);
    await watcher.ready;
    const pending = iterator.next();
    for (let i = 0; i < 50; i++) publisher.publish(subject, bytes(String(i)));
    expect((await pending).value).toBe("message");
    await take(watcher, 50);
    watcher.close();
    // The claimer's copies travel in the same socket stream as the watcher's, at most a read behind.
    await sleep(50);
    let after = await timedNext(iterator);
    if (after.value === "message") {
      // The second ring, already waiting: it answers at once.
      expect(after.ms).toBeLessThan(380);
      after = await timedNext(iterator);
    }
    // A third wake-up for the same burst would be a "message" here.
    expect(after.value).toBe("poll");
    expect(after.ms).toBeGreaterThanOrEqual(380);
  });

  it("coalesces messages that arrive while the claimer is busy into one wake-up", async () => {
    const iterator = wakeups(subscriber, subject, { pollMs: 400, signal: controller.signal });
    expect((await iterator.next()).value).toBe("poll");
    // A second subscription on the same connection: once it has all ten, so has the claimer's.
    const watcher = subscriber.subscribe(subject);
    await watcher.ready;
    for (let i = 0; i < 10; i++) {
      publisher.publish(subject, bytes(String(i)));
      // Spread out, as a busy claimer would see them.
      await sleep(10);
    }
    await take(watcher, 10);
    watcher.close();
    const busyOnes = await timedNext(iterator);
    expect(busyOnes.value).toBe("message");
    // Already rung: it answers without waiting for the poll (400 ms).
    expect(busyOnes.ms).toBeLessThan(380);
    const after = await timedNext(iterator);
    expect(after.value).toBe("poll");
    expect(after.ms).toBeGreaterThanOrEqual(380);
  });

  it("ends when the signal aborts, leaving no subscription and no timer behind", async () => {
    const counted = countingSubscriptions(subscriber);
    const timersBefore = activeTimers();
    const iterator = wakeups(counted.bus, subject, { pollMs: 60_000, signal: controller.signal });
    expect((await iterator.next()).value).toBe("poll");
    expect(counted.open()).toBe(1);
    const pending = timedNext(iterator);
    await waitFor("the poll's timer to be armed", () => activeTimers() === timersBefore + 1, 5_000);
    controller.abort();
    const ended = await pending;
    expect(ended.done).toBe(true);
    expect(counted.open()).toBe(0);
    expect(activeTimers()).toBe(timersBefore);
    expect((await iterator.next()).done).toBe(true);
  });

  it("cleans up when the loop is left with break", async () => {
    const counted = countingSubscriptions(subscriber);
    const timersBefore = activeTimers();
    for await (const wakeup of wakeups(counted.bus, subject, { pollMs: 60_000, signal: controller.signal })) {
      expect(wakeup).toBe("poll");
      break;
    }
    expect(counted.open()).toBe(0);
    expect(activeTimers()).toBe(timersBefore);
  });

  it("yields nothing when the signal has already aborted", async () => {
    const counted = countingSubscriptions(subscriber);
    const seen: Wakeup[] = [];
    for await (const wakeup of wakeups(counted.bus, subject, { pollMs: 10, signal: AbortSignal.abort() })) seen.push(wakeup);
    expect(seen).toEqual([]);
    expect(counted.open()).toBe(0);
  });

  it("keeps polling when the bus closes under it", async () => {
    const iterator = wakeups(subscriber, subject, { pollMs: 100, signal: controller.signal });
    expect((await iterator.next()).value).toBe("poll");
    await subscriber.close();
    expect((await timedNext(iterator)).value).toBe("poll");
    expect((await timedNext(iterator)).value).toBe("poll");
  });

  it("rejects a pollMs that is not a positive number, naming it", async () => {
    const iterator = wakeups(subscriber, subject, { pollMs: 0, signal: controller.signal });
    const error = await iterator.next().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    expect((error as ConnectError).rawMessage).toMatch(/^pollMs: /);
  });
});
