import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { EventSchema, type Event } from "../../gen/pushpals/v1/events_pb.js";
import type { Bus, SubscribeOptions } from "../../services/kernel/bus/bus.js";
import { createMemoryBus } from "../../services/kernel/bus/memory-bus.js";
import { subjects } from "../../services/kernel/bus/subjects.js";
import { silentLogger } from "../../services/kernel/log.js";
import { SessionHub, TICK, type HubItem, type HubSubscription } from "../../services/sessions/session-hub.js";

const SESSION = "ses_01JD0000000000000000000000";

function countingBus(): { bus: Bus; subscribed: () => number; open: () => number } {
  const inner = createMemoryBus();
  let subscribed = 0;
  let open = 0;
  const bus: Bus = {
    kind: inner.kind,
    publish: (subject, data) => inner.publish(subject, data),
    subscribe(subject: string, options?: SubscribeOptions) {
      subscribed++;
      open++;
      const subscription = inner.subscribe(subject, options);
      const close = subscription.close.bind(subscription);
      return Object.assign(subscription, { close: () => (open--, close()) });
    },
    close: () => inner.close(),
  };
  return { bus, subscribed: () => subscribed, open: () => open };
}

const event = (seq: number): Event => create(EventSchema, { sessionId: SESSION, seq: BigInt(seq) });
const publish = (bus: Bus, seq: number) => bus.publish(subjects.sessionEvents(SESSION), toBinary(EventSchema, event(seq)));

async function take(subscription: HubSubscription, count: number): Promise<HubItem[]> {
  const items: HubItem[] = [];
  const iterator = subscription[Symbol.asyncIterator]();
  while (items.length < count) {
    const next = await iterator.next();
    if (next.done) break;
    items.push(next.value);
  }
  return items;
}

describe("session hub", () => {
  it("serves a hundred followers of one session from one bus subscription, decoding each event once", async () => {
    const { bus, subscribed, open } = countingBus();
    const hub = new SessionHub(bus, silentLogger);
    const followers = Array.from({ length: 100 }, () => hub.subscribe(SESSION));
    await Promise.all(followers.map((f) => f.ready));
    for (let seq = 1; seq <= 3; seq++) publish(bus, seq);
    const received = await Promise.all(followers.map((f) => take(f, 3)));
    expect(subscribed()).toBe(1);
    for (const items of received) expect(items.map((i) => (i === TICK ? "tick" : Number(i.seq)))).toEqual([1, 2, 3]);
    // The decoded event is shared, not decoded per follower.
    expect(received[0]![0]).toBe(received[99]![0]);
    for (const f of followers) f.close();
    expect(open()).toBe(0);
    await bus.close();
  });

  it("counts an undecodable message as lost for every follower, and orders ticks behind buffered events", async () => {
    const { bus } = countingBus();
    const hub = new SessionHub(bus, silentLogger);
    const a = hub.subscribe(SESSION);
    const b = hub.subscribe(SESSION);
    await a.ready;
    publish(bus, 1);
    bus.publish(subjects.sessionEvents(SESSION), new Uint8Array([0xff, 0xff, 0xff]));
    await new Promise((resolve) => setImmediate(resolve)); // let the hub hand both on
    a.tick();
    publish(bus, 3);
    const items = await take(a, 3);
    expect(items.map((i) => (i === TICK ? "tick" : Number(i.seq)))).toEqual([1, "tick", 3]);
    expect(a.dropped).toBe(1);
    expect(b.dropped).toBe(1);
    a.close();
    b.close();
    await bus.close();
  });

  it("opens a fresh bus subscription for a session followed again after its last follower left", async () => {
    const { bus, subscribed } = countingBus();
    const hub = new SessionHub(bus, silentLogger);
    const first = hub.subscribe(SESSION);
    await first.ready;
    first.close();
    const second = hub.subscribe(SESSION);
    await second.ready;
    publish(bus, 7);
    expect((await take(second, 1)).map((i) => (i === TICK ? "tick" : Number(i.seq)))).toEqual([7]);
    expect(subscribed()).toBe(2);
    second.close();
    await bus.close();
  });
});
