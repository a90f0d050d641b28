import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { describe, expect, test } from "vitest";
import { ItemStatus, Priority, QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import type { Event } from "../../../gen/pushpals/v1/events_pb.js";
import { isId } from "../../../shared/ids.js";
import { allEvents, casesOf, claimOne, enqueueOn, expectCode, newSession, payloadFor } from "../fixtures.js";
import { testClock, type Harness } from "../harness.js";

export function enqueueClaimCases(h: Harness): void {
  describe("enqueue", () => {
    test("each queue mints its own ids and events; the event carries the item", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      const expected = [
        [QueueName.REQUESTS, "request", "requestEnqueued"],
        [QueueName.JOBS, "job", "jobEnqueued"],
        [QueueName.COMPLETIONS, "completion", "completionEnqueued"],
      ] as const;
      for (const [queue, kind, eventCase] of expected) {
        const { value, events } = await store.enqueue({
          queue,
          sessionId,
          priority: Priority.UNSPECIFIED,
          payload: payloadFor(queue),
          parentId: "req_parent",
        });
        const { item } = value;
        expect(value.existing).toBe(false);
        expect(isId(kind, item.id)).toBe(true);
        expect(item).toMatchObject({ queue, sessionId, status: ItemStatus.PENDING, priority: Priority.NORMAL, attempts: 0, maxAttempts: 3, parentId: "req_parent" });
        expect(timestampMs(item.enqueuedAt!)).toBe(clock.now());
        expect(timestampMs(item.availableAt!)).toBe(clock.now());
        expect(casesOf(events)).toEqual([eventCase]);
        expect(events[0]!.itemId).toBe(item.id);
        const snapshot = (events[0]!.payload.value as { item?: { id: string; payload?: unknown } }).item;
        expect(snapshot?.id).toBe(item.id);
        expect(snapshot?.payload).toEqual(payloadFor(queue));
      }
      expect((await store.getSession(sessionId))?.lastSeq).toBe(4n);
    });

    test("an item keeps the traceparent it was enqueued with, for its claimer to join the trace", async () => {
      const store = await h.open();
      const sessionId = await newSession(store);
      const traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
      const { value } = await store.enqueue({ queue: QueueName.JOBS, sessionId, priority: Priority.NORMAL, payload: payloadFor(QueueName.JOBS), traceParent });
      expect(value.item.traceParent).toBe(traceParent);
      const claimed = (await store.claim({ queue: QueueName.JOBS, workerId: "w1", leaseMs: 30_000 })).value;
      expect(claimed?.item).toMatchObject({ id: value.item.id, traceParent });
      const untraced = await store.enqueue({ queue: QueueName.JOBS, sessionId, priority: Priority.NORMAL, payload: payloadFor(QueueName.JOBS) });
      expect(untraced.value.item.traceParent).toBe("");
    });

    test("bad input is refused by field and writes nothing", async () => {
      const store = await h.open();
      const sessionId = await newSession(store);
      const base = { sessionId, priority: Priority.NORMAL };
      await expectCode(store.enqueue({ ...base, queue: QueueName.UNSPECIFIED, payload: payloadFor(QueueName.JOBS) }), Code.InvalidArgument, /^queue: /);
      await expectCode(store.enqueue({ ...base, queue: QueueName.JOBS, payload: payloadFor(QueueName.REQUESTS) }), Code.InvalidArgument, /^payload: .*taskExecuteV2/);
      await expectCode(store.enqueue({ ...base, queue: QueueName.JOBS, payload: payloadFor(QueueName.JOBS), maxAttempts: 101 }), Code.InvalidArgument, /^max_attempts: /);
      await expectCode(store.enqueue({ ...base, queue: QueueName.JOBS, payload: payloadFor(QueueName.JOBS), delayMs: -1 }), Code.InvalidArgument, /^delay: /);
      await expectCode(
        store.enqueue({ ...base, sessionId: "ses_01HZZZZZZZZZZZZZZZZZZZZZZZ", queue: QueueName.JOBS, payload: payloadFor(QueueName.JOBS) }),
        Code.NotFound,
        /session/,
      );
      expect(await store.listItems({ limit: 10 })).toEqual([]);
      expect((await store.getSession(sessionId))?.lastSeq).toBe(1n);
    });

    test("an idempotency key returns the existing item, with no event; keys are per queue", async () => {
      const store = await h.open();
      const sessionId = await newSession(store);
      const first = await store.enqueue({ queue: QueueName.JOBS, sessionId, priority: Priority.NORMAL, payload: payloadFor(QueueName.JOBS), idempotencyKey: "plan-7" });
      const again = await store.enqueue({ queue: QueueName.JOBS, sessionId, priority: Priority.INTERACTIVE, payload: payloadFor(QueueName.JOBS), idempotencyKey: "plan-7" });
      expect(again.value.existing).toBe(true);
      expect(again.value.item.id).toBe(first.value.item.id);
      expect(again.value.item.priority).toBe(Priority.NORMAL);
      expect(again.events).toEqual([]);
      const elsewhere = await store.enqueue({ queue: QueueName.REQUESTS, sessionId, priority: Priority.NORMAL, payload: payloadFor(QueueName.REQUESTS), idempotencyKey: "plan-7" });
      expect(elsewhere.value.existing).toBe(false);
      expect(await allEvents(store, sessionId)).toHaveLength(3);
    });
  });

  describe("claim", () => {
    test("interactive before normal before background, first in first out inside a band", async () => {
      const store = await h.open();
      const sessionId = await newSession(store);
      const order: Array<[string, Priority]> = [
        ["bg-1", Priority.BACKGROUND],
        ["normal-1", Priority.NORMAL],
        ["interactive-1", Priority.INTERACTIVE],
        ["normal-2", Priority.NORMAL],
        ["unspecified-is-normal", Priority.UNSPECIFIED],
        ["interactive-2", Priority.INTERACTIVE],
        ["bg-2", Priority.BACKGROUND],
      ];
      const ids = new Map<string, string>();
      for (const [label, priority] of order) {
        ids.set(await enqueueOn(store, sessionId, QueueName.REQUESTS, { priority, payload: payloadFor(QueueName.REQUESTS, label) }), label);
      }
      const claimed: string[] = [];
      for (let i = 0; i < order.length; i++) claimed.push(ids.get((await claimOne(store, QueueName.REQUESTS)).item.id)!);
      expect(claimed).toEqual(["interactive-1", "interactive-2", "normal-1", "normal-2", "unspecified-is-normal", "bg-1", "bg-2"]);
      const none = await store.claim({ queue: QueueName.REQUESTS, workerId: "w1", leaseMs: 1000 });
      expect(none).toEqual({ value: undefined, events: [] });
    });

    test("queues are separate", async () => {
      const store = await h.open();
      const sessionId = await newSession(store);
      await enqueueOn(store, sessionId, QueueName.JOBS);
      expect((await store.claim({ queue: QueueName.COMPLETIONS, workerId: "w1", leaseMs: 1000 })).value).toBeUndefined();
      expect((await store.claim({ queue: QueueName.JOBS, workerId: "w1", leaseMs: 1000 })).value).toBeDefined();
    });

    test("items not yet available are skipped until their time", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      const later = await enqueueOn(store, sessionId, QueueName.JOBS, { delayMs: 5000, priority: Priority.INTERACTIVE });
      const now = await enqueueOn(store, sessionId, QueueName.JOBS, { priority: Priority.BACKGROUND });
      expect((await claimOne(store, QueueName.JOBS)).item.id).toBe(now);
      expect((await store.claim({ queue: QueueName.JOBS, workerId: "w1", leaseMs: 1000 })).value).toBeUndefined();
      clock.advance(4999);
      expect((await store.claim({ queue: QueueName.JOBS, workerId: "w1", leaseMs: 1000 })).value).toBeUndefined();
      clock.advance(1);
      expect((await claimOne(store, QueueName.JOBS)).item.id).toBe(later);
    });

    test("a targeted item goes only to its worker and does not hold up the rest", async () => {
      const store = await h.open();
      const sessionId = await newSession(store);
      const forW2 = await enqueueOn(store, sessionId, QueueName.JOBS, { targetWorkerId: "w2" });
      const open = await enqueueOn(store, sessionId, QueueName.JOBS);
      expect((await claimOne(store, QueueName.JOBS, "w1")).item.id).toBe(open);
      expect((await store.claim({ queue: QueueName.JOBS, workerId: "w1", leaseMs: 1000 })).value).toBeUndefined();
      const claimed = await claimOne(store, QueueName.JOBS, "w2");
      expect(claimed.item.id).toBe(forW2);
      expect(claimed.item.targetWorkerId).toBe("w2");
    });

    test("a claim counts the attempt and hands out a fresh lease, recorded in a claimed event", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      const id = await enqueueOn(store, sessionId, QueueName.COMPLETIONS);
      clock.advance(2500);
      const { value, events } = await store.claim({ queue: QueueName.COMPLETIONS, workerId: "integrator-1", leaseMs: 60_000 });
      expect(value?.item).toMatchObject({ id, status: ItemStatus.CLAIMED, attempts: 1, claimedBy: "integrator-1" });
      expect(isId("lease", value!.leaseToken)).toBe(true);
      expect(value!.leaseExpiresAt).toBe(clock.now() + 60_000);
      expect(timestampMs(value!.item.leaseExpiresAt!)).toBe(clock.now() + 60_000);
      expect(timestampMs(value!.item.claimedAt!)).toBe(clock.now());
      expect(casesOf(events)).toEqual(["completionClaimed"]);
      const claimed = events[0] as Event;
      expect(claimed.itemId).toBe(id);
      expect(claimed.payload.value).toMatchObject({ workerId: "integrator-1", attempt: 1 });
      expect(timestampMs((claimed.payload.value as { leaseExpiresAt: Parameters<typeof timestampMs>[0] }).leaseExpiresAt)).toBe(clock.now() + 60_000);
    });

    test("claim refuses bad input by field", async () => {
      const store = await h.open();
      await expectCode(store.claim({ queue: QueueName.JOBS, workerId: "Not A Worker", leaseMs: 1000 }), Code.InvalidArgument, /^worker_id: /);
      await expectCode(store.claim({ queue: QueueName.UNSPECIFIED, workerId: "w1", leaseMs: 1000 }), Code.InvalidArgument, /^queue: /);
      await expectCode(store.claim({ queue: QueueName.JOBS, workerId: "w1", leaseMs: 0 }), Code.InvalidArgument, /^lease_duration: /);
    });
  });
}
