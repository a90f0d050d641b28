import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ItemStatus, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { ItemPayloadSchema } from "../../gen/pushpals/v1/items_pb.js";
import { FailMode } from "../../gen/pushpals/v1/queues_pb.js";
import { Lane } from "../../gen/pushpals/v1/task_pb.js";
import { createClients } from "../../shared/clients.js";
import { keepLease, LeaseEndedError } from "../../shared/lease-keeper.js";
import { silentLogger } from "../../shared/log.js";
import { durationFromMs, fromTimestamp } from "../../shared/time.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";

/** The lease keeper every claimer (planner, runner, integration) works under, against a real control plane. */
describe("lease keeper", () => {
  let cp: TestControlPlane;
  let sessionId: string;
  beforeAll(async () => {
    cp = await startTestControlPlane();
    sessionId = (await cp.clients.sessions.createSession({ title: "leases" })).session!.id;
  });
  afterAll(() => cp?.stop());

  async function claimed(leaseMs: number) {
    const payload = create(ItemPayloadSchema, { kind: { case: "taskExecuteV2", value: { lane: Lane.DETERMINISTIC, instruction: "true" } } });
    await cp.clients.queues.enqueue({ queue: QueueName.JOBS, sessionId, payload });
    const claim = await cp.clients.queues.claim({ queue: QueueName.JOBS, workerId: "leases", leaseDuration: durationFromMs(leaseMs) });
    if (!claim.item) throw new Error("nothing claimed");
    return { itemId: claim.item.id, leaseToken: claim.leaseToken, expiresAtMs: fromTimestamp(claim.leaseExpiresAt) ?? 0 };
  }
  const options = (leaseMs: number, signal = new AbortController().signal) => ({ leaseMs, signal, logger: silentLogger, what: "job" });
  const aborted = (signal: AbortSignal) => new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it("keeps a 1 s lease alive for as long as the work takes", async () => {
    const lease = await claimed(1000);
    const keeper = keepLease(cp.clients.queues, lease, { ...options(1000), expiresAtMs: lease.expiresAtMs });
    await sleep(2500);
    const { item } = await cp.clients.queues.getItem({ itemId: lease.itemId });
    expect(item?.status).toBe(ItemStatus.CLAIMED);
    expect(fromTimestamp(item?.leaseExpiresAt)).toBeGreaterThan(Date.now());
    expect(await keeper.confirm()).toBeUndefined();
    await keeper.stop();
    expect(keeper.ended).toBeUndefined();
  });

  it("a lease taken away ends as lost and aborts the work with the reason", async () => {
    const lease = await claimed(1500);
    const keeper = keepLease(cp.clients.queues, lease, options(1500));
    await cp.clients.queues.fail({ itemId: lease.itemId, leaseToken: lease.leaseToken, error: "taken away", mode: FailMode.RETRY });
    await aborted(keeper.signal);
    expect(keeper.ended?.kind).toBe("lost");
    expect(keeper.signal.reason).toBeInstanceOf(LeaseEndedError);
    await keeper.stop();
  });

  it("confirm() sees a lost lease at once, without waiting for the next beat", async () => {
    const lease = await claimed(30_000);
    const keeper = keepLease(cp.clients.queues, lease, options(30_000));
    await cp.clients.queues.fail({ itemId: lease.itemId, leaseToken: lease.leaseToken, error: "taken away", mode: FailMode.RETRY });
    expect((await keeper.confirm())?.kind).toBe("lost");
    expect(keeper.signal.aborted).toBe(true);
    await keeper.stop();
  });

  it("a cancel request ends it as cancelled", async () => {
    const lease = await claimed(1500);
    const keeper = keepLease(cp.clients.queues, lease, options(1500));
    await cp.clients.queues.cancel({ itemId: lease.itemId, reason: "not wanted" });
    await aborted(keeper.signal);
    expect(keeper.ended?.kind).toBe("cancelled");
    await keeper.stop();
  });

  it("the holder stopping ends it as stopping, at once", async () => {
    const lease = await claimed(30_000);
    const holder = new AbortController();
    const keeper = keepLease(cp.clients.queues, lease, options(30_000, holder.signal));
    holder.abort();
    expect(keeper.signal.aborted).toBe(true);
    expect(keeper.ended?.kind).toBe("stopping");
    await keeper.stop();
  });

  it("an unreachable control plane is waited out until the lease would have expired, then it is lost", async () => {
    const unreachable = createClients("http://127.0.0.1:9").queues;
    const started = Date.now();
    const keeper = keepLease(
      unreachable,
      { itemId: "job_01JD0000000000000000000000", leaseToken: "lse_01JD0000000000000000000000" },
      {
        ...options(1200),
        expiresAtMs: started + 1200,
      },
    );
    await aborted(keeper.signal);
    expect(keeper.ended?.kind).toBe("lost");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1200);
    await keeper.stop();
  });

  it("confirm() counts an unreachable control plane as lost: an irreversible step must not go ahead", async () => {
    const unreachable = createClients("http://127.0.0.1:9").queues;
    const keeper = keepLease(unreachable, { itemId: "job_01JD0000000000000000000000", leaseToken: "lse_01JD0000000000000000000000" }, options(60_000));
    expect((await keeper.confirm())?.kind).toBe("lost");
    await keeper.stop();
  });
});
