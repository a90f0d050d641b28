import type { ModelMessage, TokenCounts } from "../../../shared/llm/model.js";
import type { AgentFailureReason, AgentLimits, AgentTask, UsageTotals } from "./agent-types.js";

/** One model turn and what came of it. */
export interface TrajectoryStep {
  step: number;
  startedAt: string;
  /** How long the model took to answer (0 for the command backend). */
  modelMs: number;
  usage: TokenCounts;
  thought: string;
  /** Why the reply was refused, when it was. */
  formatError?: string;
  command?: string;
  exitCode?: number;
  timedOut?: boolean;
  cancelled?: boolean;
  commandMs?: number;
  /** The output as the model saw it (head and tail), and how long it really was. */
  output?: string;
  outputChars?: number;
  submitted?: boolean;
  /** Set when this step's output opened with the give-up sentinel. */
  gaveUp?: boolean;
  /** The question for the person, when this step's output opened with the ask sentinel. */
  asked?: string;
  /** Why the command was not run: an [approvals.command] rule denied it, or the person did. */
  refused?: string;
}

export interface TrajectoryValidationStep {
  command: string;
  exitCode: number;
  passed: boolean;
  timedOut: boolean;
  durationMs: number;
  outputTail: string;
  /** The summary lines of a failing step's whole output. */
  summary: string[];
}

export interface TrajectoryValidation {
  round: number;
  steps: TrajectoryValidationStep[];
}

export type TrajectoryOutcome =
  | { status: "submitted"; summary: string }
  | { status: "failed"; reason: AgentFailureReason; message: string }
  | { status: "crashed"; message: string };

/** Everything about one run, JSON-serialisable; the runner stores it as the artifact trajectory.json. */
export interface Trajectory {
  format: "pushpals.trajectory.v1";
  backend: "builtin" | "command";
  model: string;
  startedAt: string;
  finishedAt: string | null;
  limits: AgentLimits;
  maxValidationRounds: number;
  task: { instruction: string; acceptanceCriteria: string[]; validationSteps: string[] };
  /** The whole conversation, in order. */
  messages: ModelMessage[];
  steps: TrajectoryStep[];
  validations: TrajectoryValidation[];
  usage: UsageTotals;
  outcome: TrajectoryOutcome | null;
}

export interface TrajectoryRecorder {
  readonly messages: readonly ModelMessage[];
  say(role: ModelMessage["role"], content: string): void;
  step(step: TrajectoryStep): void;
  validation(round: TrajectoryValidation): void;
  finish(outcome: TrajectoryOutcome): Trajectory;
  /** A copy as it stands now. */
  snapshot(): Trajectory;
}

export interface TrajectoryStart {
  backend: Trajectory["backend"];
  model: string;
  limits: AgentLimits;
  maxValidationRounds: number;
  task: AgentTask;
  /** Live totals; read at each snapshot. */
  usage: UsageTotals;
}

export function recordTrajectory(start: TrajectoryStart): TrajectoryRecorder {
  const trajectory: Trajectory = {
    format: "pushpals.trajectory.v1",
    backend: start.backend,
    model: start.model,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    limits: { ...start.limits },
    maxValidationRounds: start.maxValidationRounds,
    task: {
      instruction: start.task.instruction,
      acceptanceCriteria: [...start.task.planning.acceptanceCriteria],
      validationSteps: [...start.task.planning.validationSteps],
    },
    messages: [],
    steps: [],
    validations: [],
    usage: { ...start.usage },
    outcome: null,
  };
  const snapshot = (): Trajectory => structuredClone({ ...trajectory, usage: { ...start.usage } });
  return {
    messages: trajectory.messages,
    say: (role, content) => void trajectory.messages.push({ role, content }),
    step: (step) => void trajectory.steps.push(step),
    validation: (round) => void trajectory.validations.push(round),
    finish(outcome) {
      trajectory.outcome = outcome;
      trajectory.finishedAt = new Date().toISOString();
      return snapshot();
    },
    snapshot,
  };
}
