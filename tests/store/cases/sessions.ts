import { create } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { describe, expect, test } from "vitest";
import { QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import { ItemClaimedSchema, UserMessageSchema } from "../../../gen/pushpals/v1/events_pb.js";
import { isId } from "../../../shared/ids.js";
import type { EventDraft } from "../../../services/control-plane/store/store.js";
import { allEvents, bytesOf, casesOf, enqueueOn, expectCode, newSession } from "../fixtures.js";
import { testClock, type Harness } from "../harness.js";

const message = (text: string): EventDraft => ({ payload: { case: "message", value: create(UserMessageSchema, { text, author: "ada" }) } });

export function sessionCases(h: Harness): void {
  describe("sessions and their logs", () => {
    test("createSession starts the log with session_created at seq 1", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const { value, events } = await store.createSession({ title: "fix the build" });
      expect(value.existing).toBe(false);
      expect(isId("session", value.session.id)).toBe(true);
      expect(value.session.lastSeq).toBe(1n);
      expect(timestampMs(value.session.createdAt!)).toBe(clock.now());
      expect(casesOf(events)).toEqual(["sessionCreated"]);
      expect(events[0]).toMatchObject({ sessionId: value.session.id, seq: 1n, itemId: "" });
      expect(timestampMs(events[0]!.time!)).toBe(clock.now());

      const read = await store.getSession(value.session.id);
      expect(read?.title).toBe("fix the build");
      expect(read?.lastSeq).toBe(1n);
      expect(await store.getSession("ses_01HZZZZZZZZZZZZZZZZZZZZZZZ")).toBeUndefined();
    });

    test("createSession with a used idempotency key returns the first session and appends nothing", async () => {
      const store = await h.open();
      const first = await store.createSession({ title: "one", idempotencyKey: "k-1" });
      const again = await store.createSession({ title: "two", idempotencyKey: "k-1" });
      expect(again.value.existing).toBe(true);
      expect(again.value.session.id).toBe(first.value.session.id);
      expect(again.value.session.title).toBe("one");
      expect(again.events).toEqual([]);
      expect(await allEvents(store, first.value.session.id)).toHaveLength(1);
      const other = await store.createSession({ title: "three", idempotencyKey: "k-2" });
      expect(other.value.session.id).not.toBe(first.value.session.id);
      // Sessions without a key never collide with each other.
      const [a, b] = [await store.createSession({ title: "a" }), await store.createSession({ title: "b" })];
      expect(a.value.session.id).not.toBe(b.value.session.id);
    });

    test("listSessions pages newest first with `before`", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const ids: string[] = [];
      for (const title of ["s1", "s2", "s3", "s4", "s5"]) {
        ids.push(await newSession(store, title));
        clock.advance(1000);
      }
      const first = await store.listSessions({ limit: 2 });
      expect(first.map((s) => s.title)).toEqual(["s5", "s4"]);
      const second = await store.listSessions({ limit: 2, before: first[1]!.id });
      expect(second.map((s) => s.title)).toEqual(["s3", "s2"]);
      const last = await store.listSessions({ limit: 2, before: second[1]!.id });
      expect(last.map((s) => s.title)).toEqual(["s1"]);
      await expectCode(store.listSessions({ limit: 2, before: "ses_01HZZZZZZZZZZZZZZZZZZZZZZZ" }), Code.InvalidArgument, /^before: /);
      await expectCode(store.listSessions({ limit: 0 }), Code.InvalidArgument, /^limit: /);
    });

    test("appendEvents continues the seq; listEvents reads after a cursor, with a limit and an item filter", async () => {
      const store = await h.open();
      const sessionId = await newSession(store);
      const jobId = await enqueueOn(store, sessionId, QueueName.JOBS); // seq 2
      const appended = await store.appendEvents(sessionId, [message("a"), { itemId: jobId, ...message("about the job") }, message("c")]);
      expect(appended.events.map((e) => e.seq)).toEqual([3n, 4n, 5n]);
      expect(appended.events[1]!.itemId).toBe(jobId);

      const all = await allEvents(store, sessionId);
      expect(all.map((e) => e.seq)).toEqual([1n, 2n, 3n, 4n, 5n]);
      // What a mutation returns is exactly what was stored.
      expect(bytesOf(all.slice(2))).toEqual(bytesOf(appended.events));

      const page = await store.listEvents({ sessionId, afterSeq: 2n, limit: 2 });
      expect(page.map((e) => e.seq)).toEqual([3n, 4n]);
      const aboutJob = await store.listEvents({ sessionId, afterSeq: 0n, limit: 10, itemId: jobId });
      expect(aboutJob.map((e) => e.seq)).toEqual([2n, 4n]);
      expect(await store.listEvents({ sessionId, afterSeq: 5n, limit: 10 })).toEqual([]);
      expect((await store.getSession(sessionId))?.lastSeq).toBe(5n);
    });

    test("appendEvents refuses events that only the store's own operations may write", async () => {
      const store = await h.open();
      const sessionId = await newSession(store);
      const forged: EventDraft = { payload: { case: "jobClaimed", value: create(ItemClaimedSchema, { workerId: "w1" }) } };
      await expectCode(store.appendEvents(sessionId, [message("fine"), forged]), Code.InvalidArgument, /^events\[1\]\.payload: jobClaimed cannot/);
      await expectCode(store.appendEvents(sessionId, [{ payload: { case: undefined } }]), Code.InvalidArgument, /events\[0\]\.payload/);
      expect(await allEvents(store, sessionId)).toHaveLength(1);
    });

    test("unknown sessions are NotFound for appendEvents and listEvents", async () => {
      const store = await h.open();
      const missing = "ses_01HZZZZZZZZZZZZZZZZZZZZZZZ";
      await expectCode(store.appendEvents(missing, [message("x")]), Code.NotFound, /session ses_01HZZZZZZZZZZZZZZZZZZZZZZZ not found/);
      await expectCode(store.listEvents({ sessionId: missing, afterSeq: 0n, limit: 10 }), Code.NotFound);
    });

    test("event time never runs backwards within a session, even when the clock does", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      clock.advance(5000);
      const later = await store.appendEvents(sessionId, [message("later")]);
      clock.advance(-3000); // another process with a slower clock, say
      const behind = await store.appendEvents(sessionId, [message("behind")]);
      expect(timestampMs(behind.events[0]!.time!)).toBe(timestampMs(later.events[0]!.time!));
      expect(behind.events[0]!.seq).toBe(3n);
    });
  });
}
