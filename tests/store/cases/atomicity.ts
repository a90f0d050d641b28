import { describe, expect, test } from "vitest";
import { ItemStatus, QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import { allEvents, claimOne, enqueueOn, newSession } from "../fixtures.js";
import type { Harness } from "../harness.js";

/** The messages of a rejection and its causes (drivers' errors arrive wrapped by drizzle). */
async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  const messages: string[] = [];
  for (let current = error; current instanceof Error; current = current.cause) messages.push(current.message);
  if (messages.length === 0) throw new Error("expected the mutation to fail");
  return messages.join(" <- ");
}

export function atomicityCases(h: Harness): void {
  describe("atomicity", () => {
    test("a mutation that fails after its state change leaves neither the change nor an event", async () => {
      const store = await h.open();
      const sessionId = await newSession(store);
      const id = await enqueueOn(store, sessionId, QueueName.JOBS);
      const { leaseToken } = await claimOne(store, QueueName.JOBS);
      const before = await allEvents(store, sessionId);

      // The event insert is the transaction's last statement: the item update has run when it fails.
      await h.breakEventInserts();
      try {
        expect(await failure(store.complete({ itemId: id, leaseToken }))).toMatch(/injected failure/);
        expect(await failure(enqueueOn(store, sessionId, QueueName.JOBS))).toMatch(/injected failure/);
        expect(await failure(store.cancel({ itemId: id, reason: "x" }))).toMatch(/injected failure/);
      } finally {
        await h.repairEventInserts();
      }

      const item = await store.getItem(id);
      expect(item).toMatchObject({ status: ItemStatus.CLAIMED, cancelRequested: false });
      expect(item?.finishedAt).toBeUndefined();
      expect((await store.listItems({ limit: 10 })).map((i) => i.id)).toEqual([id]);
      expect(await allEvents(store, sessionId)).toHaveLength(before.length);
      expect((await store.getSession(sessionId))?.lastSeq).toBe(BigInt(before.length));
      // The store is healthy afterwards and the lease still holds.
      const done = await store.complete({ itemId: id, leaseToken });
      expect(done.events[0]!.seq).toBe(BigInt(before.length + 1));
    });

    test("reopening the database runs no migration twice and keeps the data", async () => {
      const store = await h.open();
      const sessionId = await newSession(store, "kept");
      const id = await enqueueOn(store, sessionId, QueueName.JOBS);
      const table = h.kind === "postgres" ? "drizzle.__drizzle_migrations" : "__drizzle_migrations";
      const [{ n: applied }] = (await h.raw<{ n: number | string }>(`SELECT count(*) AS n FROM ${table}`)) as [{ n: number | string }];
      expect(Number(applied)).toBeGreaterThan(0);

      const reopened = await h.reopen(store);
      const [{ n: afterReopen }] = (await h.raw<{ n: number | string }>(`SELECT count(*) AS n FROM ${table}`)) as [{ n: number | string }];
      expect(Number(afterReopen)).toBe(Number(applied));
      expect((await reopened.getSession(sessionId))?.title).toBe("kept");
      expect((await reopened.getItem(id))?.status).toBe(ItemStatus.PENDING);
      expect((await reopened.appendEvents(sessionId, [])).events).toEqual([]);
      expect((await claimOne(reopened, QueueName.JOBS)).item.id).toBe(id);
    });
  });
}
