import { create } from "@bufbuild/protobuf";
import { createHash } from "node:crypto";
import { AgentQuestionSchema, EventSchema, ShellResultSchema, type Event, type ShellCommand } from "../../gen/pushpals/v1/events_pb.js";
import type { Clients } from "../../shared/clients.js";
import { errorMessage } from "../../shared/errors.js";
import type { Logger } from "../../shared/log.js";
import type { AgentConversation, EarlierTurn, PauseEnd, PersonMessage, WaitingFor } from "./agent/agent-types.js";
import { boundedText, joinClipped } from "./agent/bounded-text.js";
import type { Sandbox } from "../../sandbox/driver.js";
import { rejectOnAbort } from "../../shared/llm/reject-on-abort.js";
import { ApprovalKind, ApprovalStatus } from "../../gen/pushpals/v1/approvals_pb.js";
import { askAndWait, denialReason } from "../../shared/approvals/ask-and-wait.js";
import { commandApprovalRule } from "../../shared/approvals/command-rule.js";
import type { ApprovalsSection } from "../../shared/config/sections/approvals.js";

/** The event kinds a job's conversation is made of; the job watch hands these over as they are recorded. */
export const CONVERSATION_EVENTS: ReadonlySet<string> = new Set(["questionAnswered", "jobFollowUp", "jobPaused", "jobResumed", "shellCommand"]);

/** Characters of a shell command's output kept in its shell_result (head and tail). */
const SHELL_OUTPUT_CHARS = 64_000;

/** A clock that stops while the job waits on a person (the job's wall-time budget). */
export interface HoldableClock {
  hold(): void;
  release(): void;
}

/** Saves the job's work in progress before it waits on a person (see workspace/checkpoint.ts). */
export type Checkpointer = (note: string) => Promise<void>;

export interface JobConversation {
  /** What the agent talks to. */
  readonly agent: AgentConversation;
  /**
   * The job's events recorded before the watch began (every attempt's), oldest first; once,
   * before any receive. A question or a pause an earlier attempt left open stays open.
   */
  preload(history: readonly Event[]): void;
  /** An event of CONVERSATION_EVENTS, in log order. */
  receive(event: Event): void;
  /** Once the sandbox runs: a paused job's shell commands run in it; the clock stops while the job waits; the work is checkpointed before each wait. */
  attach(sandbox: Sandbox, clock: HoldableClock, checkpoint?: Checkpointer): void;
  /** What the job waits on now, for the heartbeat; undefined while it works. */
  waitingFor(): WaitingFor | undefined;
}

/**
 * A running job's side of its conversation with the person. The person's words arrive as
 * events (the job watch follows them); the agent's question and the shell commands' results go
 * back as events. Waiting for a person keeps the lease (the lease keeper goes on) and stops the
 * job's wall clock; shell commands run one after another, only while the job is paused.
 */
export interface JobConversationOptions {
  sessions: Clients["sessions"];
  sessionId: string;
  jobId: string;
  logger: Logger;
  /** [approvals] and the service that asks: its `command` rules gate the agent's commands. */
  approvals?: { client: Clients["approvals"]; policy: ApprovalsSection };
  /** The job began or stopped waiting on a person. */
  onWaitingChanged?(): void;
}

