import { Code } from "@connectrpc/connect";
import { describe, expect, test } from "vitest";
import { ItemStatus, Priority, QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import { FailMode } from "../../../gen/pushpals/v1/queues_pb.js";
import type { Store } from "../../../services/control-plane/store/store.js";
import { durationMs } from "../../../shared/time.js";
import { claimOne, enqueueOn, expectCode, newSession } from "../fixtures.js";
import { testClock, type Harness, type TestClock } from "../harness.js";

const SECOND = 1000;

/** Enqueues, waits `waitMs`, claims as `worker`, runs `runMs`, then ends the item as `end` says. */
async function runItem(
  store: Store,
  clock: TestClock,
  sessionId: string,
  timing: { waitMs: number; runMs: number; worker?: string },
  end: "complete" | FailMode = "complete",
): Promise<string> {
  const id = await enqueueOn(store, sessionId, QueueName.JOBS, { maxAttempts: 1 });
  clock.advance(timing.waitMs);
  const { leaseToken } = await claimOne(store, QueueName.JOBS, timing.worker ?? "w1", 3_600_000);
  clock.advance(timing.runMs);
  if (end === "complete") await store.complete({ itemId: id, leaseToken });
  else await store.fail({ itemId: id, leaseToken, error: "no", mode: end });
  return id;
}

export function positionSloCases(h: Harness): void {
  describe("queue position and ETA", () => {
    test("ahead counts higher bands and earlier items of the same band; ETA defaults to 30 s a round", async () => {
      const store = await h.open();
      const sessionId = await newSession(store);
      const normal1 = await enqueueOn(store, sessionId, QueueName.JOBS, { priority: Priority.NORMAL });
      const background = await enqueueOn(store, sessionId, QueueName.JOBS, { priority: Priority.BACKGROUND });
      const normal2 = await enqueueOn(store, sessionId, QueueName.JOBS, { priority: Priority.NORMAL });
      const interactive = await enqueueOn(store, sessionId, QueueName.JOBS, { priority: Priority.INTERACTIVE });
      await enqueueOn(store, sessionId, QueueName.REQUESTS, { priority: Priority.INTERACTIVE }); // another queue: not ahead

      const ahead = async (id: string) => (await store.getItem(id))?.position?.ahead;
      expect(await ahead(interactive)).toBe(0);
      expect(await ahead(normal1)).toBe(1);
      expect(await ahead(normal2)).toBe(2);
      expect(await ahead(background)).toBe(3);
      expect(durationMs((await store.getItem(background))?.position?.eta)).toBe(4 * 30 * SECOND);

      const claimed = await claimOne(store, QueueName.JOBS);
      expect(claimed.item.id).toBe(interactive);
      const held = await store.getItem(interactive);
      expect(held?.position).toBeUndefined();
      expect(await ahead(background)).toBe(2);
    });

    test("ETA = ceil((ahead+1)/claimers) × median run time of the last hour", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      // An old, slow run outside the hour must not count.
      await runItem(store, clock, sessionId, { waitMs: 0, runMs: 600 * SECOND, worker: "old-worker" });
      clock.advance(2 * 3_600_000);
      await runItem(store, clock, sessionId, { waitMs: 0, runMs: 10 * SECOND, worker: "w1" });
      await runItem(store, clock, sessionId, { waitMs: 0, runMs: 30 * SECOND, worker: "w2" });
      await runItem(store, clock, sessionId, { waitMs: 0, runMs: 20 * SECOND, worker: "w1" });
      const pending = [];
      for (let i = 0; i < 4; i++) pending.push(await enqueueOn(store, sessionId, QueueName.JOBS));
      // Three runs (10, 20, 30 s): median 20 s. Two workers claimed in the last 10 minutes.
      const last = await store.getItem(pending[3]!);
      expect(last?.position?.ahead).toBe(3);
      expect(durationMs(last?.position?.eta)).toBe(2 * 20 * SECOND);
      expect(durationMs((await store.getItem(pending[0]!))?.position?.eta)).toBe(20 * SECOND);

      const listed = await store.listItems({ queue: QueueName.JOBS, statuses: [ItemStatus.PENDING], limit: 10 });
      expect(listed.map((item) => item.id)).toEqual([...pending].reverse());
      expect(listed.map((item) => item.position?.ahead)).toEqual([3, 2, 1, 0]);

      clock.advance(11 * 60 * SECOND); // claimers went quiet; runs still within the hour
      expect(durationMs((await store.getItem(pending[3]!))?.position?.eta)).toBe(4 * 20 * SECOND);
    });

    test("listItems filters by queue, status and session, newest first, paged with `before`", async () => {
      const store = await h.open();
      const [s1, s2] = [await newSession(store), await newSession(store)];
      const jobs = [];
      for (let i = 0; i < 5; i++) jobs.push(await enqueueOn(store, s1, QueueName.JOBS));
      const request = await enqueueOn(store, s2, QueueName.REQUESTS);
      await claimOne(store, QueueName.JOBS); // jobs[0]

      expect((await store.listItems({ limit: 10 })).map((i) => i.id)).toEqual([request, ...[...jobs].reverse()]);
      expect((await store.listItems({ sessionId: s2, limit: 10 })).map((i) => i.id)).toEqual([request]);
      expect((await store.listItems({ statuses: [ItemStatus.CLAIMED], limit: 10 })).map((i) => i.id)).toEqual([jobs[0]]);
      const page1 = await store.listItems({ queue: QueueName.JOBS, limit: 2 });
      expect(page1.map((i) => i.id)).toEqual([jobs[4], jobs[3]]);
      const page2 = await store.listItems({ queue: QueueName.JOBS, limit: 2, before: page1[1]!.id });
      expect(page2.map((i) => i.id)).toEqual([jobs[2], jobs[1]]);
      const page3 = await store.listItems({ queue: QueueName.JOBS, limit: 2, before: page2[1]!.id });
      expect(page3.map((i) => i.id)).toEqual([jobs[0]]);
      await expectCode(store.listItems({ limit: 2, before: "job_01HZZZZZZZZZZZZZZZZZZZZZZZ" }), Code.InvalidArgument, /^before: /);
      expect(await store.getItem("job_01HZZZZZZZZZZZZZZZZZZZZZZZ")).toBeUndefined();
    });
  });

  describe("SLO summary", () => {
    test("p50/p95 by nearest rank over the window; cancelled counts as neither success nor failure", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      await runItem(store, clock, sessionId, { waitMs: 500 * SECOND, runMs: 500 * SECOND }); // falls out of the window
      clock.advance(3_600_000);
      const timings = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => ({ waitMs: n * SECOND, runMs: n * 10 * SECOND }));
      const ends: Array<"complete" | FailMode> = ["complete", "complete", "complete", "complete", "complete", "complete", "complete", FailMode.FINAL, FailMode.RETRY, "complete"];
      for (const [index, timing] of timings.entries()) await runItem(store, clock, sessionId, timing, ends[index]);
      const cancelled = await enqueueOn(store, sessionId, QueueName.JOBS);
      await store.cancel({ itemId: cancelled, reason: "no" });

      const summary = await store.slo({ queue: QueueName.JOBS, windowMs: 3_600_000 });
      expect(summary.queue).toBe(QueueName.JOBS);
      expect(durationMs(summary.window)).toBe(3_600_000);
      expect(durationMs(summary.waitP50)).toBe(5 * SECOND);
      expect(durationMs(summary.waitP95)).toBe(10 * SECOND);
      expect(durationMs(summary.runP50)).toBe(50 * SECOND);
      expect(durationMs(summary.runP95)).toBe(100 * SECOND);
      expect(summary.succeeded).toBe(8);
      expect(summary.failed).toBe(2); // one failed, one dead-lettered (max attempts 1)
      expect(summary.successRate).toBeCloseTo(0.8);
    });

    test("wait is measured to the first claim and run time from the last one", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      const id = await enqueueOn(store, sessionId, QueueName.JOBS);
      clock.advance(2 * SECOND);
      const first = await claimOne(store, QueueName.JOBS);
      await store.fail({ itemId: id, leaseToken: first.leaseToken, error: "flaky", mode: FailMode.RETRY });
      clock.advance(60 * SECOND);
      const second = await claimOne(store, QueueName.JOBS);
      clock.advance(7 * SECOND);
      await store.complete({ itemId: id, leaseToken: second.leaseToken });
      const summary = await store.slo({ queue: QueueName.JOBS, windowMs: 3_600_000 });
      expect(durationMs(summary.waitP50)).toBe(2 * SECOND);
      expect(durationMs(summary.runP50)).toBe(7 * SECOND);
    });

    test("nothing finished: zero durations and a success rate of 1", async () => {
      const store = await h.open();
      const summary = await store.slo({ queue: QueueName.COMPLETIONS, windowMs: 60_000 });
      expect(summary).toMatchObject({ succeeded: 0, failed: 0, successRate: 1 });
      expect(durationMs(summary.runP95)).toBe(0);
      await expectCode(store.slo({ queue: QueueName.UNSPECIFIED, windowMs: 60_000 }), Code.InvalidArgument, /^queue: /);
      await expectCode(store.slo({ queue: QueueName.JOBS, windowMs: 0 }), Code.InvalidArgument, /^window: /);
    });
  });

  describe("depths", () => {
    test("pending by band, claimed and dead-lettered per queue; every queue listed", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      for (const priority of [Priority.INTERACTIVE, Priority.NORMAL, Priority.UNSPECIFIED, Priority.BACKGROUND, Priority.BACKGROUND, Priority.BACKGROUND]) {
        await enqueueOn(store, sessionId, QueueName.JOBS, { priority, maxAttempts: 1 });
      }
      await claimOne(store, QueueName.JOBS, "w1", 1000); // the interactive one
      await claimOne(store, QueueName.JOBS, "w1", 60_000); // a normal one
      clock.advance(1000);
      await store.reapExpiredLeases(); // interactive → dead letter
      await enqueueOn(store, sessionId, QueueName.REQUESTS);

      const depths = await store.depths();
      expect(depths.map((d) => d.queue)).toEqual([QueueName.REQUESTS, QueueName.JOBS, QueueName.COMPLETIONS]);
      expect(depths[1]).toMatchObject({ pendingInteractive: 0, pendingNormal: 1, pendingBackground: 3, claimed: 1, deadLetter: 1 });
      expect(depths[0]).toMatchObject({ pendingNormal: 1, claimed: 0 });
      expect(depths[2]).toMatchObject({ pendingInteractive: 0, pendingNormal: 0, pendingBackground: 0, claimed: 0, deadLetter: 0 });
    });
  });
}
