import { create } from "@bufbuild/protobuf";
import { describe, expect, test } from "vitest";
import { ItemStatus, Priority, QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import { UserMessageSchema } from "../../../gen/pushpals/v1/events_pb.js";
import type { Store } from "../../../services/control-plane/store/store.js";
import { allEvents, enqueueOn, newSession, payloadFor } from "../fixtures.js";
import type { Harness } from "../harness.js";

const JOBS = 2000;
const CLAIMERS = 8;

/** Runs `count` tasks with at most `width` in flight. */
async function inParallel(count: number, width: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

async function drain(store: Store, workerId: string, claimedIds: string[]): Promise<void> {
  for (;;) {
    const { value } = await store.claim({ queue: QueueName.JOBS, workerId, leaseMs: 60_000 });
    if (!value) return;
    claimedIds.push(value.item.id);
  }
}

export function concurrencyCases(h: Harness): void {
  describe("concurrency", () => {
    test(`${CLAIMERS} concurrent claimers take each of ${JOBS} jobs exactly once`, { timeout: 60_000 }, async () => {
      const store = await h.open();
      // Spread over sessions: appends to one session serialise on its seq counter by
      // design, which would line the claimers up behind each other.
      const sessions: string[] = [];
      for (let i = 0; i < CLAIMERS; i++) sessions.push(await newSession(store));
      const enqueued = new Set<string>();
      await inParallel(JOBS, CLAIMERS, async (index) => {
        enqueued.add(await enqueueOn(store, sessions[index % sessions.length]!, QueueName.JOBS));
      });
      expect(enqueued.size).toBe(JOBS);

      const perClaimer: string[][] = Array.from({ length: CLAIMERS }, () => []);
      await Promise.all(perClaimer.map((ids, index) => drain(store, `claimer-${index}`, ids)));
      const claimed = perClaimer.flat();
      expect(claimed).toHaveLength(JOBS);
      expect(new Set(claimed)).toEqual(enqueued);
      if (h.kind === "postgres") {
        // With a pool the claims really overlapped: every claimer got a share.
        expect(perClaimer.every((ids) => ids.length > 0)).toBe(true);
      }
      const [depth] = (await store.depths()).filter((d) => d.queue === QueueName.JOBS);
      expect(depth).toMatchObject({ pendingNormal: 0, claimed: JOBS });
      const sample = await store.getItem(claimed[JOBS - 1]!);
      expect(sample).toMatchObject({ status: ItemStatus.CLAIMED, attempts: 1 });
      // One enqueued and one claimed event per job, seqs without gap.
      for (const sessionId of sessions) {
        const events = await allEvents(store, sessionId);
        expect(events).toHaveLength(1 + (2 * JOBS) / sessions.length);
        expect(events.every((event, index) => event.seq === BigInt(index + 1))).toBe(true);
      }
    });

    test("racing enqueues and session creations with one idempotency key make one of each", async () => {
      const store = await h.open();
      const sessions = await Promise.all(Array.from({ length: 6 }, () => store.createSession({ title: "t", idempotencyKey: "same-session" })));
      expect(new Set(sessions.map((s) => s.value.session.id)).size).toBe(1);
      expect(sessions.filter((s) => !s.value.existing)).toHaveLength(1);
      const sessionId = sessions[0]!.value.session.id;
      const racers = await Promise.all(
        Array.from({ length: 6 }, () =>
          store.enqueue({ queue: QueueName.JOBS, sessionId, priority: Priority.UNSPECIFIED, payload: payloadFor(QueueName.JOBS), idempotencyKey: "same-job" }),
        ),
      );
      expect(new Set(racers.map((r) => r.value.item.id)).size).toBe(1);
      expect(racers.filter((r) => !r.value.existing)).toHaveLength(1);
      expect(racers.flatMap((r) => r.events)).toHaveLength(1);
      expect(await allEvents(store, sessionId)).toHaveLength(2);
    });

    test("concurrent appends to one session get seqs 1..N with no gap or duplicate, listed in order", { timeout: 60_000 }, async () => {
      const store = await h.open();
      const sessionId = await newSession(store);
      const writers = 8;
      const rounds = 40;
      const committedSeqs: bigint[] = [];
      await Promise.all(
        Array.from({ length: writers }, async (_, writer) => {
          for (let round = 0; round < rounds; round++) {
            // Some appends carry two events, so seq blocks of different sizes interleave.
            const drafts = Array.from({ length: 1 + (round % 2) }, (_, part) => ({
              payload: { case: "message" as const, value: create(UserMessageSchema, { text: `${writer}:${round}:${part}`, author: `w${writer}` }) },
            }));
            const { events } = await store.appendEvents(sessionId, drafts);
            committedSeqs.push(...events.map((event) => event.seq));
          }
        }),
      );
      const total = 1 + writers * (rounds + rounds / 2);
      const listed = await allEvents(store, sessionId);
      expect(listed).toHaveLength(total);
      expect(listed.map((event) => event.seq)).toEqual(Array.from({ length: total }, (_, i) => BigInt(i + 1)));
      expect(new Set(committedSeqs).size).toBe(committedSeqs.length);
      expect((await store.getSession(sessionId))?.lastSeq).toBe(BigInt(total));
      // Each writer's events appear in the order it wrote them.
      for (let writer = 0; writer < writers; writer++) {
        const mine = listed.map((event) => (event.payload.value as { text?: string }).text ?? "").filter((text) => text.startsWith(`${writer}:`));
        const rounds_ = mine.map((text) => Number(text.split(":")[1]));
        expect(rounds_).toEqual([...rounds_].sort((a, b) => a - b));
      }
    });
  });
}
