import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApprovalKind, ApprovalStatus } from "../../gen/pushpals/v1/approvals_pb.js";
import { AutonomyMode, CandidateSchema, ObjectiveOutcome, ObjectiveStatus } from "../../gen/pushpals/v1/autonomy_pb.js";
import { ItemStatus, Priority, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { TokenUsageSchema } from "../../gen/pushpals/v1/events_pb.js";
import { FailMode } from "../../gen/pushpals/v1/queues_pb.js";
import { Lane } from "../../gen/pushpals/v1/task_pb.js";
import { durationFromMs, sleep } from "../../shared/time.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";

const errorOf = async (call: Promise<unknown>) => {
  try {
    await call;
    return "ok";
  } catch (error) {
    return { code: ConnectError.from(error).code, message: ConnectError.from(error).rawMessage };
  }
};

const candidate = (target: string, kind = "failing_test") =>
  create(CandidateSchema, {
    kind,
    target,
    key: `${kind}:${target}`,
    title: `check ${target} fails`,
    evidence: "FAIL add(2, 3)",
    evidenceStrength: 1,
    risk: 0.2,
    score: 42,
    estimatedFiles: 1,
  });

describe.each(["sqlite", "postgres"] as const)("AutonomyService on %s", (store) => {
  let cp: TestControlPlane;
  const ttl = durationFromMs(60_000);
  beforeAll(async () => {
    cp = await startTestControlPlane({ store });
  });
  afterAll(() => cp?.stop());

  it("starts off (the config default), refuses bad input by field, and audits mode changes", async () => {
    const { autonomy } = cp.clients;
    const before = await autonomy.getAutonomyStatus({});
    expect(before.state?.mode).toBe(AutonomyMode.OFF);
    expect(before.state?.updatedBy).toBe("config");
    expect(await errorOf(autonomy.setAutonomyMode({ mode: AutonomyMode.FROZEN, by: "ann" }))).toMatchObject({
      code: Code.InvalidArgument,
      message: expect.stringContaining("freeze_for: is required"),
    });
    expect(await errorOf(autonomy.setAutonomyMode({ by: "ann" }))).toMatchObject({ code: Code.InvalidArgument, message: expect.stringContaining("mode: is unspecified") });
    expect(await errorOf(autonomy.acquireDispatchLease({ holder: "Bad Holder!", ttl }))).toMatchObject({ code: Code.InvalidArgument, message: expect.stringContaining("holder:") });

    const { state } = await autonomy.setAutonomyMode({ mode: AutonomyMode.FROZEN, freezeFor: durationFromMs(60_000), by: "ann" });
    expect(state?.mode).toBe(AutonomyMode.FROZEN);
    expect(Number(state!.frozenUntil!.seconds) * 1000).toBeGreaterThan(Date.now() + 50_000);
    const { events } = await cp.clients.sessions.listEvents({ sessionId: state!.auditSessionId });
    const changes = events.filter((e) => e.payload.case === "autonomyModeChanged");
    expect(changes.map((e) => (e.payload.case === "autonomyModeChanged" ? [e.payload.value.state?.mode, e.payload.value.state?.updatedBy] : []))).toEqual([
      [AutonomyMode.FROZEN, "ann"],
    ]);
  });

  it("the dispatch lease has one holder: renewals keep it, others are refused until it expires or is released", async () => {
    const { autonomy } = cp.clients;
    expect((await autonomy.acquireDispatchLease({ holder: "planner-a", ttl: durationFromMs(1500) })).acquired).toBe(true);
    const refused = await autonomy.acquireDispatchLease({ holder: "planner-b", ttl });
    expect(refused).toMatchObject({ acquired: false, lease: { holder: "planner-a" } });
    expect((await autonomy.acquireDispatchLease({ holder: "planner-a", ttl: durationFromMs(1500) })).acquired).toBe(true);
    // A non-holder cannot act.
    expect(await errorOf(autonomy.settleObjectives({ holder: "planner-b", priorAlpha: 0.3 }))).toMatchObject({
      code: Code.FailedPrecondition,
      message: expect.stringContaining("planner-a holds it"),
    });
    await sleep(1700);
    expect((await autonomy.acquireDispatchLease({ holder: "planner-b", ttl: durationFromMs(1500) })).acquired).toBe(true);
    expect((await autonomy.acquireDispatchLease({ holder: "planner-a", ttl })).acquired).toBe(false);
    expect((await autonomy.releaseDispatchLease({ holder: "planner-a" })).released).toBe(false);
    expect((await autonomy.releaseDispatchLease({ holder: "planner-b" })).released).toBe(true);
    expect((await autonomy.acquireDispatchLease({ holder: "planner-a", ttl })).acquired).toBe(true);
  });

  it("dispatches as a background request with origin autonomy and its objective id; failure moves the prior down and counts for health", async () => {
    const { autonomy, queues } = cp.clients;
    await autonomy.setAutonomyMode({ mode: AutonomyMode.ON, by: "ann" });
    const { objective } = await autonomy.proposeObjective({ holder: "planner-a", candidate: candidate("unit"), requestText: "fix the unit check" });
    expect(objective).toMatchObject({ status: ObjectiveStatus.DISPATCHED, key: "failing_test:unit", requestId: expect.stringMatching(/^req_/) });
    const { item } = await queues.getItem({ itemId: objective!.requestId });
    expect(item?.priority).toBe(Priority.BACKGROUND);
    expect(item?.payload?.kind.value).toMatchObject({ origin: "autonomy", objectiveId: objective!.id, text: "fix the unit check" });
    // The same key cannot be opened twice.
    expect(await errorOf(autonomy.proposeObjective({ holder: "planner-a", candidate: candidate("unit"), requestText: "again" }))).toMatchObject({ code: Code.FailedPrecondition });

    const claimed = await queues.claim({ queue: QueueName.REQUESTS, workerId: "planner-a" });
    expect(claimed.item?.id).toBe(objective!.requestId);
    expect((await autonomy.settleObjectives({ holder: "planner-a", priorAlpha: 0.5 })).changed).toEqual([]);
    await queues.fail({ itemId: claimed.item!.id, leaseToken: claimed.leaseToken, error: "the model said no", mode: FailMode.FINAL });
    const { changed } = await autonomy.settleObjectives({ holder: "planner-a", priorAlpha: 0.5 });
    expect(changed.map((o) => [o.id, o.status, o.outcome])).toEqual([[objective!.id, ObjectiveStatus.FINISHED, ObjectiveOutcome.FAILED]]);
    const status = await autonomy.getAutonomyStatus({});
    expect(status.priors.map((p) => [p.kind, p.value, p.samples])).toEqual([["failing_test", 0.25, 1]]);
    expect(status.state?.consecutiveFailures).toBe(1);
    expect(status.dispatchedLastHour).toBe(1);
    // Tokens today are read from the objective sessions' token_usage events (joined through the session's key).
    expect(status.tokensToday).toBe(0n);
    const usage = create(TokenUsageSchema, { model: "m", promptTokens: 30n, completionTokens: 12n });
    await cp.clients.sessions.appendEvents({ sessionId: objective!.sessionId, events: [{ itemId: objective!.requestId, payload: { case: "tokenUsage", value: usage } }] });
    expect((await autonomy.getAutonomyStatus({})).tokensToday).toBe(42n);
    // Every change of the objective is an event in its own session.
    const { events } = await cp.clients.sessions.listEvents({ sessionId: objective!.sessionId });
    expect(events.filter((e) => e.payload.case === "objectiveUpdated").map((e) => (e.payload.case === "objectiveUpdated" ? e.payload.value.objective?.status : 0))).toEqual([
      ObjectiveStatus.DISPATCHED,
      ObjectiveStatus.FINISHED,
    ]);
    // Every event of the objective's session carries its id (request, claim, failure, objective updates); others carry none.
    expect(events.map((e) => e.payload.case)).toEqual(expect.arrayContaining(["sessionCreated", "requestEnqueued", "requestClaimed", "requestFailed", "objectiveUpdated"]));
    expect(new Set(events.map((e) => e.objectiveId))).toEqual(new Set([objective!.id]));
    const audit = await cp.clients.sessions.listEvents({ sessionId: status.state!.auditSessionId });
    expect(new Set(audit.events.map((e) => e.objectiveId))).toEqual(new Set([""]));
    // Turning it on again clears the run of failures (a paused loop restarts healthy).
    expect((await autonomy.setAutonomyMode({ mode: AutonomyMode.ON, by: "ann" })).state?.consecutiveFailures).toBe(0);
  });

  it("the kill switch cancels pending autonomous requests in the same call and refuses every later dispatch", async () => {
    const { autonomy, queues } = cp.clients;
    const { objective } = await autonomy.proposeObjective({ holder: "planner-a", candidate: candidate("kill"), requestText: "fix kill" });
    const started = Date.now();
    const off = await autonomy.setAutonomyMode({ mode: AutonomyMode.OFF, by: "ann" });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(off.cancelledItemIds).toEqual([objective!.requestId]);
    expect((await queues.getItem({ itemId: objective!.requestId })).item?.status).toBe(ItemStatus.CANCELLED);
    expect(await errorOf(autonomy.proposeObjective({ holder: "planner-a", candidate: candidate("after-off"), requestText: "no" }))).toMatchObject({
      code: Code.FailedPrecondition,
      message: expect.stringContaining("autonomy is off"),
    });
    const { changed } = await autonomy.settleObjectives({ holder: "planner-a", priorAlpha: 0.5 });
    expect(changed.map((o) => [o.id, o.outcome])).toEqual([[objective!.id, ObjectiveOutcome.CANCELLED]]);
    // A cancel says nothing about the kind: the prior stays.
    expect((await autonomy.getAutonomyStatus({})).priors[0]?.samples).toBe(1);
  });

  it("a question is an AUTONOMY_OBJECTIVE approval: yes makes it dispatchable, no declines it", async () => {
    const { autonomy, approvals } = cp.clients;
    await autonomy.setAutonomyMode({ mode: AutonomyMode.ON, by: "ann" });
    const asked = (await autonomy.proposeObjective({ holder: "planner-a", candidate: candidate("lodash", "outdated"), ask: true, questionTimeout: durationFromMs(600_000) }))
      .objective!;
    expect(asked).toMatchObject({ status: ObjectiveStatus.QUESTIONED, approvalId: expect.stringMatching(/^apr_/), requestId: "" });
    const approval = (await approvals.getApproval({ id: asked.approvalId })).approval!;
    expect(approval).toMatchObject({ kind: ApprovalKind.AUTONOMY_OBJECTIVE, status: ApprovalStatus.PENDING, sessionId: asked.sessionId });
    expect(await errorOf(autonomy.dispatchObjective({ holder: "planner-a", objectiveId: asked.id, requestText: "upgrade" }))).toMatchObject({ code: Code.FailedPrecondition });
    await approvals.approve({ id: asked.approvalId, answeredBy: "ann" });
    expect((await autonomy.settleObjectives({ holder: "planner-a", priorAlpha: 0.5 })).changed.map((o) => o.status)).toEqual([ObjectiveStatus.APPROVED]);
    const dispatched = (await autonomy.dispatchObjective({ holder: "planner-a", objectiveId: asked.id, requestText: "upgrade lodash" })).objective!;
    expect(dispatched).toMatchObject({ status: ObjectiveStatus.DISPATCHED, requestId: expect.stringMatching(/^req_/) });

    const second = (await autonomy.proposeObjective({ holder: "planner-a", candidate: candidate("left-pad", "outdated"), ask: true, questionTimeout: durationFromMs(600_000) }))
      .objective!;
    await approvals.deny({ id: second.approvalId, answeredBy: "ann", comment: "we pin left-pad" });
    const { changed } = await autonomy.settleObjectives({ holder: "planner-a", priorAlpha: 0.5 });
    expect(changed.map((o) => [o.id, o.status, o.outcome, o.comment])).toEqual([
      [second.id, ObjectiveStatus.DECLINED, ObjectiveOutcome.DENIED, "declined by ann: we pin left-pad"],
    ]);
  });

  it("request → job → completion all completed settles merged; a revert found later turns it reverted and the prior moves again", async () => {
    const { autonomy, queues } = cp.clients;
    // Off then on: earlier tests' open requests are cancelled, so the claims below take this objective's items.
    await autonomy.setAutonomyMode({ mode: AutonomyMode.OFF, by: "ann" });
    await autonomy.setAutonomyMode({ mode: AutonomyMode.ON, by: "ann" });
    await autonomy.settleObjectives({ holder: "planner-a", priorAlpha: 0.5 });
    const { objective } = await autonomy.proposeObjective({ holder: "planner-a", candidate: candidate("merge", "lint"), requestText: "fix lint" });
    const request = await queues.claim({ queue: QueueName.REQUESTS, workerId: "planner-a" });
    const { item: job } = await queues.enqueue({
      queue: QueueName.JOBS,
      sessionId: objective!.sessionId,
      parentId: request.item!.id,
      payload: { kind: { case: "taskExecuteV2", value: { lane: Lane.DETERMINISTIC, instruction: "echo fix" } } },
    });
    await queues.complete({ itemId: request.item!.id, leaseToken: request.leaseToken, result: { kind: { case: "request", value: { jobIds: [job!.id] } } } });
    expect((await autonomy.settleObjectives({ holder: "planner-a", priorAlpha: 0.5 })).changed).toEqual([]);
    const runningJob = await queues.claim({ queue: QueueName.JOBS, workerId: "runner-a" });
    const { item: completion } = await queues.enqueue({
      queue: QueueName.COMPLETIONS,
      sessionId: objective!.sessionId,
      parentId: job!.id,
      payload: { kind: { case: "completion", value: { jobId: job!.id, branch: "agent/a/b", sha: "a".repeat(40), baseSha: "b".repeat(40) } } },
    });
    await queues.complete({
      itemId: runningJob.item!.id,
      leaseToken: runningJob.leaseToken,
      result: { kind: { case: "job", value: { completionId: completion!.id, sha: "a".repeat(40) } } },
    });
    expect((await autonomy.settleObjectives({ holder: "planner-a", priorAlpha: 0.5 })).changed).toEqual([]);
    const integrating = await queues.claim({ queue: QueueName.COMPLETIONS, workerId: "integration-a" });
    await queues.complete({ itemId: integrating.item!.id, leaseToken: integrating.leaseToken, result: { kind: { case: "completion", value: { mergedSha: "c".repeat(40) } } } });
    const { changed } = await autonomy.settleObjectives({ holder: "planner-a", priorAlpha: 0.5 });
    expect(changed.map((o) => [o.id, o.outcome, o.comment])).toEqual([[objective!.id, ObjectiveOutcome.MERGED, "1 change merged"]]);
    const lintPrior = async () => (await autonomy.getAutonomyStatus({})).priors.find((p) => p.kind === "lint")!;
    expect(await lintPrior()).toMatchObject({ value: 0.75, samples: 1 });

    const reverted = (await autonomy.markObjectiveReverted({ holder: "planner-a", objectiveId: objective!.id, revertSha: "d".repeat(40), priorAlpha: 0.5 })).objective!;
    expect(reverted).toMatchObject({ outcome: ObjectiveOutcome.REVERTED, comment: `reverted by ${"d".repeat(40)}` });
    expect(await lintPrior()).toMatchObject({ value: 0.375, samples: 2 });
    expect(await errorOf(autonomy.markObjectiveReverted({ holder: "planner-a", objectiveId: objective!.id, revertSha: "nope", priorAlpha: 0.5 }))).toMatchObject({
      code: Code.InvalidArgument,
      message: expect.stringContaining("revert_sha"),
    });
  });

  it("an unanswered question expires as a no (the approvals' timeout) and is declined", async () => {
    const { autonomy } = cp.clients;
    const asked = (await autonomy.proposeObjective({ holder: "planner-a", candidate: candidate("moment", "outdated"), ask: true, questionTimeout: durationFromMs(1000) }))
      .objective!;
    // The control plane's expiry sweep runs every poll (1 s here).
    let declined: string[] = [];
    for (let tries = 0; tries < 50 && declined.length === 0; tries++) {
      await sleep(200);
      const { changed } = await autonomy.settleObjectives({ holder: "planner-a", priorAlpha: 0.5 });
      declined = changed.filter((o) => o.id === asked.id && o.status === ObjectiveStatus.DECLINED).map((o) => o.comment);
    }
    expect(declined).toEqual([expect.stringMatching(/^declined by timeout: nobody answered within 1 s/)]);
  });
});
