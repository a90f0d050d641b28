import { afterEach, describe, expect, it } from "vitest";
import { ApprovalKind, ApprovalStatus, type Approval } from "../../gen/pushpals/v1/approvals_pb.js";
import { ItemStatus, Priority, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { eventsOf, finished, jobsOf, scene, sessionEvents, waitForItem, type Scene } from "../planner/support.js";

let current: Scene | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function enqueueRequest(s: Scene): Promise<string> {
  const { item } = await s.cp.clients.queues.enqueue({
    queue: QueueName.REQUESTS,
    sessionId: s.sessionId,
    priority: Priority.NORMAL,
    payload: { kind: { case: "request", value: { text: "Make greet take a name", origin: "api" } } },
  });
  return item!.id;
}

/** The session's approval request, once the planner has made it (the planner holds the request meanwhile). */
async function pendingApproval(s: Scene, timeoutMs = 15_000): Promise<Approval> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { approvals } = await s.cp.clients.approvals.listApprovals({ sessionId: s.sessionId, pendingOnly: true });
    if (approvals[0]) return approvals[0];
    if (Date.now() > deadline) throw new Error("no approval was requested in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const approvalEvents = async (s: Scene) =>
  (await sessionEvents(s.cp.clients, s.sessionId)).filter((e) => e.payload.case === "approvalRequested" || e.payload.case === "approvalAnswered");

describe("[approvals.plan]: a high-risk plan waits for a person", () => {
  it("the plan is held (no job) while asked; approve → its job is enqueued; the request and answer are audited with who answered", async () => {
    current = await scene({ script: "plan-high-risk.jsonl" });
    const { cp, sessionId } = current;
    const requestId = await enqueueRequest(current);
    current.startPlanner();
    const approval = await pendingApproval(current);
    expect(approval).toMatchObject({ kind: ApprovalKind.PLAN, itemId: requestId, rule: "approvals.plan.high: the plan's risk is high", status: ApprovalStatus.PENDING });
    expect(approval.subject).toMatch(/^Run the plan for "Make greet take a name"\? I will change greet\(\).*risk high, writes src\/\*\*, tests\/\*\*/);
    // Held: the planner keeps the request's lease and enqueues nothing.
    expect((await cp.clients.queues.getItem({ itemId: requestId })).item?.status).toBe(ItemStatus.CLAIMED);
    expect(await jobsOf(cp.clients, sessionId)).toEqual([]);

    await cp.clients.approvals.approve({ id: approval.id, answeredBy: "ada", comment: "go" });
    const request = await waitForItem(cp.clients, requestId, finished);
    expect(request.status).toBe(ItemStatus.COMPLETED);
    const jobs = await jobsOf(cp.clients, sessionId);
    expect(jobs).toHaveLength(1);
    const events = await sessionEvents(cp.clients, sessionId);
    const order = events.map((e) => e.payload.case).filter((c) => ["planCreated", "approvalRequested", "approvalAnswered", "jobEnqueued", "requestCompleted"].includes(c!));
    expect(order).toEqual(["planCreated", "approvalRequested", "approvalAnswered", "jobEnqueued", "requestCompleted"]);
    expect(eventsOf(events, "approvalAnswered")).toEqual([expect.objectContaining({ approvalId: approval.id, status: ApprovalStatus.APPROVED, answeredBy: "ada", comment: "go" })]);
  });

  it("deny → the request ends failed with the comment, the person is told, no job", async () => {
    current = await scene({ script: "plan-high-risk.jsonl" });
    const { cp, sessionId } = current;
    const requestId = await enqueueRequest(current);
    current.startPlanner();
    const approval = await pendingApproval(current);
    await cp.clients.approvals.deny({ id: approval.id, answeredBy: "bob", comment: "touches the billing code" });
    const request = await waitForItem(cp.clients, requestId, finished);
    expect(request).toMatchObject({ status: ItemStatus.FAILED, lastError: "not approved: denied by bob: touches the billing code" });
    expect(await jobsOf(cp.clients, sessionId)).toEqual([]);
    const told = eventsOf(await sessionEvents(cp.clients, sessionId), "assistantMessage").map((m) => m.text);
    expect(told).toContain("I will not run this plan: denied by bob: touches the billing code.");
  });

  it("no answer → the timeout action (deny) applies, audited as answered by timeout", async () => {
    current = await scene({ script: "plan-high-risk.jsonl", controlPlane: { overrides: { "approvals.timeoutSeconds": 1 } } });
    const { cp, sessionId } = current;
    const requestId = await enqueueRequest(current);
    current.startPlanner();
    const request = await waitForItem(cp.clients, requestId, finished, 30_000);
    expect(request).toMatchObject({ status: ItemStatus.FAILED, lastError: "not approved: nobody answered in time (timeout action: deny)" });
    expect(await jobsOf(cp.clients, sessionId)).toEqual([]);
    expect((await approvalEvents(current)).map((e) => [e.payload.case, e.payload.case === "approvalAnswered" ? e.payload.value.answeredBy : ""])).toEqual([
      ["approvalRequested", ""],
      ["approvalAnswered", "timeout"],
    ]);
  });

  it.each(["sqlite", "postgres"] as const)(
    "on %s: a planner stopped while waiting loses nothing; the next one asks nothing again and runs the plan once approved",
    async (store) => {
      current = await scene({ script: "plan-high-risk.jsonl", planner: { leaseMs: 1500 }, controlPlane: { store } });
      const { cp, sessionId, model } = current;
      const requestId = await enqueueRequest(current);
      const first = current.startPlanner({ workerId: "planner-one" });
      const approval = await pendingApproval(current);
      await first.stop();
      current.startPlanner({ workerId: "planner-two" });
      // The second planner claims the request after the lease expires, finds the recorded plan and the same approval request.
      await waitForItem(cp.clients, requestId, (item) => item.claimedBy === "planner-two" && item.status === ItemStatus.CLAIMED);
      await cp.clients.approvals.approve({ id: approval.id, answeredBy: "ada" });
      const request = await waitForItem(cp.clients, requestId, finished);
      expect(request).toMatchObject({ status: ItemStatus.COMPLETED, attempts: 2 });
      expect(await jobsOf(cp.clients, sessionId)).toHaveLength(1);
      expect(model.requests()).toHaveLength(1);
      expect((await approvalEvents(current)).map((e) => e.payload.case)).toEqual(["approvalRequested", "approvalAnswered"]);
      expect((await cp.clients.approvals.listApprovals({ sessionId })).approvals).toHaveLength(1);
    },
  );
});
