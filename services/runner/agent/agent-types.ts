import type { AgentStep, TokenUsage, ValidationResult } from "../../../gen/pushpals/v1/events_pb.js";
import type { Planning } from "../../../gen/pushpals/v1/task_pb.js";
import type { Logger } from "../../../shared/log.js";
import type { Sandbox } from "../../../sandbox/driver.js";
import type { Trajectory } from "./trajectory.js";

/** What the agent is asked to do: the job's instruction and the strict part of its plan. */
export interface AgentTask {
  instruction: string;
  planning: Planning;
}

export interface AgentLimits {
  /** Model turns, format errors included. */
  maxSteps: number;
  /** Prompt plus completion tokens over every model call of the job. */
  maxTokens: number;
  /** The whole agent run, validation rounds included. */
  wallTimeMs: number;
  /** One command; its whole process tree is killed after this. */
  commandTimeoutMs: number;
  /** Characters of one command's output the model sees; the middle of longer output is elided. */
  maxOutputChars: number;
  /** One validation step; default commandTimeoutMs. */
  validationTimeoutMs?: number;
  /** Characters of one model reply; a longer reply is refused as a format error. Default 50,000. */
  maxReplyChars?: number;
}

/**
 * Plain callbacks the job runner turns into events. Each is awaited before the agent goes on,
 * so events keep the order in which things happened.
 */
export interface AgentReporter {
  step(step: AgentStep): Promise<void> | void;
  usage(usage: TokenUsage): Promise<void> | void;
  validation(result: ValidationResult): Promise<void> | void;
  /** A line for the job's live log (progress, command output as it arrives). */
  log(line: string): Promise<void> | void;
}

/** A person's words for the agent: an answer to its question or a follow-up to the running job. */
export interface PersonMessage {
  kind: "answer" | "follow_up";
  text: string;
  author: string;
}

/** One turn of a job's conversation with the person, as an earlier attempt of the job had it. */
export interface EarlierTurn {
  kind: "question" | "answer" | "follow_up";
  text: string;
  /** Who answered or wrote; empty for the agent's questions. */
  author: string;
}

/** What the agent waits on while its budget clock is stopped. */
export type WaitingFor = "approval" | "answer" | "paused";

/** How a pause ended: the agent goes on, or the job finishes with what is in its worktree. */
export interface PauseEnd {
  finish: boolean;
  author: string;
}

/**
 * The person in the loop, as the agent sees them. While the agent waits on `ask` or
 * `waitWhilePaused` its budget clock is stopped (the runner keeps the lease).
 */
export interface AgentConversation {
  /** Follow-ups that arrived since the last call, oldest first. */
  take(): PersonMessage[];
  isPaused(): boolean;
  /** Resolves when the person resumes or finishes the job (at once when it is not paused). */
  waitWhilePaused(signal: AbortSignal): Promise<PauseEnd>;
  /** Records the question in the session and resolves with the person's answer. */
  ask(question: string, step: number, signal: AbortSignal): Promise<PersonMessage>;
  /**
   * Before a command runs: undefined when it may, else why not (an [approvals.command] rule denies
   * it, or the person asked denied it). Absent: every command may run.
   */
  approveCommand?(command: string, step: number, signal: AbortSignal): Promise<string | undefined>;
  /**
   * Once, before the first step: the conversation of the job's earlier attempts (a runner that
   * died while the job waited), oldest first; empty on a first attempt. When an earlier
   * attempt's question is still open it waits for the answer first. Absent: none.
   */
  earlier?(signal: AbortSignal): Promise<EarlierTurn[]>;
}

/** What every backend is given for one job. */
export interface AgentRun {
  sandbox: Sandbox;
  task: AgentTask;
  limits: AgentLimits;
  /** Extra rounds after a failed validation; default 2. */
  maxValidationRounds?: number;
  /** Aborting cancels the run at once, killing a running command. */
  signal: AbortSignal;
  reporter: AgentReporter;
  /** A child logger carrying the job and session ids. */
  logger?: Logger;
  /** The person in the session; without one the agent cannot ask and gets no follow-ups. */
  conversation?: AgentConversation;
}

export const DEFAULT_MAX_VALIDATION_ROUNDS = 2;
export const DEFAULT_MAX_REPLY_CHARS = 50_000;
export { ASK_SENTINEL, GIVE_UP_SENTINEL, SUBMIT_SENTINEL } from "./sentinels.js";

export type AgentFailureReason =
  | "step_limit"
  | "token_limit"
  | "wall_time"
  | "cancelled"
  | "validation_failed"
  | "model_error"
  /** The agent said the task cannot be done (the give-up sentinel); its reason is in the message. */
  | "gave_up"
  /** The command backend's CLI exited non-zero. */
  | "agent_exited";

/** A validation step that failed, as the outcome keeps it. */
export interface ValidationEvidence {
  command: string;
  exitCode: number;
  timedOut: boolean;
  outputTail: string;
  /** The summary lines of its whole output ("55 failing", the first assertion), in order. */
  summary: string[];
}

export interface UsageTotals {
  promptTokens: number;
  completionTokens: number;
  modelCalls: number;
}

export type AgentOutcome =
  | {
      status: "submitted";
      summary: string;
      steps: number;
      /** How many times validation ran (1 when it passed at once). */
      validationRounds: number;
      usage: UsageTotals;
      trajectory: Trajectory;
    }
  | {
      status: "failed";
      reason: AgentFailureReason;
      /** What happened and what to do next, fit to show a person. */
      message: string;
      steps: number;
      usage: UsageTotals;
      /** The failing validation steps of the last round, for validation_failed. */
      evidence: ValidationEvidence[];
      trajectory: Trajectory;
    };
