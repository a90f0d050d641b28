import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApprovalKind, ApprovalStatus, ApprovalTimeoutAction } from "../../gen/pushpals/v1/approvals_pb.js";
import { durationFromMs } from "../../shared/time.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";

const codeOf = async (call: Promise<unknown>) => {
  try {
    await call;
    return "ok";
  } catch (error) {
    return { code: ConnectError.from(error).code, message: ConnectError.from(error).rawMessage };
  }
};

describe.each(["sqlite", "postgres"] as const)("ApprovalService on %s", (store) => {
  let cp: TestControlPlane;
  let sessionId: string;
  beforeAll(async () => {
    cp = await startTestControlPlane({ store });
    sessionId = (await cp.clients.sessions.createSession({ title: "approvals" })).session!.id;
  });
  afterAll(() => cp?.stop());

  const ask = (key: string, timeoutMs = 600_000, timeoutAction = ApprovalTimeoutAction.UNSPECIFIED) =>
    cp.clients.approvals.requestApproval({
      sessionId,
      kind: ApprovalKind.PLAN,
      subject: `run ${key}?`,
      rule: "approvals.plan.high: the plan's risk is high",
      idempotencyKey: `${store}:${key}`,
      timeout: durationFromMs(timeoutMs),
      timeoutAction,
    });

  it("refuses bad input with the field and what to do", async () => {
    const { approvals } = cp.clients;
    expect(await codeOf(approvals.requestApproval({ sessionId }))).toMatchObject({
      code: Code.InvalidArgument,
      message: expect.stringMatching(/kind: is unspecified.*subject: is required.*rule: is required.*idempotency_key: is required.*timeout: is required/s),
    });
    const { approval } = await ask("bad-input");
    expect(await codeOf(approvals.deny({ id: approval!.id, answeredBy: "ada" }))).toMatchObject({
      code: Code.InvalidArgument,
      message: expect.stringMatching(/^comment: is required/),
    });
    expect(await codeOf(approvals.approve({ id: approval!.id }))).toMatchObject({ code: Code.InvalidArgument, message: expect.stringMatching(/^answered_by: is required/) });
    expect(await codeOf(approvals.approve({ id: "apr_nope", answeredBy: "ada" }))).toMatchObject({
      code: Code.InvalidArgument,
      message: expect.stringMatching(/^id: must be a approval id/),
    });
    expect(await codeOf(approvals.approve({ id: "apr_01HZZZZZZZZZZZZZZZZZZZZZZZ", answeredBy: "ada" }))).toMatchObject({ code: Code.NotFound });
    expect(await codeOf(approvals.listApprovals({ pageToken: "forged" }))).toMatchObject({ code: Code.InvalidArgument, message: expect.stringMatching(/^page_token/) });
    // Nothing was answered by the refused calls.
    expect((await approvals.getApproval({ id: approval!.id })).approval?.status).toBe(ApprovalStatus.PENDING);
  });

  it("a waiting GetApproval returns as soon as a person answers; the answer and who gave it are in ListEvents in order", async () => {
    const { approval } = await ask("wait-for-answer");
    const waiting = cp.clients.approvals.getApproval({ id: approval!.id, wait: durationFromMs(60_000) });
    const again = await ask("wait-for-answer");
    expect(again).toMatchObject({ existing: true, approval: { id: approval!.id } });
    await cp.clients.approvals.deny({ id: approval!.id, answeredBy: "ada", comment: "not on a Friday" });
    const answered = (await waiting).approval!;
    expect(answered).toMatchObject({ status: ApprovalStatus.DENIED, answeredBy: "ada", comment: "not on a Friday" });
    const { events } = await cp.clients.sessions.listEvents({ sessionId, limit: 1000 });
    const about = events.filter(
      (e) =>
        (e.payload.case === "approvalRequested" && e.payload.value.approval?.id === approval!.id) ||
        (e.payload.case === "approvalAnswered" && e.payload.value.approvalId === approval!.id),
    );
    expect(about.map((e) => e.payload.case)).toEqual(["approvalRequested", "approvalAnswered"]);
    expect(about[1]!.payload.value).toMatchObject({ status: ApprovalStatus.DENIED, answeredBy: "ada", comment: "not on a Friday", timedOut: false });
  });

  it("nobody answers: the control plane applies the timeout action and audits it; a late answer is refused", async () => {
    const { approval } = await ask("times-out", 1000, ApprovalTimeoutAction.APPROVE);
    const answered = (await cp.clients.approvals.getApproval({ id: approval!.id, wait: durationFromMs(30_000) })).approval!;
    expect(answered).toMatchObject({ status: ApprovalStatus.APPROVED, answeredBy: "timeout", timedOut: true });
    expect(await codeOf(cp.clients.approvals.deny({ id: approval!.id, answeredBy: "ada", comment: "too late" }))).toMatchObject({
      code: Code.FailedPrecondition,
      message: expect.stringMatching(/already approved by timeout/),
    });
  });

  it("ListApprovals shows pending first and pages with next_page_token", async () => {
    const own = (await cp.clients.sessions.createSession({ title: "listing" })).session!.id;
    const made = [];
    for (const key of ["l1", "l2", "l3"]) {
      made.push(
        (
          await cp.clients.approvals.requestApproval({
            sessionId: own,
            kind: ApprovalKind.PUSH,
            subject: key,
            rule: "approvals.push",
            idempotencyKey: `${store}:${key}`,
            timeout: durationFromMs(600_000),
          })
        ).approval!,
      );
    }
    await cp.clients.approvals.approve({ id: made[0]!.id, answeredBy: "ada" });
    const first = await cp.clients.approvals.listApprovals({ sessionId: own, pageSize: 2 });
    expect(first.approvals.map((a) => a.subject)).toEqual(["l2", "l3"]);
    const second = await cp.clients.approvals.listApprovals({ sessionId: own, pageSize: 2, pageToken: first.nextPageToken });
    expect(second).toMatchObject({ nextPageToken: "" });
    expect(second.approvals.map((a) => [a.subject, a.status])).toEqual([["l1", ApprovalStatus.APPROVED]]);
    expect((await cp.clients.approvals.listApprovals({ sessionId: own, pendingOnly: true })).approvals).toHaveLength(2);
  });
});
