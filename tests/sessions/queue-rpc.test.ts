import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ItemStatus, Priority, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { ItemPayloadSchema, type ItemPayload } from "../../gen/pushpals/v1/items_pb.js";
import { Lane } from "../../gen/pushpals/v1/task_pb.js";
import { leaseLostDetail } from "../../shared/errors.js";
import { durationFromMs } from "../../shared/time.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";

export function scriptJob(instruction: string): ItemPayload {
  return create(ItemPayloadSchema, { kind: { case: "taskExecuteV2", value: { lane: Lane.DETERMINISTIC, instruction } } });
}

describe.each(["sqlite", "postgres"] as const)("queues over RPC on %s", (store) => {
  let cp: TestControlPlane;
  let sessionId: string;
  beforeAll(async () => {
    cp = await startTestControlPlane({ store });
    sessionId = (await cp.clients.sessions.createSession({ title: "queues" })).session!.id;
  });
  afterAll(() => cp?.stop());

  // 1,000 jobs: enough for the eight to race on every claim; 2,000 on Postgres outran the timeout on a loaded machine.
  it("8 concurrent claimers over RPC claim each of 1,000 jobs exactly once", async () => {
    const total = 1000;
    const ids = new Set<string>();
    for (let start = 0; start < total; start += 100) {
      const batch = await Promise.all(
        Array.from({ length: 100 }, (_, i) => cp.clients.queues.enqueue({ queue: QueueName.JOBS, sessionId, payload: scriptJob(`echo ${start + i}`) })),
      );
      for (const { item } of batch) ids.add(item!.id);
    }
    const claimedBy = new Map<string, string>();
    const duplicates: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        const workerId = `bench-${w}`;
        for (;;) {
          const { item, leaseToken } = await cp.clients.queues.claim({ queue: QueueName.JOBS, workerId });
          if (!item) return;
          if (claimedBy.has(item.id)) duplicates.push(item.id);
          claimedBy.set(item.id, workerId);
          await cp.clients.queues.complete({ itemId: item.id, leaseToken });
        }
      }),
    );
    expect(duplicates).toEqual([]);
    expect(claimedBy.size).toBe(total);
    expect([...claimedBy.keys()].every((id) => ids.has(id))).toBe(true);
    expect(new Set(claimedBy.values()).size).toBeGreaterThan(1);
  }, 180_000);

  it("claims by priority band, first in first out inside a band", async () => {
    const enqueue = (priority: Priority, tag: string) => cp.clients.queues.enqueue({ queue: QueueName.REQUESTS, sessionId, priority, payload: request(tag) });
    await enqueue(Priority.BACKGROUND, "b1");
    await enqueue(Priority.NORMAL, "n1");
    await enqueue(Priority.INTERACTIVE, "i1");
    await enqueue(Priority.NORMAL, "n2");
    await enqueue(Priority.INTERACTIVE, "i2");
    const order: string[] = [];
    for (;;) {
      const { item, leaseToken } = await cp.clients.queues.claim({ queue: QueueName.REQUESTS, workerId: "planner-1" });
      if (!item) break;
      order.push(item.payload?.kind.case === "request" ? item.payload.kind.value.text : "?");
      await cp.clients.queues.complete({ itemId: item.id, leaseToken });
    }
    expect(order).toEqual(["i1", "i2", "n1", "n2", "b1"]);
  });

  it("a long-polling claim wakes on enqueue, long before the safety-net poll", async () => {
    // A safety-net poll far beyond the claim's wait: only the enqueue's wake-up can answer it with the item.
    const slowPoll = await startTestControlPlane({ store, overrides: { "queues.pollSeconds": 300 } });
    try {
      const { session } = await slowPoll.clients.sessions.createSession({ title: "long poll" });
      const claiming = slowPoll.clients.queues.claim({ queue: QueueName.COMPLETIONS, workerId: "integrator", wait: durationFromMs(20_000) });
      // A negative window: with the queue empty the claim must still be waiting, not answered empty.
      expect(await settlesWithin(claiming, 200)).toBe(false);
      await slowPoll.clients.queues.enqueue({
        queue: QueueName.COMPLETIONS,
        sessionId: session!.id,
        payload: create(ItemPayloadSchema, {
          kind: { case: "completion", value: { jobId: "job_01JD0000000000000000000000", branch: "agent/w/j", sha: "a".repeat(40) } },
        }),
      });
      const { item } = await claiming;
      expect(item?.queue).toBe(QueueName.COMPLETIONS);
    } finally {
      await slowPoll.stop();
    }
  });

  it("refuses a stale lease token, and shows cancel to the holder on renewal", async () => {
    await cp.clients.queues.enqueue({ queue: QueueName.JOBS, sessionId, payload: scriptJob("sleep 1") });
    const { item, leaseToken } = await cp.clients.queues.claim({ queue: QueueName.JOBS, workerId: "w1" });
    const stale = await cp.clients.queues.complete({ itemId: item!.id, leaseToken: "lse_01JD0000000000000000000000" }).catch((error: unknown) => error);
    expect(stale).toMatchObject({ code: Code.FailedPrecondition });
    // The typed detail crosses the wire: the holder decides by it, not by the message.
    expect(leaseLostDetail(stale)).toMatchObject({ itemId: item!.id, status: ItemStatus.CLAIMED, heldBy: "w1" });
    const { item: cancelled } = await cp.clients.queues.cancel({ itemId: item!.id, reason: "changed my mind" });
    expect(cancelled?.cancelRequested).toBe(true);
    const renewed = await cp.clients.queues.renewLease({ itemId: item!.id, leaseToken });
    expect(renewed.cancelRequested).toBe(true);
    const { item: failed } = await cp.clients.queues.fail({ itemId: item!.id, leaseToken, error: "cancelled", mode: 2 });
    expect(failed?.status).toBe(ItemStatus.FAILED);
  });

  it("gives pending items a position and an ETA", async () => {
    const fresh = (await cp.clients.sessions.createSession({ title: "positions" })).session!.id;
    const first = await cp.clients.queues.enqueue({ queue: QueueName.REQUESTS, sessionId: fresh, payload: request("p1") });
    const second = await cp.clients.queues.enqueue({ queue: QueueName.REQUESTS, sessionId: fresh, payload: request("p2") });
    const { item } = await cp.clients.queues.getItem({ itemId: second.item!.id });
    expect(item?.position?.ahead).toBe((first.item?.position?.ahead ?? 0) + 1);
    expect(item?.position?.eta).toBeDefined();
  });
});

function request(text: string): ItemPayload {
  return create(ItemPayloadSchema, { kind: { case: "request", value: { text } } });
}

/** Whether `promise` settles within `ms` (a negative window when the answer must be false). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const window = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = promise.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, window]);
  } finally {
    clearTimeout(timer);
  }
}
