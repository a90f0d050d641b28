import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { describe, expect, test } from "vitest";
import { ItemStatus, QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import { FailMode } from "../../../gen/pushpals/v1/queues_pb.js";
import { allEvents, casesOf, claimOne, enqueueOn, expectCode, newSession } from "../fixtures.js";
import { testClock, type Harness } from "../harness.js";

export function failCancelCases(h: Harness): void {
  describe("fail", () => {
    test("RETRY backs off base·2^(attempt-1), capped, then dead-letters keeping the error", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now, backoffBaseMs: 1000, backoffMaxMs: 3000 });
      const sessionId = await newSession(store);
      const id = await enqueueOn(store, sessionId, QueueName.JOBS, { maxAttempts: 4 });
      const delays: number[] = [];
      for (const mode of [FailMode.RETRY, FailMode.UNSPECIFIED, FailMode.RETRY]) {
        const { leaseToken } = await claimOne(store, QueueName.JOBS);
        const { value, events } = await store.fail({ itemId: id, leaseToken, error: "tests failed", mode });
        expect(value.status).toBe(ItemStatus.PENDING);
        expect(value.lastError).toBe("tests failed");
        expect(casesOf(events)).toEqual(["jobRequeued"]);
        expect(events[0]!.payload.value).toMatchObject({ reason: "attempt failed", error: "tests failed", attempt: value.attempts });
        delays.push(timestampMs(value.availableAt!) - clock.now());
        clock.set(timestampMs(value.availableAt!));
      }
      expect(delays).toEqual([1000, 2000, 3000]);
      const { leaseToken } = await claimOne(store, QueueName.JOBS);
      const { value, events } = await store.fail({ itemId: id, leaseToken, error: "still failing", mode: FailMode.RETRY });
      expect(value).toMatchObject({ status: ItemStatus.DEAD_LETTER, attempts: 4, lastError: "still failing" });
      expect(casesOf(events)).toEqual(["jobDeadLettered"]);
      expect(events[0]!.payload.value).toMatchObject({ lastError: "still failing", attempts: 4 });
    });

    test("FINAL fails for good", async () => {
      const store = await h.open();
      const sessionId = await newSession(store);
      const id = await enqueueOn(store, sessionId, QueueName.REQUESTS, { maxAttempts: 5 });
      const { leaseToken } = await claimOne(store, QueueName.REQUESTS);
      const { value, events } = await store.fail({ itemId: id, leaseToken, error: "plan rejected", mode: FailMode.FINAL });
      expect(value).toMatchObject({ status: ItemStatus.FAILED, lastError: "plan rejected" });
      expect(value.finishedAt).toBeDefined();
      expect(casesOf(events)).toEqual(["requestFailed"]);
      expect(events[0]!.payload.value).toMatchObject({ error: "plan rejected", attempt: 1 });
      expect((await store.claim({ queue: QueueName.REQUESTS, workerId: "w1", leaseMs: 1000 })).value).toBeUndefined();
    });

    test("CONFLICTED is for completions only, and records the files and the repair job", async () => {
      const store = await h.open();
      const sessionId = await newSession(store);
      const jobId = await enqueueOn(store, sessionId, QueueName.JOBS);
      const job = await claimOne(store, QueueName.JOBS);
      await expectCode(
        store.fail({ itemId: jobId, leaseToken: job.leaseToken, error: "x", mode: FailMode.CONFLICTED }),
        Code.InvalidArgument,
        /^mode: FAIL_MODE_CONFLICTED applies to completions only/,
      );
      expect((await store.getItem(jobId))?.status).toBe(ItemStatus.CLAIMED);

      const completionId = await enqueueOn(store, sessionId, QueueName.COMPLETIONS);
      const completion = await claimOne(store, QueueName.COMPLETIONS);
      const { value, events } = await store.fail({
        itemId: completionId,
        leaseToken: completion.leaseToken,
        error: "merge conflict",
        mode: FailMode.CONFLICTED,
        conflictingFiles: ["src/a.ts", "src/b.ts"],
        repairJobId: "job_repair",
      });
      expect(value).toMatchObject({ status: ItemStatus.CONFLICTED, lastError: "merge conflict" });
      expect(casesOf(events)).toEqual(["completionConflicted"]);
      expect(events[0]!.payload.value).toMatchObject({ error: "merge conflict", conflictingFiles: ["src/a.ts", "src/b.ts"], repairJobId: "job_repair" });
    });

    test("a wrong or stale token changes nothing", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      const id = await enqueueOn(store, sessionId, QueueName.JOBS);
      const first = await claimOne(store, QueueName.JOBS, "w1", 1000);
      clock.advance(5000);
      await store.reapExpiredLeases();
      clock.advance(1000); // the backoff
      const second = await claimOne(store, QueueName.JOBS, "w2", 10_000);
      const before = await allEvents(store, sessionId);
      await expectCode(
        store.fail({ itemId: id, leaseToken: first.leaseToken, error: "late", mode: FailMode.FINAL }),
        Code.FailedPrecondition,
        /held under another lease \(by w2\)/,
      );
      await expectCode(store.fail({ itemId: "job_01HZZZZZZZZZZZZZZZZZZZZZZZ", leaseToken: first.leaseToken, error: "x", mode: FailMode.FINAL }), Code.NotFound);
      expect(await store.getItem(id)).toMatchObject({ status: ItemStatus.CLAIMED, claimedBy: "w2", attempts: 2 });
      expect(await allEvents(store, sessionId)).toHaveLength(before.length);
      expect((await store.complete({ itemId: id, leaseToken: second.leaseToken })).value.status).toBe(ItemStatus.COMPLETED);
    });
  });

  describe("cancel", () => {
    test("a pending item is cancelled at once", async () => {
      const store = await h.open();
      const sessionId = await newSession(store);
      const id = await enqueueOn(store, sessionId, QueueName.JOBS);
      const { value, events } = await store.cancel({ itemId: id, reason: "changed my mind" });
      expect(value.status).toBe(ItemStatus.CANCELLED);
      expect(value.finishedAt).toBeDefined();
      expect(casesOf(events)).toEqual(["jobCancelled"]);
      expect(events[0]!.payload.value).toMatchObject({ reason: "changed my mind" });
      expect((await store.claim({ queue: QueueName.JOBS, workerId: "w1", leaseMs: 1000 })).value).toBeUndefined();
    });

    test("a claimed item is flagged; renewLease and heartbeat report it to the holder only", async () => {
      const store = await h.open();
      const sessionId = await newSession(store);
      const id = await enqueueOn(store, sessionId, QueueName.JOBS);
      const other = await enqueueOn(store, sessionId, QueueName.JOBS);
      const { leaseToken } = await claimOne(store, QueueName.JOBS, "w1");
      await claimOne(store, QueueName.JOBS, "w2");
      const { value, events } = await store.cancel({ itemId: id, reason: "stop" });
      expect(value).toMatchObject({ status: ItemStatus.CLAIMED, cancelRequested: true });
      expect(casesOf(events)).toEqual(["jobCancelRequested"]);
      expect((await store.renewLease({ itemId: id, leaseToken, leaseMs: 1000 })).cancelRequested).toBe(true);
      const beat = { name: "n", host: "h", drivers: [], concurrency: 1, activeJobIds: [], version: "1" };
      expect((await store.heartbeat({ workerId: "w1", ...beat })).cancelRequestedJobIds).toEqual([id]);
      expect((await store.heartbeat({ workerId: "w2", ...beat })).cancelRequestedJobIds).toEqual([]);
      expect((await store.getItem(other))?.cancelRequested).toBe(false);
      // Asking again adds nothing.
      expect((await store.cancel({ itemId: id, reason: "stop!" })).events).toEqual([]);
    });

    test("a retry after a cancel request ends the item cancelled instead of running it again", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      const failed = await enqueueOn(store, sessionId, QueueName.JOBS);
      const expired = await enqueueOn(store, sessionId, QueueName.JOBS);
      const a = await claimOne(store, QueueName.JOBS, "w1", 1000);
      await claimOne(store, QueueName.JOBS, "w2", 1000);
      await store.cancel({ itemId: failed, reason: "user cancel" });
      await store.cancel({ itemId: expired, reason: "user cancel" });
      const retried = await store.fail({ itemId: failed, leaseToken: a.leaseToken, error: "killed", mode: FailMode.RETRY });
      expect(retried.value.status).toBe(ItemStatus.CANCELLED);
      expect(casesOf(retried.events)).toEqual(["jobCancelled"]);
      expect(retried.events[0]!.payload.value).toMatchObject({ reason: "user cancel" });
      clock.advance(1000);
      const reaped = await store.reapExpiredLeases();
      expect(casesOf(reaped.events)).toEqual(["jobCancelled"]);
      expect((await store.getItem(expired))?.status).toBe(ItemStatus.CANCELLED);
    });

    test("a finished item cannot be cancelled; an unknown one is NotFound", async () => {
      const store = await h.open();
      const sessionId = await newSession(store);
      const id = await enqueueOn(store, sessionId, QueueName.JOBS);
      const { leaseToken } = await claimOne(store, QueueName.JOBS);
      await store.complete({ itemId: id, leaseToken });
      await expectCode(store.cancel({ itemId: id, reason: "late" }), Code.FailedPrecondition, /already finished \(completed\)/);
      await expectCode(store.cancel({ itemId: "job_01HZZZZZZZZZZZZZZZZZZZZZZZ", reason: "x" }), Code.NotFound);
    });
  });
}
