import { describe, expect, it } from "vitest";
import { ApprovalKind, ApprovalStatus } from "../../gen/pushpals/v1/approvals_pb.js";
import { git } from "../support/git.js";
import { eventsOf, loggedEvent } from "./support/audit-log.js";
import { expectOneMerge } from "./support/one-merge.js";
import { useSystemUnderTest } from "./support/use-system-under-test.js";

/**
 * Issue 13's approvals on the whole embedded system (`pushpals up`, scripted model): a high-risk
 * plan waits for a person, then runs; with [approvals] push = ask, integration waits again
 * before pushing; both answers are in ListEvents, in order, with who gave them.
 */
describe("approvals on the whole path", () => {
  const sut = useSystemUnderTest();

  it("a high-risk plan waits; approved, it runs; its push waits; approved, it merges once, every answer audited in order", async () => {
    const system = await sut.start({ mode: "embedded", script: "fix-math-high-risk.jsonl", leaseSeconds: 10, env: { PUSHPALS_APPROVALS_PUSH: "ask" } });
    const { clients } = system;
    const sessionId = (await clients.sessions.createSession({ title: "approvals whole path" })).session!.id;
    const work = sut.follow(sessionId, { timeoutMs: 90_000 });
    await clients.chat.send({ sessionId, text: "fix the failing test", author: "e2e" });

    const planAsked = await loggedEvent(clients, sessionId, "approvalRequested", 30_000);
    const plan = planAsked.payload.value.approval!;
    expect(plan).toMatchObject({ kind: ApprovalKind.PLAN, rule: "approvals.plan.high: the plan's risk is high" });
    expect(
      (await clients.queues.listItems({ sessionId })).items.filter((i) => i.id.startsWith("job_")),
      "no job while the plan waits",
    ).toEqual([]);
    await clients.approvals.approve({ id: plan.id, answeredBy: "ada", comment: "fine" });

    const waitingPush = async () => {
      // Bounded: the race below ends the test if the merge comes (or fails) without a push approval.
      for (const deadline = Date.now() + 90_000; Date.now() < deadline; ) {
        const { approvals } = await clients.approvals.listApprovals({ sessionId, pendingOnly: true });
        const push = approvals.find((a) => a.kind === ApprovalKind.PUSH);
        if (push) return push;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return undefined;
    };
    const push = await Promise.race([waitingPush(), work.merged.then(() => undefined)]);
    expect(push, "integration asked before pushing").toBeDefined();
    await clients.approvals.approve({ id: push!.id, answeredBy: "bob" });
    await work.merged;

    const { log } = await expectOneMerge(system, sessionId, "approvals");
    const audited = log.flatMap((e) =>
      e.payload.case === "approvalRequested"
        ? [["requested", e.payload.value.approval!.id]]
        : e.payload.case === "approvalAnswered"
          ? [["answered", e.payload.value.approvalId, e.payload.value.answeredBy, ApprovalStatus[e.payload.value.status]]]
          : e.payload.case === "jobEnqueued" || e.payload.case === "completionCompleted"
            ? [[e.payload.case]]
            : [],
    );
    expect(audited).toEqual([
      ["requested", plan.id],
      ["answered", plan.id, "ada", "APPROVED"],
      ["jobEnqueued"],
      ["requested", push!.id],
      ["answered", push!.id, "bob", "APPROVED"],
      ["completionCompleted"],
    ]);
    expect(eventsOf(log, "integrationStep").map((e) => e.payload.value.stage)).toEqual(expect.arrayContaining(["approval", "push"]));
  }, 120_000);

  it("push approval survives a restart of the whole system: nothing pushed while waiting, asked once, merged once after the answer", async () => {
    const system = await sut.start({ mode: "embedded", script: "fix-math.jsonl", leaseSeconds: 5, env: { PUSHPALS_APPROVALS_PUSH: "ask" } });
    const sessionId = (await system.clients.sessions.createSession({ title: "push approval across a restart" })).session!.id;
    await system.clients.chat.send({ sessionId, text: "fix the failing test", author: "e2e" });
    const asked = (await loggedEvent(system.clients, sessionId, "approvalRequested", 60_000)).payload.value.approval!;
    expect(asked.kind).toBe(ApprovalKind.PUSH);
    const remoteTip = await git(system.remote, "for-each-ref", "--format=%(objectname)", "refs/heads/main_agents");

    const { clients } = await system.restart();
    // The restarted integrator takes the completion again once its lease expires, and waits on the same request.
    await until(async () => (await clients.queues.getItem({ itemId: asked.itemId })).item?.attempts === 2, 30_000);
    expect(await git(system.remote, "for-each-ref", "--format=%(objectname)", "refs/heads/main_agents"), "nothing was pushed while waiting").toBe(remoteTip);
    expect((await clients.approvals.listApprovals({ sessionId })).approvals.map((a) => a.id)).toEqual([asked.id]);

    const work = sut.follow(sessionId, { timeoutMs: 60_000, clients });
    await clients.approvals.approve({ id: asked.id, answeredBy: "ada" });
    await work.merged;
    const { log } = await expectOneMerge({ ...system, clients }, sessionId, "approvals-restart");
    expect(eventsOf(log, "approvalRequested")).toHaveLength(1);
    expect(eventsOf(log, "approvalAnswered").map((e) => e.payload.value.answeredBy)).toEqual(["ada"]);
  }, 150_000);
});

/** Polls `condition` (the restarted system's state has no event to wait on from here) until it holds. */
async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
