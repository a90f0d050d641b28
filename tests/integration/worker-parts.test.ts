import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ItemStatus, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { IntegrationStepSchema, type Event } from "../../gen/pushpals/v1/events_pb.js";
import { ItemPayloadSchema } from "../../gen/pushpals/v1/items_pb.js";
import { FailMode } from "../../gen/pushpals/v1/queues_pb.js";
import { Lane } from "../../gen/pushpals/v1/task_pb.js";
import { checkOutputLog, CHECK_OUTPUT_STAGE } from "../../services/integration/worker/check-output-log.js";
import { eventRecorder, type EventRecorder } from "../../services/integration/worker/event-recorder.js";
import { keepLease, type HeldLease } from "../../services/integration/worker/lease-keeper.js";
import { createClients } from "../../services/kernel/clients.js";
import { silentLogger } from "../../services/kernel/log.js";
import { durationFromMs, fromTimestamp } from "../../services/kernel/time.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";

/** The lease keeper and the event recorder against a real control plane. */
describe("worker parts", () => {
  let cp: TestControlPlane;
  let sessionId: string;

  beforeAll(async () => {
    cp = await startTestControlPlane();
    sessionId = (await cp.clients.sessions.createSession({ title: "parts" })).session?.id ?? "";
  });
  afterAll(async () => {
    await cp.stop();
  });

  /** A claimed item on the jobs queue (any queue's lease behaves the same). */
  async function claimed(leaseMs: number): Promise<HeldLease> {
    const payload = create(ItemPayloadSchema, { kind: { case: "taskExecuteV2", value: { lane: Lane.DETERMINISTIC, instruction: "true" } } });
    await cp.clients.queues.enqueue({ queue: QueueName.JOBS, sessionId, payload });
    const claim = await cp.clients.queues.claim({ queue: QueueName.JOBS, workerId: "parts", leaseDuration: durationFromMs(leaseMs) });
    if (!claim.item) throw new Error("nothing claimed");
    return { itemId: claim.item.id, token: claim.leaseToken, expiresAtMs: fromTimestamp(claim.leaseExpiresAt) ?? 0 };
  }

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it("keeps a 1 s lease alive for as long as the work takes", async () => {
    const lease = await claimed(1000);
    const keeper = keepLease(cp.clients.queues, lease, { leaseMs: 1000, signal: new AbortController().signal, log: silentLogger });
    await sleep(2500);
    const { item } = await cp.clients.queues.getItem({ itemId: lease.itemId });
    expect(item?.status).toBe(ItemStatus.CLAIMED);
    expect(fromTimestamp(item?.leaseExpiresAt)).toBeGreaterThan(Date.now());
    expect(keeper.signal.aborted).toBe(false);
    await keeper.stop();
    expect(keeper.ended).toBeUndefined();
  });

  it("a lease taken away ends as lost and aborts the work", async () => {
    const lease = await claimed(1500);
    const keeper = keepLease(cp.clients.queues, lease, { leaseMs: 1500, signal: new AbortController().signal, log: silentLogger });
    await cp.clients.queues.fail({ itemId: lease.itemId, leaseToken: lease.token, error: "taken away", mode: FailMode.RETRY });
    await new Promise((resolve) => keeper.signal.addEventListener("abort", resolve, { once: true }));
    expect(keeper.ended).toBe("lost");
    await keeper.stop();
  });

  it("a cancel request ends it as cancel", async () => {
    const lease = await claimed(1500);
    const keeper = keepLease(cp.clients.queues, lease, { leaseMs: 1500, signal: new AbortController().signal, log: silentLogger });
    await cp.clients.queues.cancel({ itemId: lease.itemId, reason: "not wanted" });
    await new Promise((resolve) => keeper.signal.addEventListener("abort", resolve, { once: true }));
    expect(keeper.ended).toBe("cancel");
    await keeper.stop();
  });

  it("the service stopping ends it as stopping, at once", async () => {
    const lease = await claimed(30_000);
    const service = new AbortController();
    const keeper = keepLease(cp.clients.queues, lease, { leaseMs: 30_000, signal: service.signal, log: silentLogger });
    service.abort();
    expect(keeper.signal.aborted).toBe(true);
    expect(keeper.ended).toBe("stopping");
    await keeper.stop();
  });

  it("an unreachable control plane is waited out until the lease would have expired, then it is lost", async () => {
    const unreachable = createClients("http://127.0.0.1:9").queues;
    const started = Date.now();
    const keeper = keepLease(unreachable, { itemId: "job_01JD0000000000000000000000", token: "lse_01JD0000000000000000000000", expiresAtMs: started + 1200 }, {
      leaseMs: 1200,
      signal: new AbortController().signal,
      log: silentLogger,
    });
    await new Promise((resolve) => keeper.signal.addEventListener("abort", resolve, { once: true }));
    expect(keeper.ended).toBe("lost");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1200);
    await keeper.stop();
  });

  it("the recorder appends everything in the order recorded, batching past AppendEvents' 100 per call", async () => {
    const { session } = await cp.clients.sessions.createSession({ title: "recorder" });
    const id = session?.id ?? "";
    const recorder = eventRecorder(cp.clients.sessions, { sessionId: id, itemId: "cmp_01JD0000000000000000000000" }, silentLogger);
    for (let i = 0; i < 250; i++) recorder.record({ case: "integrationStep", value: create(IntegrationStepSchema, { stage: "check", detail: String(i) }) });
    await recorder.flush();
    const { events } = await cp.clients.sessions.listEvents({ sessionId: id, limit: 1000 });
    const steps = events.filter((e) => e.payload.case === "integrationStep");
    expect(steps.map((e) => (e.payload.case === "integrationStep" ? e.payload.value.detail : ""))).toEqual(Array.from({ length: 250 }, (_, i) => String(i)));
    expect(steps.every((e) => e.itemId === "cmp_01JD0000000000000000000000")).toBe(true);
  });

  it("a recorder whose appends fail drops them without throwing or stalling", async () => {
    const recorder = eventRecorder(cp.clients.sessions, { sessionId: "ses_01JD0000000000000000000000", itemId: "" }, silentLogger);
    recorder.record({ case: "integrationStep", value: create(IntegrationStepSchema, { stage: "sync" }) });
    await expect(recorder.flush()).resolves.toBeUndefined();
  });
});

