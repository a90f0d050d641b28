import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { AgentQuestionSchema, EventSchema, JobFollowUpSchema, ShellResultSchema } from "../../gen/pushpals/v1/events_pb.js";
import { ItemPayloadSchema } from "../../gen/pushpals/v1/items_pb.js";
import { Lane } from "../../gen/pushpals/v1/task_pb.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";

const job = create(ItemPayloadSchema, { kind: { case: "taskExecuteV2", value: { lane: Lane.WORKER, instruction: "fix it" } } });

async function codeOf(call: Promise<unknown>): Promise<{ code: Code; message: string }> {
  try {
    await call;
  } catch (error) {
    const failure = ConnectError.from(error);
    return { code: failure.code, message: failure.rawMessage };
  }
  throw new Error("the call succeeded");
}

/**
 * Issue 13 parts 3–5, the control plane's side on Postgres: what a person says to a job is checked
 * against the job's state (running, a question open, paused), recorded as one event with who said it,
 * and never appendable through AppendEvents; RunInJob is routed to the job's runner through events.
 */
describe("SendToJob, AnswerQuestion, PauseJob, ResumeJob and RunInJob", () => {
  let cp: TestControlPlane;
  let sessionId: string;
  let jobId: string;
  beforeAll(async () => {
    cp = await startTestControlPlane({ store: "postgres" });
    sessionId = (await cp.clients.sessions.createSession({ title: "job conversation" })).session!.id;
    jobId = (await cp.clients.queues.enqueue({ queue: QueueName.JOBS, sessionId, payload: job })).item!.id;
  }, 30_000);
  afterAll(() => cp?.stop());

  it("refuses bad input with the field, and a job that is not running with what to do", async () => {
    const { execution } = cp.clients;
    expect(await codeOf(execution.sendToJob({ jobId: "job_../x", text: "hi" }))).toMatchObject({ code: Code.InvalidArgument, message: expect.stringContaining("job_id") });
    expect(await codeOf(execution.sendToJob({ jobId, text: "  " }))).toMatchObject({ code: Code.InvalidArgument, message: expect.stringContaining("text") });
    expect(await codeOf(execution.runInJob({ jobId, command: "ls", timeoutSeconds: 4000 }))).toMatchObject({
      code: Code.InvalidArgument,
      message: expect.stringContaining("timeout_seconds"),
    });
    expect(await codeOf(execution.pauseJob({ jobId: "job_01JD0000000000000000000000" }))).toMatchObject({ code: Code.NotFound });
    expect(await codeOf(execution.sendToJob({ jobId, text: "hi" }))).toMatchObject({
      code: Code.FailedPrecondition,
      message: expect.stringMatching(/is pending, not running.*pushpals jobs/),
    });
  });

  it("records each person's words as one event in order, a follow-up turning into the answer while a question is open", async () => {
    const { execution, queues, sessions } = cp.clients;
    const { item } = await queues.claim({ queue: QueueName.JOBS, workerId: "conversation-test" });
    expect(item?.id).toBe(jobId);

    expect(await codeOf(execution.answerQuestion({ jobId, text: "yes" }))).toMatchObject({ code: Code.FailedPrecondition, message: expect.stringContaining("no open question") });
    expect(await codeOf(execution.resumeJob({ jobId, author: "ann" }))).toMatchObject({ code: Code.FailedPrecondition, message: expect.stringContaining("not paused") });
    expect(await codeOf(execution.runInJob({ jobId, command: "ls" }))).toMatchObject({ code: Code.FailedPrecondition, message: expect.stringContaining("pause it first") });
    // Only ExecutionService records a person's side; a service's AppendEvents may not forge it.
    const forged = create(EventSchema, { itemId: jobId, payload: { case: "jobFollowUp", value: create(JobFollowUpSchema, { text: "x", author: "mallory" }) } });
    expect(await codeOf(sessions.appendEvents({ sessionId, events: [forged] }))).toMatchObject({ code: Code.InvalidArgument });

    const followUp = (await execution.sendToJob({ jobId, text: "use the helper", author: "ann" })).event!;
    expect(followUp.payload).toMatchObject({ case: "jobFollowUp", value: { text: "use the helper", author: "ann" } });
    // The runner records its agent's question.
    const [question] = (
      await sessions.appendEvents({
        sessionId,
        events: [create(EventSchema, { itemId: jobId, payload: { case: "agentQuestion", value: create(AgentQuestionSchema, { text: "on or off?", step: 3 }) } })],
      })
    ).events;
    const answer = (await execution.sendToJob({ jobId, text: "off", author: "ben" })).event!;
    expect(answer.payload).toMatchObject({ case: "questionAnswered", value: { text: "off", author: "ben", questionSeq: question!.seq } });
    expect(await codeOf(execution.answerQuestion({ jobId, text: "again" }))).toMatchObject({ code: Code.FailedPrecondition });

    await execution.pauseJob({ jobId, author: "ann", reason: "looking" });
    expect(await codeOf(execution.pauseJob({ jobId, author: "ann" }))).toMatchObject({ code: Code.FailedPrecondition, message: expect.stringContaining("paused already") });

    // The runner's side of RunInJob: it sees the shell_command event and records its result.
    const runner = new AbortController();
    const answering = (async () => {
      for await (const response of sessions.streamEvents({ sessionId, afterSeq: answer.seq, itemId: jobId }, { signal: runner.signal })) {
        const event = response.message.case === "event" ? response.message.value : undefined;
        if (event?.payload.case !== "shellCommand") continue;
        const result = create(ShellResultSchema, {
          commandId: event.payload.value.commandId,
          exitCode: 3,
          output: `ran ${event.payload.value.command} for ${event.payload.value.author} within ${event.payload.value.timeoutSeconds} s`,
        });
        await sessions.appendEvents({ sessionId, events: [create(EventSchema, { itemId: jobId, payload: { case: "shellResult", value: result } })] });
        return;
      }
    })();
    const ran = await execution.runInJob({ jobId, command: "git status", author: "ann", timeoutSeconds: 5 });
    runner.abort();
    await answering.catch(() => undefined);
    expect(ran).toMatchObject({ exitCode: 3, output: "ran git status for ann within 5 s", timedOut: false });

    const resumed = (await execution.resumeJob({ jobId, author: "ben", finish: true })).event!;
    expect(resumed.payload).toMatchObject({ case: "jobResumed", value: { author: "ben", finish: true } });

    const log = (await sessions.listEvents({ sessionId, itemId: jobId, limit: 1000 })).events;
    const said = log.filter((e) => ["jobFollowUp", "agentQuestion", "questionAnswered", "jobPaused", "shellCommand", "shellResult", "jobResumed"].includes(e.payload.case ?? ""));
    expect(said.map((e) => e.payload.case)).toEqual(["jobFollowUp", "agentQuestion", "questionAnswered", "jobPaused", "shellCommand", "shellResult", "jobResumed"]);
  }, 30_000);
});
