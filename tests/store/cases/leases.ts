import { create } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { describe, expect, test } from "vitest";
import { ItemStatus, QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import { ItemResultSchema } from "../../../gen/pushpals/v1/items_pb.js";
import { leaseLostDetail } from "../../../shared/errors.js";
import { durationMs } from "../../../shared/time.js";
import { allEvents, casesOf, claimOne, enqueueOn, expectCode, newSession } from "../fixtures.js";
import { testClock, type Harness } from "../harness.js";

const jobResult = create(ItemResultSchema, { kind: { case: "job", value: { branch: "agent/w1/x", sha: "abc123", summary: "done" } } });

export function leaseCases(h: Harness): void {
  describe("leases", () => {
    test("every lost lease carries a LeaseLost detail naming the item, its status now and its holder", async () => {
      const store = await h.open();
      const sessionId = await newSession(store);
      const id = await enqueueOn(store, sessionId, QueueName.JOBS);
      const { leaseToken } = await claimOne(store, QueueName.JOBS, "w1", 10_000);
      const held = [
        await expectCode(store.renewLease({ itemId: id, leaseToken: "lse_wrong", leaseMs: 10_000 }), Code.FailedPrecondition),
        await expectCode(store.complete({ itemId: id, leaseToken: "lse_wrong" }), Code.FailedPrecondition),
        await expectCode(store.fail({ itemId: id, leaseToken: "lse_wrong", error: "x", mode: 0 }), Code.FailedPrecondition),
        await expectCode(store.appendJobLogs({ jobId: id, leaseToken: "lse_wrong", lines: [] }), Code.FailedPrecondition),
      ];
      for (const error of held) expect(leaseLostDetail(error)).toMatchObject({ itemId: id, status: ItemStatus.CLAIMED, heldBy: "w1" });
      await store.complete({ itemId: id, leaseToken });
      const finished = await expectCode(store.complete({ itemId: id, leaseToken }), Code.FailedPrecondition);
      expect(leaseLostDetail(finished)).toMatchObject({ itemId: id, status: ItemStatus.COMPLETED, heldBy: "" });
      // A FailedPrecondition that is not about a lease carries no such detail.
      expect(leaseLostDetail(await expectCode(store.cancel({ itemId: id, reason: "late" }), Code.FailedPrecondition))).toBeUndefined();
    });

    test("renewLease extends a held lease; a wrong token or a lost item is FailedPrecondition", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      const id = await enqueueOn(store, sessionId, QueueName.JOBS);
      const { leaseToken } = await claimOne(store, QueueName.JOBS, "w1", 10_000);
      clock.advance(8000);
      expect(await store.renewLease({ itemId: id, leaseToken, leaseMs: 10_000 })).toEqual({ leaseExpiresAt: clock.now() + 10_000, cancelRequested: false });
      expect(timestampMs((await store.getItem(id))!.leaseExpiresAt!)).toBe(clock.now() + 10_000);
      await expectCode(
        store.renewLease({ itemId: id, leaseToken: "lse_wrong", leaseMs: 10_000 }),
        Code.FailedPrecondition,
        /lease is lost.*held under another lease.*stop working on it without committing/,
      );
      await expectCode(store.renewLease({ itemId: id, leaseToken: "", leaseMs: 10_000 }), Code.FailedPrecondition, /lease is lost/);
      await expectCode(store.renewLease({ itemId: "job_01HZZZZZZZZZZZZZZZZZZZZZZZ", leaseToken, leaseMs: 10_000 }), Code.NotFound);
      await store.complete({ itemId: id, leaseToken });
      await expectCode(store.renewLease({ itemId: id, leaseToken, leaseMs: 10_000 }), Code.FailedPrecondition, /lease is lost because it is completed/);
    });

    test("an expired lease nobody has reaped yet still holds and can be renewed", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      const id = await enqueueOn(store, sessionId, QueueName.JOBS);
      const { leaseToken } = await claimOne(store, QueueName.JOBS, "w1", 1000);
      clock.advance(1500);
      expect((await store.renewLease({ itemId: id, leaseToken, leaseMs: 1000 })).leaseExpiresAt).toBe(clock.now() + 1000);
      expect((await store.reapExpiredLeases()).value).toBe(0);
      expect((await store.getItem(id))?.status).toBe(ItemStatus.CLAIMED);
    });

    test("complete stores the result and run time; a wrong or stale token changes nothing", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      const id = await enqueueOn(store, sessionId, QueueName.JOBS);
      const { leaseToken } = await claimOne(store, QueueName.JOBS);
      clock.advance(4200);
      const eventsBefore = (await allEvents(store, sessionId)).length;
      await expectCode(store.complete({ itemId: id, leaseToken: "lse_wrong", result: jobResult }), Code.FailedPrecondition, /cannot complete job_/);
      expect((await store.getItem(id))?.status).toBe(ItemStatus.CLAIMED);
      expect(await allEvents(store, sessionId)).toHaveLength(eventsBefore);

      const { value, events } = await store.complete({ itemId: id, leaseToken, result: jobResult });
      expect(value).toMatchObject({ status: ItemStatus.COMPLETED, result: jobResult });
      expect(timestampMs(value.finishedAt!)).toBe(clock.now());
      expect(value.leaseExpiresAt).toBeUndefined();
      expect(casesOf(events)).toEqual(["jobCompleted"]);
      const completed = events[0]!.payload.value as { result: unknown; runTime: Parameters<typeof durationMs>[0] };
      expect(completed.result).toEqual(jobResult);
      expect(durationMs(completed.runTime)).toBe(4200);
      expect((await store.getItem(id))?.result).toEqual(jobResult);
      await expectCode(store.complete({ itemId: id, leaseToken }), Code.FailedPrecondition, /lease is lost because it is completed/);
    });

    test("complete refuses a result of another queue's kind", async () => {
      const store = await h.open();
      const sessionId = await newSession(store);
      const id = await enqueueOn(store, sessionId, QueueName.REQUESTS);
      const { leaseToken } = await claimOne(store, QueueName.REQUESTS);
      await expectCode(store.complete({ itemId: id, leaseToken, result: jobResult }), Code.InvalidArgument, /^result: /);
      expect((await store.getItem(id))?.status).toBe(ItemStatus.CLAIMED);
    });

    test("reapExpiredLeases puts an expired item back with the attempt spent and backoff", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      const id = await enqueueOn(store, sessionId, QueueName.JOBS);
      const held = await enqueueOn(store, sessionId, QueueName.JOBS);
      const { leaseToken } = await claimOne(store, QueueName.JOBS, "w1", 1000);
      await claimOne(store, QueueName.JOBS, "w2", 5000);
      clock.advance(1000);
      expect((await store.reapExpiredLeases()).value).toBe(1); // expiry is inclusive; w2's lease still runs
      const item = await store.getItem(id);
      expect(item).toMatchObject({ status: ItemStatus.PENDING, attempts: 1, claimedBy: "w1" });
      expect(item?.lastError).toMatch(/lease expired/);
      expect(timestampMs(item!.availableAt!)).toBe(clock.now() + 1000);
      expect((await store.getItem(held))?.status).toBe(ItemStatus.CLAIMED);
      const events = await store.listEvents({ sessionId, afterSeq: 0n, limit: 100, itemId: id });
      expect(casesOf(events)).toEqual(["jobEnqueued", "jobClaimed", "jobRequeued"]);
      expect(events[2]!.payload.value).toMatchObject({ reason: "lease expired", attempt: 1 });
      // The old holder has lost it.
      await expectCode(store.complete({ itemId: id, leaseToken }), Code.FailedPrecondition, /lease is lost because it is pending/);
      expect((await store.reapExpiredLeases()).value).toBe(0);
    });

    test("each claim first reaps its queue's expired leases", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      const id = await enqueueOn(store, sessionId, QueueName.JOBS);
      await claimOne(store, QueueName.JOBS, "w1", 1000);
      clock.advance(1000 + 1000); // lease, then the first backoff
      const { value, events } = await store.claim({ queue: QueueName.JOBS, workerId: "w2", leaseMs: 1000 });
      expect(value?.item).toMatchObject({ id, attempts: 2, claimedBy: "w2" });
      expect(casesOf(events)).toEqual(["jobRequeued", "jobClaimed"]);
    });

    test("an expired lease with no attempts left dead-letters the item", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      const id = await enqueueOn(store, sessionId, QueueName.JOBS, { maxAttempts: 1 });
      await claimOne(store, QueueName.JOBS, "w1", 1000);
      clock.advance(1001);
      const { value, events } = await store.reapExpiredLeases();
      expect(value).toBe(1);
      expect(casesOf(events)).toEqual(["jobDeadLettered"]);
      expect(events[0]!.payload.value).toMatchObject({ attempts: 1 });
      const item = await store.getItem(id);
      expect(item).toMatchObject({ status: ItemStatus.DEAD_LETTER, attempts: 1 });
      expect(item?.lastError).toMatch(/lease expired/);
      expect(timestampMs(item!.finishedAt!)).toBe(clock.now());
    });

    test("reaping covers every queue and session in one sweep", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const [s1, s2] = [await newSession(store), await newSession(store)];
      await enqueueOn(store, s1, QueueName.JOBS);
      await enqueueOn(store, s2, QueueName.REQUESTS);
      await claimOne(store, QueueName.JOBS, "w1", 1000);
      await claimOne(store, QueueName.REQUESTS, "w1", 1000);
      clock.advance(2000);
      const { value, events } = await store.reapExpiredLeases();
      expect(value).toBe(2);
      expect(new Set(events.map((e) => e.sessionId))).toEqual(new Set([s1, s2]));
      expect(events.every((e) => e.seq === 4n)).toBe(true);
    });
  });
}
