import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ItemStatus, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { AgentQuestionSchema, EventSchema } from "../../gen/pushpals/v1/events_pb.js";
import { ItemPayloadSchema } from "../../gen/pushpals/v1/items_pb.js";
import { FailMode } from "../../gen/pushpals/v1/queues_pb.js";
import { Lane } from "../../gen/pushpals/v1/task_pb.js";
import { durationFromMs } from "../../shared/time.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";

const job = create(ItemPayloadSchema, { kind: { case: "taskExecuteV2", value: { lane: Lane.WORKER, instruction: "fix it" } } });

/**
 * Issue 13, cold resume on the control plane's side: a question an attempt left open when its
 * runner died stays open for the job's next attempt, and a person may answer it (or write to the
 * job, or resume its pause) while the job waits in the queue between attempts; the next attempt
 * reads it from the log. Pausing and shell commands still need a running job.
 */
describe("a job's conversation across attempts", () => {
  let cp: TestControlPlane;
  let sessionId: string;
  beforeAll(async () => {
    cp = await startTestControlPlane({ store: "postgres" });
    sessionId = (await cp.clients.sessions.createSession({ title: "attempts" })).session!.id;
  }, 30_000);
  afterAll(() => cp?.stop());

  const claim = async (workerId: string) => {
    const claimed = await cp.clients.queues.claim({ queue: QueueName.JOBS, workerId, wait: durationFromMs(20_000) }, { timeoutMs: 25_000 });
    if (!claimed.item) throw new Error("nothing to claim");
    return claimed;
  };
  const ask = (jobId: string, text: string) =>
    cp.clients.sessions.appendEvents({
      sessionId,
      events: [create(EventSchema, { itemId: jobId, payload: { case: "agentQuestion", value: create(AgentQuestionSchema, { text, step: 1 }) } })],
    });
  const failure = (call: Promise<unknown>) =>
    call.then(
      () => undefined,
      (error: unknown) => ConnectError.from(error),
    );

  it("a question left open is answered between attempts, and one left open is still open after the next claim", async () => {
    const { execution, queues } = cp.clients;
    const jobId = (await queues.enqueue({ queue: QueueName.JOBS, sessionId, payload: job })).item!.id;

    const first = await claim("runner-1");
    await ask(jobId, "numbers only?");
    // The runner is gone: its job goes back to the queue (as an expired lease does).
    await queues.fail({ itemId: jobId, leaseToken: first.leaseToken, error: "runner died", mode: FailMode.RETRY });
    expect((await queues.getItem({ itemId: jobId })).item).toMatchObject({ status: ItemStatus.PENDING, attempts: 1 });
    const answered = (await execution.answerQuestion({ jobId, text: "yes", author: "alice" })).event!;
    expect(answered.payload).toMatchObject({ case: "questionAnswered", value: { text: "yes", author: "alice" } });
    const followUp = (await execution.sendToJob({ jobId, text: "keep it small", author: "bob" })).event!;
    expect(followUp.payload.case).toBe("jobFollowUp");
    // Pausing needs a runner to stop the agent.
    expect(await failure(execution.pauseJob({ jobId, author: "carol" }))).toMatchObject({
      code: Code.FailedPrecondition,
      rawMessage: expect.stringContaining("is pending, not running"),
    });

    const second = await claim("runner-2");
    expect(second.item!.id).toBe(jobId);
    await ask(jobId, "and strings?");
    await queues.fail({ itemId: jobId, leaseToken: second.leaseToken, error: "runner died", mode: FailMode.RETRY });
    const third = await claim("runner-3");
    expect(third.item!.attempts).toBe(3);
    // The claim does not close the question: the third attempt waits for its answer.
    const late = (await execution.sendToJob({ jobId, text: "no strings", author: "alice" })).event!;
    expect(late.payload).toMatchObject({ case: "questionAnswered", value: { text: "no strings", author: "alice" } });
  }, 60_000);

  it("a job never claimed takes nothing", async () => {
    const jobId = (await cp.clients.queues.enqueue({ queue: QueueName.JOBS, sessionId, payload: job })).item!.id;
    expect(await failure(cp.clients.execution.sendToJob({ jobId, text: "hi" }))).toMatchObject({
      code: Code.FailedPrecondition,
      rawMessage: expect.stringContaining("is pending, not running"),
    });
  });
});