export function jobConversation(options: JobConversationOptions): JobConversation {
  const { sessions, sessionId, jobId, logger, approvals } = options;
  const followUps: PersonMessage[] = [];
  let paused = false;
  let pauseEnded: ((end: PauseEnd) => void) | undefined;
  let answered: ((answer: PersonMessage) => void) | undefined;
  let sandbox: Sandbox | undefined;
  let clock: HoldableClock | undefined;
  let checkpoint: Checkpointer | undefined;
  let waiting: WaitingFor | undefined;
  let shellQueue = Promise.resolve();
  /** The earlier attempts' turns, handed to the agent once; and their question, while unanswered. */
  const earlier: EarlierTurn[] = [];
  let carriedAnswer: Promise<PersonMessage> | undefined;

  const record = (payload: Event["payload"]) => sessions.appendEvents({ sessionId, events: [create(EventSchema, { itemId: jobId, payload })] });
  const saveWork = async (note: string) => {
    try {
      await checkpoint?.(note);
    } catch (error) {
      logger.warn({ err: error }, "could not checkpoint the job's worktree before waiting; a runner that dies now loses the work so far");
    }
  };
  /** The work is checkpointed before the wait begins (before the person is asked), so an answer never finds it unsaved. */
  const waitingOnPerson = async <T>(kind: WaitingFor, wait: () => Promise<T>, save = true): Promise<T> => {
    clock?.hold();
    waiting = kind;
    options.onWaitingChanged?.();
    try {
      if (save) await saveWork(`waiting for ${kind === "paused" ? "the end of a pause" : `an ${kind}`}`);
      return await wait();
    } finally {
      waiting = undefined;
      options.onWaitingChanged?.();
      clock?.release();
    }
  };

  const runShell = async (command: ShellCommand) => {
    const result = { commandId: command.commandId, exitCode: -1, output: "", timedOut: false };
    if (!sandbox || !paused) {
      result.output = `the job ${sandbox ? "is not paused" : "has no sandbox yet"}; pause it first (pushpals pause ${jobId}) and run the command again`;
    } else {
      try {
        const execution = sandbox.exec(command.command, { timeoutMs: (command.timeoutSeconds || 60) * 1000 });
        const output = boundedText(SHELL_OUTPUT_CHARS);
        for await (const chunk of execution.output) output.append(chunk.data);
        const ended = await execution.result;
        Object.assign(result, { exitCode: ended.exitCode, timedOut: ended.timedOut, output: joinClipped(output.result()) });
      } catch (error) {
        result.output = `the sandbox could not run the command: ${errorMessage(error)}`;
      }
    }
    logger.info({ commandId: command.commandId, author: command.author, exitCode: result.exitCode }, "ran a person's command in the paused job's sandbox");
    // What the person changed survives a runner that dies before the job resumes.
    if (sandbox && paused) await saveWork(`after ${command.author || "a person"}'s command in the paused job`);
    await record({ case: "shellResult", value: create(ShellResultSchema, result) }).catch((error: unknown) =>
      logger.warn({ err: error, commandId: command.commandId }, "could not record a shell command's result; the person's call will time out"),
    );
  };

  const agent: AgentConversation = {
    take: () => followUps.splice(0),
    isPaused: () => paused,
    async waitWhilePaused(signal) {
      if (!paused) return { finish: false, author: "" };
      // Listening before the checkpoint is taken: a resume that comes while it is saved still ends the pause.
      const ended = new Promise<PauseEnd>((resolve) => (pauseEnded = resolve));
      return waitingOnPerson("paused", () => rejectOnAbort(ended, signal));
    },
    async ask(question, step, signal) {
      return waitingOnPerson("answer", async () => {
        const answer = new Promise<PersonMessage>((resolve) => (answered = resolve));
        // Recorded after the resolver is set: an answer cannot come before its question is in the log.
        await record({ case: "agentQuestion", value: create(AgentQuestionSchema, { text: question, step }) });
        logger.info({ step }, "the agent asked the person a question; the job waits for the answer");
        return rejectOnAbort(answer, signal);
      });
    },
    async earlier(signal) {
      // Restored from the checkpoint already: nothing new to save while the carried question waits.
      const carried = carriedAnswer;
      if (carried) await waitingOnPerson("answer", () => rejectOnAbort(carried, signal), false);
      carriedAnswer = undefined;
      return earlier.splice(0);
    },
    async approveCommand(command, step, signal) {
      const rule = approvals ? commandApprovalRule(command, approvals.policy.command) : undefined;
      if (!approvals || !rule) return undefined;
      if (rule.action === "deny") return `the operator's ${rule.rule}, and it denies such commands`;
      logger.info({ step, rule: rule.rule }, "the agent's command needs approval; the job waits for the answer");
      const approval = await waitingOnPerson("approval", () =>
        askAndWait(
          approvals.client,
          approvals.policy,
          // Keyed by the step and the command: a runner that restarts mid-wait finds this request instead of asking
          // again, and a later attempt's step of the same number with another command is asked afresh.
          {
            sessionId,
            itemId: jobId,
            kind: ApprovalKind.COMMAND,
            subject: `run \`${command}\` in job ${jobId}`,
            rule: rule.rule,
            idempotencyKey: commandApprovalKey(jobId, step, command),
          },
          { signal },
        ),
      );
      return approval.status === ApprovalStatus.APPROVED ? undefined : `not approved (${denialReason(approval)})`;
    },
  };

  const conversation: JobConversation = {
    agent,
    waitingFor: () => waiting,
    attach(running, jobClock, save) {
      sandbox = running;
      clock = jobClock;
      checkpoint = save;
    },
    preload(history) {
      const claims = history.filter((event) => event.payload.case === "jobClaimed").length;
      if (claims <= 1) {
        // A first attempt: what came before the watch is this attempt's, delivered as it would be live.
        for (const event of history) if (CONVERSATION_EVENTS.has(event.payload.case ?? "")) conversation.receive(event);
        return;
      }
      let open = false;
      for (const { payload } of history) {
        if (payload.case === "agentQuestion") {
          earlier.push({ kind: "question", text: payload.value.text, author: "" });
          open = true;
        } else if (payload.case === "questionAnswered") {
          earlier.push({ kind: "answer", text: payload.value.text, author: payload.value.author });
          open = false;
        } else if (payload.case === "jobFollowUp") {
          earlier.push({ kind: "follow_up", text: payload.value.text, author: payload.value.author });
        } else if (payload.case === "jobPaused") paused = true;
        else if (payload.case === "jobResumed") paused = false;
      }
      if (open) {
        // The earlier attempt's question stays the open one: its answer, when it comes, belongs to the earlier turns.
        carriedAnswer = new Promise<PersonMessage>((resolve) => (answered = resolve)).then((answer) => {
          earlier.push({ kind: "answer", text: answer.text, author: answer.author });
          return answer;
        });
      }
      logger.info({ turns: earlier.length, openQuestion: open, paused }, "the job's earlier attempts talked with the person; the agent starts with that conversation");
    },
    receive(event) {
      const payload = event.payload;
      switch (payload.case) {
        case "questionAnswered": {
          const answer: PersonMessage = { kind: "answer", text: payload.value.text, author: payload.value.author };
          if (answered) {
            answered(answer);
            answered = undefined;
          } else followUps.push(answer);
          break;
        }
        case "jobFollowUp":
          followUps.push({ kind: "follow_up", text: payload.value.text, author: payload.value.author });
          break;
        case "jobPaused":
          paused = true;
          break;
        case "jobResumed":
          paused = false;
          pauseEnded?.({ finish: payload.value.finish, author: payload.value.author });
          pauseEnded = undefined;
          break;
        case "shellCommand": {
          const command = payload.value;
          shellQueue = shellQueue.then(() => runShell(command));
          break;
        }
      }
    },
  };
  return conversation;
}

/** The idempotency key of a command's approval request: the job, its step and the command itself. */
export function commandApprovalKey(jobId: string, step: number, command: string): string {
  return `command:${jobId}:${step}:${createHash("sha256").update(command).digest("hex").slice(0, 16)}`;
}