describe("check output log", () => {
  function memoryRecorder(): EventRecorder & { events: Event["payload"][] } {
    const events: Event["payload"][] = [];
    return { events, record: (payload) => void events.push(payload), flush: async () => undefined };
  }
  const check = { name: "test", command: "npm test", timeoutMs: 1000 };
  const details = (events: Event["payload"][]) => events.map((p) => (p.case === "integrationStep" ? p.value.detail : ""));

  it("gathers chunks into few events, flushes on size and on demand, names the check", () => {
    const recorder = memoryRecorder();
    const log = checkOutputLog(recorder, { flushChars: 10, flushMs: 60_000, maxCharsPerCheck: 1000 });
    log.push(check, "abc");
    log.push(check, "def");
    expect(recorder.events).toHaveLength(0);
    log.push(check, "ghijk");
    expect(details(recorder.events)).toEqual(["abcdefghijk"]);
    log.push(check, "tail");
    log.flush();
    expect(details(recorder.events)).toEqual(["abcdefghijk", "tail"]);
    const first = recorder.events[0];
    expect(first?.case === "integrationStep" && first.value).toMatchObject({ stage: CHECK_OUTPUT_STAGE, check: { name: "test", command: "npm test" } });
    log.close();
  });

  it("flushes on a timer when output trickles", async () => {
    const recorder = memoryRecorder();
    const log = checkOutputLog(recorder, { flushChars: 1000, flushMs: 30, maxCharsPerCheck: 1000 });
    log.push(check, "slow");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(details(recorder.events)).toEqual(["slow"]);
    log.close();
  });

  it("caps live output per check and says so once; the next check starts fresh", () => {
    const recorder = memoryRecorder();
    const log = checkOutputLog(recorder, { flushChars: 1000, flushMs: 60_000, maxCharsPerCheck: 8 });
    log.push(check, "12345");
    log.push(check, "67890");
    log.push(check, "more and more");
    const other = { ...check, name: "lint" };
    log.push(other, "ok");
    log.close();
    expect(details(recorder.events)).toEqual(["12345678", expect.stringMatching(/^\[live output past 8 characters is not recorded/), "ok"]);
  });
});
