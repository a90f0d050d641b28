import type { TaskExecuteV2 } from "../../../gen/pushpals/v1/task_pb.js";
import type { Logger } from "../../../shared/log.js";
import type { AgentConversation } from "../agent/agent-types.js";
import type { Sandbox } from "../../../sandbox/driver.js";
import type { JobBudgets } from "../job-budgets.js";
import type { JobEvents } from "../job-events.js";
import type { JobLog } from "../job-log.js";

/** Everything a lane gets for one job. */
export interface LaneRun {
  jobId: string;
  task: TaskExecuteV2;
  sandbox: Sandbox;
  log: JobLog;
  events: JobEvents;
  budgets: JobBudgets;
  /** The job's stop signal: cancel, lost lease, shutdown or an exhausted budget. */
  signal: AbortSignal;
  /** Attaches a file to the job (a trajectory, test output); kept even when the job fails. */
  putArtifact(artifact: LaneArtifact): Promise<void>;
  logger: Logger;
  /** The person in the session: questions, follow-ups and pauses (the worker lane's agent uses it). */
  conversation?: AgentConversation;
}

export interface LaneArtifact {
  name: string;
  mediaType: string;
  content: Uint8Array;
}

/** What a lane's work came to; the runner checks the scope and commits from here. */
export interface LaneResult {
  /** For the commit message, the completion and the job result. */
  summary: string;
}

/**
 * How a job's work is done in its sandbox. A lane throws JobFailure when the work failed, and
 * returns (or throws whatever) once the signal aborted: the runner knows why it stopped.
 */
export interface Lane {
  readonly name: "deterministic" | "worker";
  /**
   * Whether its sandbox needs a model socket directory (the command agent's CLI reaches its
   * model proxy there). A lane cannot ask for the network: no job sandbox ever gets it.
   */
  readonly needsModelSocket: boolean;
  run(run: LaneRun): Promise<LaneResult>;
}
