import { create, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EventSchema, JobProgressSchema } from "../../gen/pushpals/v1/events_pb.js";
import type { Bus, SubscribeOptions } from "../../services/control-plane/bus/bus.js";
import { encodeNotice, publishEvents } from "../../services/control-plane/bus/event-notices.js";
import { createMemoryBus } from "../../services/control-plane/bus/memory-bus.js";
import { subjects } from "../../services/control-plane/bus/subjects.js";
import { silentLogger } from "../../shared/log.js";
import { openSqliteStore } from "../../services/control-plane/store/open-store.js";
import type { EventDraft, Store } from "../../services/control-plane/store/store.js";
import { committer } from "../../services/control-plane/commit.js";
import { SessionHub, TICK, type EventLog, type HubItem, type HubSubscription } from "../../services/control-plane/session-hub.js";
import { DEFAULT_OPTIONS } from "../store/harness.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { JobStage } from "../../gen/pushpals/v1/kinds_pb.js";

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

/** The store's session log, with its reads counted (and, when asked, failed). */
function countedLog(store: Store, options: { failReads?: number; failGetSession?: boolean } = {}) {
  const counts = { getSession: 0, listEvents: 0 };
  let failReads = options.failReads ?? 0;
  const log: EventLog = {
    getSession: (sessionId) => {
      counts.getSession++;
      if (options.failGetSession) return Promise.reject(new Error("database unreachable"));
      return store.getSession(sessionId);
    },
    listEvents: (input) => {
      counts.listEvents++;
      if (failReads > 0) return (failReads--, Promise.reject(new Error("database unreachable")));
      return store.listEvents(input);
    },
  };
  return { log, counts };
}

