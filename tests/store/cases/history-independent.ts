import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, test } from "vitest";
import { ItemStatus, Priority, QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import { AgentStepSchema, EventSchema } from "../../../gen/pushpals/v1/events_pb.js";
import { FailMode } from "../../../gen/pushpals/v1/queues_pb.js";
import type { Store } from "../../../services/control-plane/store/store.js";
import { durationMs } from "../../../shared/time.js";
import { bytesOf, claimOne, enqueueOn, newSession } from "../fixtures.js";
import { testClock, type Harness } from "../harness.js";

const SECOND = 1000;

/**
 * Issue 17: positions and depths read counters the triggers keep per block of 1024 seqs,
 * and SLO windows are kept in memory between calls. These cases check both against the
 * plain definitions across block boundaries, every status transition, and windows
 * that move between calls.
 */
export function historyIndependentCases(h: Harness): void {
  /** The next queue item gets seq `next` (jumping the sequence puts items in far blocks). */
  const jumpSeqTo = async (next: number) => {
    if (h.kind === "sqlite") await h.raw(`UPDATE sqlite_sequence SET seq = ${next - 1} WHERE name = 'queue_items'`);
    else await h.raw(`SELECT setval(pg_get_serial_sequence('queue_items', 'seq'), ${next - 1})`);
  };

  /** What the counters must agree with: pending, claimed and dead-lettered rows counted one by one. */
  const countedRows = async () =>
    (
      await h.raw<{ queue: number; status: number; priority: number; n: number }>(
        "SELECT queue, status, priority, count(*) AS n FROM queue_items WHERE status IN (1, 2, 6) GROUP BY queue, status, priority ORDER BY 1, 2, 3",
      )
    ).map((row) => `${row.queue}/${row.status}/${row.priority}=${Number(row.n)}`);
  const counters = async () =>
    (
      await h.raw<{ queue: number; status: number; priority: number; n: number }>(
        "SELECT queue, status, priority, sum(n) AS n FROM item_counts GROUP BY queue, status, priority HAVING sum(n) <> 0 ORDER BY 1, 2, 3",
      )
    ).map((row) => `${row.queue}/${row.status}/${row.priority}=${Number(row.n)}`);

  describe("history-independent positions and depths", () => {
    test("ahead across blocks of seqs and bands, through claim, retry, cancel, dead letter and reap", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      const ahead = async (id: string) => (await store.getItem(id))?.position?.ahead;

      const a = await enqueueOn(store, sessionId, QueueName.JOBS, { maxAttempts: 2 }); // block 0
      const b = await enqueueOn(store, sessionId, QueueName.JOBS); // block 0
      await jumpSeqTo(1030);
      const c = await enqueueOn(store, sessionId, QueueName.JOBS); // block 1
      await jumpSeqTo(5000);
      const d = await enqueueOn(store, sessionId, QueueName.JOBS); // block 4
      const urgent = await enqueueOn(store, sessionId, QueueName.JOBS, { priority: Priority.INTERACTIVE }); // block 4, a higher band
      const slow = await enqueueOn(store, sessionId, QueueName.JOBS, { priority: Priority.BACKGROUND });
      await enqueueOn(store, sessionId, QueueName.REQUESTS); // another queue: never ahead

      expect(await Promise.all([a, b, c, d, urgent, slow].map(ahead))).toEqual([1, 2, 3, 4, 0, 5]);
      const page = await store.listItems({ queue: QueueName.JOBS, statuses: [ItemStatus.PENDING], limit: 10 });
      expect(page.map((item) => item.position?.ahead)).toEqual([5, 0, 4, 3, 2, 1]);

      expect((await claimOne(store, QueueName.JOBS, "w1", 1000)).item.id).toBe(urgent);
      const claimedA = await claimOne(store, QueueName.JOBS, "w1", 60_000);
      expect(claimedA.item.id).toBe(a);
      expect(await Promise.all([b, c, d, slow].map(ahead))).toEqual([0, 1, 2, 3]);

      // Back to pending (its old seq, so ahead of b again), then cancelled, then the lease of `urgent` runs out.
      await store.fail({ itemId: a, leaseToken: claimedA.leaseToken, error: "flaky", mode: FailMode.RETRY });
      expect(await Promise.all([b, c, d, slow].map(ahead))).toEqual([1, 2, 3, 4]);
      await store.cancel({ itemId: b, reason: "not needed" });
      expect(await Promise.all([a, c, d, slow].map(ahead))).toEqual([0, 1, 2, 3]);
      clock.advance(2000);
      await store.reapExpiredLeases(); // urgent: back to pending, ahead of everyone
      expect(await ahead(urgent)).toBe(0);
      expect(await ahead(slow)).toBe(4);

      expect(await counters()).toEqual(await countedRows());
      const jobs = (await store.depths())[1];
      expect(jobs).toMatchObject({ pendingInteractive: 1, pendingNormal: 3, pendingBackground: 1, claimed: 0, deadLetter: 0 });
    });

    test("counters agree with the rows after many transitions; emptied counter rows are deleted", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) {
        if (i === 20) await jumpSeqTo(3000);
        ids.push(
          await enqueueOn(store, sessionId, i % 3 === 0 ? QueueName.REQUESTS : QueueName.JOBS, {
            priority: [Priority.INTERACTIVE, Priority.NORMAL, Priority.BACKGROUND][i % 3]!,
            maxAttempts: 1,
          }),
        );
      }
      for (let i = 0; i < 12; i++) {
        const claimed = await claimOne(store, QueueName.JOBS, `w${i % 2}`, i % 4 === 0 ? 1000 : 60_000);
        if (i % 4 === 1) await store.complete({ itemId: claimed.item.id, leaseToken: claimed.leaseToken });
        if (i % 4 === 2) await store.fail({ itemId: claimed.item.id, leaseToken: claimed.leaseToken, error: "no", mode: FailMode.FINAL });
      }
      await store.cancel({ itemId: ids[38]!, reason: "no" }); // a pending background job
      clock.advance(5000);
      await store.reapExpiredLeases(); // the 1 s leases: max attempts 1, so dead letters
      expect(await counters()).toEqual(await countedRows());
      expect((await store.depths())[1]?.deadLetter).toBe(3);

      // Everything finishes: no counter row is left behind, so old blocks never slow positions down.
      for (;;) {
        const { value } = await store.claim({ queue: QueueName.JOBS, workerId: "w1", leaseMs: 60_000 });
        if (!value) break;
        await store.complete({ itemId: value.item.id, leaseToken: value.leaseToken });
      }
      clock.advance(120_000);
      await store.reapExpiredLeases(); // the claimed ones left: dead letters too
      const left = await h.raw<{ queue: number; status: number }>(`SELECT queue, status FROM item_counts WHERE queue = ${QueueName.JOBS} AND status <> 6`);
      expect(left).toEqual([]);
    });
  });

  describe("SLO windows kept between calls", () => {
    async function runItem(store: Store, clock: ReturnType<typeof testClock>, sessionId: string, waitMs: number, runMs: number): Promise<void> {
      const id = await enqueueOn(store, sessionId, QueueName.JOBS);
      clock.advance(waitMs);
      const { leaseToken } = await claimOne(store, QueueName.JOBS, "w1", 3_600_000);
      clock.advance(runMs);
      await store.complete({ itemId: id, leaseToken });
    }

    test("items finished after a call count in the next; items that slid out of the window stop counting; a clock set back reloads", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      const summary = () => store.slo({ queue: QueueName.JOBS, windowMs: 3_600_000 });

      await runItem(store, clock, sessionId, 1 * SECOND, 10 * SECOND);
      expect(await summary()).toMatchObject({ succeeded: 1 });
      clock.advance(30 * 60 * SECOND);
      await runItem(store, clock, sessionId, 3 * SECOND, 30 * SECOND);
      await runItem(store, clock, sessionId, 2 * SECOND, 20 * SECOND);
      const both = await summary();
      expect(both.succeeded).toBe(3);
      expect(durationMs(both.runP50)).toBe(20 * SECOND);
      expect(durationMs(both.waitP95)).toBe(3 * SECOND);

      // The first run finished ~31 minutes before the last; 40 minutes on it is out of the hour.
      const afterLast = clock.now();
      clock.advance(40 * 60 * SECOND);
      const slid = await summary();
      expect(slid.succeeded).toBe(2);
      expect(durationMs(slid.runP50)).toBe(20 * SECOND);
      expect(durationMs(slid.waitP50)).toBe(2 * SECOND);
      // The queue's pace (ETA) reads the same window: median of 20 s and 30 s is 20 s.
      const pending = await enqueueOn(store, sessionId, QueueName.JOBS);
      expect(durationMs((await store.getItem(pending))?.position?.eta)).toBe(20 * SECOND);

      clock.set(afterLast);
      expect((await summary()).succeeded).toBe(3);
      // A window of another length is its own: the last 10 s hold only the last run (the one before ended 22 s earlier).
      const recent = await store.slo({ queue: QueueName.JOBS, windowMs: 10 * SECOND });
      expect(recent.succeeded).toBe(1);
      expect(durationMs(recent.runP50)).toBe(20 * SECOND);
    });

    test("concurrent calls on one window count each finished item once", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      for (let i = 1; i <= 5; i++) await runItem(store, clock, sessionId, i * SECOND, i * SECOND);
      const summaries = await Promise.all(Array.from({ length: 8 }, () => store.slo({ queue: QueueName.JOBS, windowMs: 3_600_000 })));
      expect(summaries.map((s) => s.succeeded)).toEqual(Array(8).fill(5));
      await runItem(store, clock, sessionId, 9 * SECOND, 9 * SECOND);
      const again = await Promise.all(Array.from({ length: 4 }, () => store.slo({ queue: QueueName.JOBS, windowMs: 3_600_000 })));
      expect(again.map((s) => [s.succeeded, durationMs(s.runP95)])).toEqual(Array(4).fill([6, 9 * SECOND]));
    });
  });
  describe("event storage", () => {
    test("stored bytes leave out the ids the columns hold; rows written with them still read the same", async () => {
      const store = await h.open();
      const sessionId = await newSession(store);
      const jobId = await enqueueOn(store, sessionId, QueueName.JOBS);
      const step = { case: "agentStep" as const, value: create(AgentStepSchema, { step: 1, thought: "look", command: "ls", exitCode: 0, output: "a b" }) };
      const appended = (await store.appendEvents(sessionId, [{ itemId: jobId, payload: step }, { payload: step }])).events;

      const hex = h.kind === "sqlite" ? "hex(data)" : "encode(data, 'hex')";
      const stored = await h.raw<{ seq: number; data: string }>(
        `SELECT seq, ${hex} AS data FROM events WHERE session_key = (SELECT session_key FROM sessions WHERE id = '${sessionId}') ORDER BY seq`,
      );
      for (const row of stored) {
        const bare = fromBinary(EventSchema, Buffer.from(row.data, "hex"));
        expect([bare.sessionId, bare.itemId]).toEqual(["", ""]);
      }
      const listed = await store.listEvents({ sessionId, afterSeq: 0n, limit: 10 });
      expect(listed.map((e) => [e.sessionId, e.itemId, e.payload.case])).toEqual([
        [sessionId, "", "sessionCreated"],
        [sessionId, jobId, "jobEnqueued"],
        [sessionId, jobId, "agentStep"],
        [sessionId, "", "agentStep"],
      ]);
      expect(bytesOf(listed.slice(2))).toEqual(bytesOf(appended));

      // A row as earlier versions wrote it: the ids inside the bytes as well.
      const legacy = Buffer.from(toBinary(EventSchema, create(EventSchema, { sessionId, itemId: jobId, payload: step }))).toString("hex");
      const blob = h.kind === "sqlite" ? `X'${legacy}'` : `'\\x${legacy}'::bytea`;
      await h.raw(
        `INSERT INTO events (session_key, seq, time, item_seq, payload_case, data)
         VALUES ((SELECT session_key FROM sessions WHERE id = '${sessionId}'), 5, 1, (SELECT seq FROM queue_items WHERE id = '${jobId}'), 'agentStep', ${blob})`,
      );
      await h.raw(`UPDATE sessions SET last_seq = 5 WHERE id = '${sessionId}'`);
      const [old] = await store.listEvents({ sessionId, afterSeq: 4n, limit: 10, itemId: jobId });
      expect([old?.sessionId, old?.itemId, old?.seq, old?.payload.case]).toEqual([sessionId, jobId, 5n, "agentStep"]);
    });

    test("rows hold integer keys, not ids; an item id that names no queue item is kept as it is", async () => {
      const store = await h.open();
      const [sessionId, otherSession] = [await newSession(store), await newSession(store)];
      const [jobId, otherJob] = [await enqueueOn(store, sessionId, QueueName.JOBS), await enqueueOn(store, otherSession, QueueName.JOBS)];
      const noSuchItem = "job_01JD0000000000000000000ZZZ";
      const step = { case: "agentStep" as const, value: create(AgentStepSchema, { step: 1, thought: "look", command: "ls", exitCode: 0, output: "a b" }) };
      await store.appendEvents(sessionId, [{ itemId: jobId, payload: step }, { itemId: noSuchItem, payload: step }, { itemId: otherJob, payload: step }, { payload: step }]);

      const rows = await h.raw<{ item_seq: number; item_id: string }>(
        `SELECT item_seq, item_id FROM events WHERE session_key = (SELECT session_key FROM sessions WHERE id = '${sessionId}') AND seq > 2 ORDER BY seq`,
      );
      const [jobSeq, otherSeq] = await Promise.all(
        [jobId, otherJob].map(async (id) => Number((await h.raw<{ seq: number }>(`SELECT seq FROM queue_items WHERE id = '${id}'`))[0]?.seq)),
      );
      expect(rows.map((r) => [Number(r.item_seq), r.item_id])).toEqual([
        [jobSeq, ""],
        [0, noSuchItem],
        [otherSeq, ""],
        [0, ""],
      ]);

      const listed = await store.listEvents({ sessionId, afterSeq: 2n, limit: 10 });
      expect(listed.map((e) => [e.seq, e.sessionId, e.itemId])).toEqual([
        [3n, sessionId, jobId],
        [4n, sessionId, noSuchItem],
        [5n, sessionId, otherJob],
        [6n, sessionId, ""],
      ]);
      const about = async (itemId: string) => (await store.listEvents({ sessionId, afterSeq: 0n, limit: 10, itemId })).map((e) => [e.seq, e.itemId]);
      expect(await about(jobId)).toEqual([
        [2n, jobId],
        [3n, jobId],
      ]);
      expect(await about(noSuchItem)).toEqual([[4n, noSuchItem]]);
      expect(await about(otherJob)).toEqual([[5n, otherJob]]);
      expect((await store.listEvents({ sessionId: otherSession, afterSeq: 0n, limit: 10, itemId: otherJob })).map((e) => [e.seq, e.sessionId, e.itemId])).toEqual([
        [2n, otherSession, otherJob],
      ]);
    });
  });
}
