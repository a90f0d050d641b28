import { afterEach, describe, expect, it } from "vitest";
import { ApprovalKind, ApprovalStatus, type Approval } from "../../gen/pushpals/v1/approvals_pb.js";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import type { Event } from "../../gen/pushpals/v1/events_pb.js";
import { runIntegrationWorker } from "../../services/integration/worker/run-worker.js";
import type { Clients } from "../../shared/clients.js";
import { createLogger } from "../../shared/log.js";
import { history } from "../integration/support/scene.js";
import { git } from "../support/git.js";
import { createServiceScene, type ServiceScene } from "../integration/support/service-scene.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";
import { freshDatabase, type FreshDatabase } from "../support/postgres.js";

const ASK_PUSH = { "approvals.push": "ask", "integration.leaseSeconds": 3 };

async function pendingApproval(clients: Clients, sessionId: string, timeoutMs = 20_000): Promise<Approval> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { approvals } = await clients.approvals.listApprovals({ sessionId, pendingOnly: true });
    if (approvals[0]) return approvals[0];
    if (Date.now() > deadline) throw new Error("integration asked for no approval in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The job's commits on the supervisor's repository's integration branch (made by sync when the remote has none). */
const mergedLocally = async (repo: string, jobId: string) => (await git(repo, "log", "--format=%B", "refs/heads/main_agents")).includes(jobId);

async function eventsOf(clients: Clients, sessionId: string, itemId: string): Promise<Event[]> {
  return (await clients.sessions.listEvents({ sessionId, itemId, limit: 1000 })).events;
}

describe("[approvals] push = ask: integration holds the merge unpushed until approved", () => {
  let s: ServiceScene | undefined;
  let database: FreshDatabase | undefined;
  let second: TestControlPlane | undefined;
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await second?.stop();
    await s?.close();
    await database?.drop();
    s = second = database = undefined;
  });

  it("deny → nothing merged or pushed; the completion fails with who denied and why", async () => {
    s = await createServiceScene();
    const tip = await s.git.remoteRef("refs/heads/main_agents");
    s.startWorker({ overrides: ASK_PUSH });
    const job = await s.git.job({ "a.txt": "a\n" });
    const item = await s.enqueue(job);
    const approval = await pendingApproval(s.cp.clients, s.sessionId);
    expect(approval).toMatchObject({ kind: ApprovalKind.PUSH, itemId: item.id, rule: "approvals.push: every push asks" });
    expect(approval.subject).toMatch(new RegExp(`^Push ${job.jobId}'s change \\([0-9a-f]{12}\\) to origin/main_agents\\?`));
    await s.cp.clients.approvals.deny({ id: approval.id, answeredBy: "bob", comment: "release freeze" });
    const done = await s.waitFor(item.id, [ItemStatus.FAILED, ItemStatus.COMPLETED, ItemStatus.DEAD_LETTER]);
    expect(done).toMatchObject({ status: ItemStatus.FAILED, lastError: "approval: push not approved: denied by bob: release freeze" });
    expect(await s.git.remoteRef("refs/heads/main_agents")).toBe(tip);
    expect(await mergedLocally(s.git.repo, job.jobId), "the local integration branch did not move either").toBe(false);
  }, 60_000);

  it("a restart of the control plane and integration while waiting loses nothing, asks once, and merges once approved", async () => {
    database = await freshDatabase("approvals");
    s = await createServiceScene({ controlPlane: { databaseUrl: database.url } });
    const tip = await s.git.remoteRef("refs/heads/main_agents");
    const first = s.startWorker({ overrides: ASK_PUSH });
    const job = await s.git.job({ "b.txt": "b\n" });
    const item = await s.enqueue(job);
    const approval = await pendingApproval(s.cp.clients, s.sessionId);
    // Held: the lease is kept (the item stays claimed), the branch is not moved, nothing is pushed.
    expect((await s.cp.clients.queues.getItem({ itemId: item.id })).item?.status).toBe(ItemStatus.CLAIMED);
    expect(await s.git.remoteRef("refs/heads/main_agents")).toBe(tip);
    expect(await mergedLocally(s.git.repo, job.jobId), "the local integration branch did not move either").toBe(false);

    // The whole system goes down (integration, then the control plane) and comes back on the same database.
    await first.stop();
    await s.cp.stop();
    second = await startTestControlPlane({ databaseUrl: database.url });
    const controller = new AbortController();
    const config = s.config(ASK_PUSH);
    const running = runIntegrationWorker({ config, logger: createLogger("test-integration"), controlPlaneUrl: second.url, clients: second.clients }, controller.signal);
    stops.push(async () => (controller.abort(), await running));

    const clients = second.clients;
    const deadline = Date.now() + 30_000;
    while ((await clients.queues.getItem({ itemId: item.id })).item?.attempts !== 2) {
      if (Date.now() > deadline) throw new Error("the completion was not claimed again after the restart");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Asked once: the new attempt waits on the same request.
    expect((await clients.approvals.listApprovals({ sessionId: s.sessionId })).approvals.map((a) => a.id)).toEqual([approval.id]);
    await clients.approvals.approve({ id: approval.id, answeredBy: "ada", comment: "ship it" });
    for (;;) {
      const current = (await clients.queues.getItem({ itemId: item.id })).item!;
      if (current.status === ItemStatus.COMPLETED) break;
      if (current.status !== ItemStatus.CLAIMED && current.status !== ItemStatus.PENDING) throw new Error(`completion ended ${ItemStatus[current.status]}: ${current.lastError}`);
      if (Date.now() > deadline + 30_000) throw new Error("the completion did not complete after approval");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const log = await history(s.git.remote, "main_agents");
    expect(log.filter((c) => c.jobs.includes(job.jobId))).toHaveLength(1);

    const kinds = (await eventsOf(clients, s.sessionId, item.id)).map((e) => e.payload.case);
    const audited = kinds.filter((k) => k === "approvalRequested" || k === "approvalAnswered" || k === "completionCompleted");
    expect(audited).toEqual(["approvalRequested", "approvalAnswered", "completionCompleted"]);
    const answered = (await eventsOf(clients, s.sessionId, item.id)).find((e) => e.payload.case === "approvalAnswered")!;
    expect(answered.payload.value).toMatchObject({ approvalId: approval.id, status: ApprovalStatus.APPROVED, answeredBy: "ada", comment: "ship it", kind: ApprovalKind.PUSH });
  }, 90_000);
});