const progress = (detail: string): EventDraft => ({ payload: { case: "jobProgress", value: create(JobProgressSchema, { stage: JobStage.RUN, detail }) } });
const seqs = (items: HubItem[]) => items.map((item) => (item === TICK ? "tick" : Number(item.seq)));
const stages = (items: HubItem[]) => items.map((item) => (item === TICK ? "tick" : item.payload.case === "jobProgress" ? item.payload.value.detail : `(${item.payload.case})`));

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
  let dir: TempDir;
  let store: Store;
  beforeAll(async () => {
    dir = await tempDir("pushpals-hub-");
    store = await openSqliteStore(`${dir.path}/hub.db`, DEFAULT_OPTIONS);
  });
  afterAll(async () => {
    await store?.close();
    await dir?.remove();
  });

  async function newSession(bus: Bus): Promise<string> {
    return (await committer(bus)(store.createSession({ title: "hub" }))).session.id;
  }

  it("serves a hundred followers of one session from one bus subscription and one store read per commit", async () => {
    const { bus, subscribed, open } = countingBus();
    const sessionId = await newSession(bus);
    const { log, counts } = countedLog(store);
    const hub = new SessionHub(bus, log, silentLogger);
    const followers = Array.from({ length: 100 }, () => hub.subscribe(sessionId));
    await Promise.all(followers.map((f) => f.ready));
    await committer(bus)(store.appendEvents(sessionId, [progress("a"), progress("b"), progress("c")]));
    const received = await Promise.all(followers.map((f) => take(f, 3)));
    expect(subscribed()).toBe(1);
    for (const items of received) expect(seqs(items)).toEqual([2, 3, 4]);
    // One read for the whole commit and every follower, and the events it read are shared.
    expect(counts).toEqual({ getSession: 1, listEvents: 1 });
    expect(received[0]![0]).toBe(received[99]![0]);
    for (const f of followers) f.close();
    expect(open()).toBe(0);
    await bus.close();
  });

  it("yields only stored events: forged events and garbage cost no read, a forged notice one read that yields nothing", async () => {
    const { bus } = countingBus();
    const sessionId = await newSession(bus);
    const { log, counts } = countedLog(store);
    const hub = new SessionHub(bus, log, silentLogger);
    const follower = hub.subscribe(sessionId);
    await follower.ready;
    const subject = subjects.sessionEvents(sessionId);
    const forged = create(EventSchema, { sessionId, seq: 2n, payload: { case: "jobProgress", value: { stage: JobStage.RUN, detail: "forged" } } });
    bus.publish(subject, toBinary(EventSchema, forged));
    bus.publish(subject, new Uint8Array([0xff, 0xff, 0xff]));
    bus.publish(subject, encodeNotice({ sessionId, seq: 1n })); // read already
    await committer(bus)(store.appendEvents(sessionId, [progress("real 1")]));
    expect(stages(await take(follower, 1))).toEqual(["real 1"]);
    expect(counts.listEvents).toBe(1);

    bus.publish(subject, encodeNotice({ sessionId, seq: 99n }));
    await committer(bus)(store.appendEvents(sessionId, [progress("real 2")]));
    expect(stages(await take(follower, 1))).toEqual(["real 2"]);
    // Nothing else was handed on: the next item is the tick. The forged notice cost at most its one read.
    follower.tick();
    expect(stages(await take(follower, 1))).toEqual(["tick"]);
    expect(counts.listEvents).toBeLessThanOrEqual(3);
    expect(follower.dropped).toBe(0);
    follower.close();
    await bus.close();
  });

  it("needs no store read for what this process committed, and reads what an offer could not continue", async () => {
    const { bus } = countingBus();
    const sessionId = await newSession(bus);
    const { log, counts } = countedLog(store);
    const hub = new SessionHub(bus, log, silentLogger);
    const follower = hub.subscribe(sessionId);
    await follower.ready;
    const local = committer(bus, (events) => hub.offerCommitted(events));
    await local(store.appendEvents(sessionId, [progress("a"), progress("b")]));
    expect(seqs(await take(follower, 2))).toEqual([2, 3]);
    expect(counts.listEvents).toBe(0);

    // Two commits whose answers come back in the other order (concurrent transactions on Postgres).
    const fourth = await store.appendEvents(sessionId, [progress("c")]);
    const fifth = await store.appendEvents(sessionId, [progress("d")]);
    hub.offerCommitted(fifth.events); // does not continue seq 3: left to the store read
    hub.offerCommitted(fourth.events);
    publishEvents(bus, fifth.events);
    publishEvents(bus, fourth.events);
    expect(seqs(await take(follower, 2))).toEqual([4, 5]);
    expect(counts.listEvents).toBe(1);
    follower.close();
    await bus.close();
  });

  it("orders a tick behind the events already handed on", async () => {
    const { bus } = countingBus();
    const sessionId = await newSession(bus);
    const hub = new SessionHub(bus, store, silentLogger);
    const [a, b] = [hub.subscribe(sessionId), hub.subscribe(sessionId)];
    await a.ready;
    await committer(bus)(store.appendEvents(sessionId, [progress("1")]));
    // Every listener is handed an event at once: once b has it, a has it queued.
    await take(b, 1);
    a.tick();
    await committer(bus)(store.appendEvents(sessionId, [progress("2")]));
    expect(seqs(await take(a, 3))).toEqual([2, "tick", 3]);
    a.close();
    b.close();
    await bus.close();
  });

  it("tries a failed store read again and then delivers everything, in order", async () => {
    const { bus } = countingBus();
    const sessionId = await newSession(bus);
    const { log, counts } = countedLog(store, { failReads: 2 });
    const hub = new SessionHub(bus, log, silentLogger);
    const follower = hub.subscribe(sessionId);
    await follower.ready;
    await committer(bus)(store.appendEvents(sessionId, [progress("a"), progress("b")]));
    expect(seqs(await take(follower, 2))).toEqual([2, 3]);
    expect(counts.listEvents).toBe(3);
    follower.close();
    await bus.close();
  });

  it("gives up a read that keeps failing after five tries, telling the followers they lost events, and reads again on the next notice", async () => {
    const { bus } = countingBus();
    const sessionId = await newSession(bus);
    const { log, counts } = countedLog(store, { failReads: 5 });
    const hub = new SessionHub(bus, log, silentLogger);
    const follower = hub.subscribe(sessionId);
    await follower.ready;
    const commit = committer(bus);
    await commit(store.appendEvents(sessionId, [progress("unread")]));
    await vi.waitFor(() => expect(follower.dropped).toBe(1), { timeout: 10_000 });
    expect(counts.listEvents).toBe(5);
    // The cursor stayed: the next notice's read brings both, in order.
    await commit(store.appendEvents(sessionId, [progress("next")]));
    expect(seqs(await take(follower, 2))).toEqual([2, 3]);
    follower.close();
    await bus.close();
  });

  it("rejects ready when the session's log cannot be read, and starts afresh for the next follower", async () => {
    const { bus, subscribed } = countingBus();
    const sessionId = await newSession(bus);
    const hub = new SessionHub(bus, countedLog(store, { failGetSession: true }).log, silentLogger);
    const first = hub.subscribe(sessionId);
    await expect(first.ready).rejects.toMatchObject({ code: Code.Unavailable, rawMessage: expect.stringContaining("database unreachable") });
    first.close();
    const second = hub.subscribe(sessionId);
    await expect(second.ready).rejects.toThrow("database unreachable");
    expect(subscribed()).toBe(2);
    second.close();
    await bus.close();
  });

  it("opens a fresh bus subscription for a session followed again after its last follower left", async () => {
    const { bus, subscribed } = countingBus();
    const sessionId = await newSession(bus);
    const hub = new SessionHub(bus, store, silentLogger);
    const first = hub.subscribe(sessionId);
    await first.ready;
    first.close();
    const second = hub.subscribe(sessionId);
    await second.ready;
    await committer(bus)(store.appendEvents(sessionId, [progress("again")]));
    expect(seqs(await take(second, 1))).toEqual([2]);
    expect(subscribed()).toBe(2);
    second.close();
    await bus.close();
  });
});
