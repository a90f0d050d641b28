import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { randomUUID } from "node:crypto";
import { JobFollowUpSchema, JobPausedSchema, JobResumedSchema, QuestionAnsweredSchema, ShellCommandSchema, type Event } from "../../gen/pushpals/v1/events_pb.js";
import type { ExecutionService } from "../../gen/pushpals/v1/execution_pb.js";
import { failedPrecondition } from "../../shared/errors.js";
import { parseRequest } from "../../shared/rpc/validate.js";
import { committedEvents } from "./commit.js";
import type { ControlPlaneDeps } from "./deps.js";
import { followSessionEvents } from "./event-follower.js";
import { runningJobConversation } from "./job-conversation-state.js";
import * as requests from "./requests/execution-requests.js";

type ConversationMethods = Pick<ServiceImpl<typeof ExecutionService>, "sendToJob" | "answerQuestion" | "pauseJob" | "resumeJob" | "runInJob">;

/** After its own timeout, how long a shell command's runner may take to report before the call gives up. */
const RUNNER_GRACE_MS = 30_000;
const DEFAULT_SHELL_TIMEOUT_SECONDS = 60;
const JOB_ENDED = new Set(["jobCompleted", "jobFailed", "jobRequeued", "jobDeadLettered", "jobCancelled"]);

/**
 * A person's side of a running job's conversation: every call checks the job's state (running,
 * a question open, paused) from its events, then records one event in the job's session; the
 * job's runner follows those events and acts on them. Who said it is in every event.
 */
export function jobConversationMethods({ store, hub, commit, config }: ControlPlaneDeps): ConversationMethods {
  const record = async (sessionId: string, jobId: string, payload: Event["payload"]): Promise<Event> => {
    const [event] = await committedEvents(commit, store.appendEvents(sessionId, [{ itemId: jobId, payload }]));
    return event!;
  };
  const answer = (state: Awaited<ReturnType<typeof runningJobConversation>>, text: string, author: string) =>
    record(state.job.sessionId, state.job.id, { case: "questionAnswered", value: create(QuestionAnsweredSchema, { text, author, questionSeq: state.openQuestionSeq }) });

  return {
    async sendToJob(message) {
      const req = parseRequest(requests.sendToJobRequest, message);
      const state = await runningJobConversation(store, req.jobId, { betweenAttempts: true });
      // The agent is waiting on its question: whatever the person says now is the answer.
      if (state.openQuestionSeq !== undefined) return { event: await answer(state, req.text, req.author) };
      return { event: await record(state.job.sessionId, state.job.id, { case: "jobFollowUp", value: create(JobFollowUpSchema, { text: req.text, author: req.author }) }) };
    },

    async answerQuestion(message) {
      const req = parseRequest(requests.answerQuestionRequest, message);
      const state = await runningJobConversation(store, req.jobId, { betweenAttempts: true });
      if (state.openQuestionSeq === undefined) {
        throw failedPrecondition(`job ${req.jobId} has no open question; send the agent a message instead (SendToJob, pushpals send ${req.jobId} …)`);
      }
      return { event: await answer(state, req.text, req.author) };
    },

    async pauseJob(message) {
      const req = parseRequest(requests.pauseJobRequest, message);
      const state = await runningJobConversation(store, req.jobId);
      if (state.paused)
        throw failedPrecondition(`job ${req.jobId} is paused already; run commands in it (pushpals shell ${req.jobId}) or resume it (pushpals resume ${req.jobId})`);
      return { event: await record(state.job.sessionId, state.job.id, { case: "jobPaused", value: create(JobPausedSchema, { author: req.author, reason: req.reason }) }) };
    },

    async resumeJob(message) {
      const req = parseRequest(requests.resumeJobRequest, message);
      const state = await runningJobConversation(store, req.jobId, { betweenAttempts: true });
      if (!state.paused) throw failedPrecondition(`job ${req.jobId} is not paused; pause it first (pushpals pause ${req.jobId})`);
      return { event: await record(state.job.sessionId, state.job.id, { case: "jobResumed", value: create(JobResumedSchema, { author: req.author, finish: req.finish }) }) };
    },

    async runInJob(message, ctx) {
      const req = parseRequest(requests.runInJobRequest, message);
      const state = await runningJobConversation(store, req.jobId);
      if (!state.paused) throw failedPrecondition(`job ${req.jobId} is not paused; pause it first (pushpals pause ${req.jobId}) so the agent stops after its current command`);
      const commandId = randomUUID();
      const timeoutSeconds = req.timeoutSeconds || DEFAULT_SHELL_TIMEOUT_SECONDS;
      const shell = create(ShellCommandSchema, { commandId, command: req.command, author: req.author, timeoutSeconds });
      const asked = await record(state.job.sessionId, state.job.id, { case: "shellCommand", value: shell });
      const timeoutMs = timeoutSeconds * 1000;
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs + RUNNER_GRACE_MS)]);
      try {
        const events = followSessionEvents(store, hub, {
          sessionId: state.job.sessionId,
          afterSeq: asked.seq,
          itemId: state.job.id,
          live: true,
          keepaliveMs: config.server.keepaliveSeconds * 1000,
          signal,
        });
        for await (const item of events) {
          if (item.kind !== "event") continue;
          const { payload } = item.event;
          if (payload.case === "shellResult" && payload.value.commandId === commandId) {
            return { exitCode: payload.value.exitCode, output: payload.value.output, timedOut: payload.value.timedOut };
          }
          if (JOB_ENDED.has(payload.case ?? "")) throw failedPrecondition(`job ${req.jobId} ended (${payload.case}) before its runner ran the command`);
        }
      } catch (error) {
        if (!signal.aborted || ctx.signal.aborted) throw error;
      }
      throw new ConnectError(
        `the runner of job ${req.jobId} did not report the command within ${timeoutMs / 1000 + RUNNER_GRACE_MS / 1000} s; check the worker (pushpals status) and the job's log (pushpals logs ${req.jobId})`,
        Code.DeadlineExceeded,
      );
    },
  };
}
