import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { describe, expect, test } from "vitest";
import { ApprovalKind, ApprovalStatus, ApprovalTimeoutAction } from "../../../gen/pushpals/v1/approvals_pb.js";
import { isId } from "../../../shared/ids.js";
import type { RequestApprovalInput, Store } from "../../../services/control-plane/store/store.js";
import { allEvents, casesOf, expectCode, newSession } from "../fixtures.js";
import { testClock, type Harness } from "../harness.js";

const ask = (sessionId: string, key: string, extra: Partial<RequestApprovalInput> = {}): RequestApprovalInput => ({
  sessionId,
  itemId: "",
  kind: ApprovalKind.PLAN,
  subject: `run ${key}?`,
  rule: "approvals.plan.high: the plan's risk is high",
  idempotencyKey: key,
  timeoutMs: 60_000,
  timeoutAction: ApprovalTimeoutAction.UNSPECIFIED,
  ...extra,
});

const ids = async (store: Store, input: Parameters<Store["listApprovals"]>[0]) => (await store.listApprovals(input)).map((a) => a.subject);

export function approvalCases(h: Harness): void {
  describe("approval requests", () => {
    test("requestApproval stores a pending request with its event once per key; the timeout action defaults to deny", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      const first = await store.requestApproval(ask(sessionId, "plan:req_1"));
      expect(first.value.existing).toBe(false);
      const approval = first.value.approval;
      expect(isId("approval", approval.id)).toBe(true);
      expect(approval).toMatchObject({
        sessionId,
        status: ApprovalStatus.PENDING,
        timeoutAction: ApprovalTimeoutAction.DENY,
        kind: ApprovalKind.PLAN,
        answeredBy: "",
        timedOut: false,
      });
      expect(timestampMs(approval.expiresAt!) - timestampMs(approval.createdAt!)).toBe(60_000);
      expect(casesOf(first.events)).toEqual(["approvalRequested"]);

      const again = await store.requestApproval(ask(sessionId, "plan:req_1", { subject: "something else" }));
      expect(again.value).toMatchObject({ existing: true, approval: { id: approval.id, subject: "run plan:req_1?" } });
      expect(again.events).toEqual([]);
      expect(await store.getApproval(approval.id)).toEqual(approval);
      expect(await store.getApproval("apr_01HZZZZZZZZZZZZZZZZZZZZZZZ")).toBeUndefined();
      await expectCode(store.requestApproval(ask("ses_01HZZZZZZZZZZZZZZZZZZZZZZZ", "k")), Code.NotFound);
    });

    test("answers: approve and deny once, with who answered; the same answer again is a no-op, the other one is refused", async () => {
      const store = await h.open();
      const sessionId = await newSession(store);
      const a = (await store.requestApproval(ask(sessionId, "a"))).value.approval;
      const b = (await store.requestApproval(ask(sessionId, "b"))).value.approval;
      const approved = await store.answerApproval({ id: a.id, status: ApprovalStatus.APPROVED, answeredBy: "ada", comment: "" });
      expect(approved.value).toMatchObject({ status: ApprovalStatus.APPROVED, answeredBy: "ada" });
      expect(approved.value.answeredAt).toBeDefined();
      expect(casesOf(approved.events)).toEqual(["approvalAnswered"]);
      expect(approved.events[0]!.payload.value).toMatchObject({ approvalId: a.id, status: ApprovalStatus.APPROVED, answeredBy: "ada", timedOut: false });
      const retried = await store.answerApproval({ id: a.id, status: ApprovalStatus.APPROVED, answeredBy: "ada", comment: "" });
      expect(retried.events).toEqual([]);
      await expectCode(store.answerApproval({ id: a.id, status: ApprovalStatus.DENIED, answeredBy: "bob", comment: "no" }), Code.FailedPrecondition);
      const denied = await store.answerApproval({ id: b.id, status: ApprovalStatus.DENIED, answeredBy: "bob", comment: "too risky" });
      expect(denied.value).toMatchObject({ status: ApprovalStatus.DENIED, answeredBy: "bob", comment: "too risky" });
      await expectCode(store.answerApproval({ id: "apr_01HZZZZZZZZZZZZZZZZZZZZZZZ", status: ApprovalStatus.APPROVED, answeredBy: "x", comment: "" }), Code.NotFound);
      expect(casesOf(await allEvents(store, sessionId))).toEqual(["sessionCreated", "approvalRequested", "approvalRequested", "approvalAnswered", "approvalAnswered"]);
    });

    test("expireApprovals applies each request's timeout action once, answered by timeout", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      const deny = (await store.requestApproval(ask(sessionId, "d", { timeoutMs: 1000 }))).value.approval;
      const approve = (await store.requestApproval(ask(sessionId, "p", { timeoutMs: 1000, timeoutAction: ApprovalTimeoutAction.APPROVE }))).value.approval;
      const later = (await store.requestApproval(ask(sessionId, "l", { timeoutMs: 5000 }))).value.approval;
      expect((await store.expireApprovals()).value).toBe(0);
      clock.advance(1000);
      const expired = await store.expireApprovals();
      expect(expired.value).toBe(2);
      expect(expired.events.map((e) => e.payload.value)).toEqual([
        expect.objectContaining({ approvalId: deny.id, status: ApprovalStatus.DENIED, answeredBy: "timeout", timedOut: true }),
        expect.objectContaining({ approvalId: approve.id, status: ApprovalStatus.APPROVED, answeredBy: "timeout", timedOut: true }),
      ]);
      expect((await store.expireApprovals()).events).toEqual([]);
      expect((await store.getApproval(later.id))?.status).toBe(ApprovalStatus.PENDING);
      // A person's late answer is refused with what happened.
      const late = store.answerApproval({ id: deny.id, status: ApprovalStatus.DENIED, answeredBy: "ada", comment: "no" });
      await expect(late).rejects.toThrow(/already denied by timeout \(no answer in time\)/);
    });

    test("listApprovals: pending first (oldest first), then answered (newest answer first), paginated, per session", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const s1 = await newSession(store);
      const s2 = await newSession(store);
      const made = [];
      for (const key of ["a", "b", "c", "d", "e"]) {
        clock.advance(10);
        made.push((await store.requestApproval(ask(key === "e" ? s2 : s1, key))).value.approval);
      }
      clock.advance(10);
      await store.answerApproval({ id: made[1]!.id, status: ApprovalStatus.APPROVED, answeredBy: "ada", comment: "" });
      clock.advance(10);
      await store.answerApproval({ id: made[3]!.id, status: ApprovalStatus.DENIED, answeredBy: "ada", comment: "no" });
      expect(await ids(store, { limit: 10 })).toEqual(["run a?", "run c?", "run e?", "run d?", "run b?"]);
      expect(await ids(store, { limit: 10, sessionId: s1 })).toEqual(["run a?", "run c?", "run d?", "run b?"]);
      expect(await ids(store, { limit: 10, pendingOnly: true })).toEqual(["run a?", "run c?", "run e?"]);
      const page1 = await store.listApprovals({ limit: 2 });
      const page2 = await store.listApprovals({ limit: 2, after: page1.at(-1)!.id });
      const page3 = await store.listApprovals({ limit: 2, after: page2.at(-1)!.id });
      expect([...page1, ...page2, ...page3].map((a) => a.subject)).toEqual(["run a?", "run c?", "run e?", "run d?", "run b?"]);
      await expectCode(store.listApprovals({ limit: 2, after: "apr_01HZZZZZZZZZZZZZZZZZZZZZZZ" }), Code.InvalidArgument);
    });
  });
}
