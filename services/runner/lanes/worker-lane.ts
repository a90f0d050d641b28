import { create } from "@bufbuild/protobuf";
import { LogStream } from "../../../gen/pushpals/v1/common_pb.js";
import { PlanningSchema } from "../../../gen/pushpals/v1/task_pb.js";
import type { AgentConfig } from "../../../shared/config/sections/agent.js";
import type { Config } from "../../../shared/config/schema.js";
import type { AgentOutcome, AgentReporter } from "../agent/agent-types.js";
import type { AgentBackend } from "../agent/backend.js";
import { AgentCrashed } from "../agent/control-flow.js";
import { agentLimits } from "../agent/limits.js";
import type { Trajectory } from "../agent/trajectory.js";
import { JobFailure } from "../job-failure.js";
import { collapseRedraws } from "../log-lines.js";
import { MAX_LINE_CHARS } from "../logged-command.js";
import type { Lane, LaneRun } from "./lane.js";

export interface WorkerLaneSettings {
  runner: Config["runner"];
  agent: AgentConfig;
}

/**
 * The only agent failure a retry may fix: the model was down. The rest would fail the same way:
 * the job asked for too much, the change did not pass, or the agent said it cannot be done (gave_up).
 */
const RETRYABLE = new Set(["model_error"]);

/**
 * The coding agent works the instruction. The agent loop runs here, in the runner; only its
 * commands run in the sandbox. Its steps, token usage and validation results become events, its
 * log lines go to the job log and its trajectory is attached as trajectory.json.
 */
export function workerLane(backend: AgentBackend, settings: WorkerLaneSettings): Lane {
  return {
    name: "worker",
    needsModelSocket: backend.needsModelSocket,
    async run(run) {
      await run.events.stage("run", `the ${backend.name} agent works on the task`);
      const planning = run.task.planning ?? create(PlanningSchema);
      let outcome: AgentOutcome;
      try {
        outcome = await backend.run({
          sandbox: run.sandbox,
          task: { instruction: run.task.instruction, planning },
          limits: agentLimits(settings, planning.budgets),
          maxValidationRounds: settings.agent.maxValidationRounds,
          signal: run.signal,
          reporter: reporterFor(run),
          logger: run.logger,
          ...(run.conversation ? { conversation: run.conversation } : {}),
        });
      } catch (error) {
        if (!(error instanceof AgentCrashed)) throw error;
        await putTrajectory(run, error.trajectory);
        throw new JobFailure(`${error.message}; the trajectory so far is attached (trajectory.json)`, "retry", { cause: error });
      }
      await putTrajectory(run, outcome.trajectory);
      if (outcome.status === "submitted") return { summary: outcome.summary || `the agent finished in ${outcome.steps} steps` };
      if (run.signal.aborted) return { summary: "" };
      // The agent's own reason reads best as it is: "the agent gave up on step 2: ...".
      const message = outcome.reason === "gave_up" ? outcome.message : `the agent stopped (${outcome.reason}) after ${outcome.steps} steps: ${outcome.message}`;
      throw new JobFailure(message, RETRYABLE.has(outcome.reason) ? "retry" : "final");
    },
  };
}

/** The worker lane when the agent could not be set up: every worker job fails saying why. */
export function unavailableWorkerLane(problem: string): Lane {
  return {
    name: "worker",
    needsModelSocket: false,
    async run() {
      throw new JobFailure(`agent loop not available: ${problem}`, "final");
    },
  };
}

function reporterFor(run: LaneRun): AgentReporter {
  let validationStarted = false;
  return {
    step: (step) => run.events.record({ case: "agentStep", value: step }),
    usage: (usage) => run.events.record({ case: "tokenUsage", value: usage }),
    async validation(result) {
      if (!validationStarted) {
        validationStarted = true;
        await run.events.stage("validation", "the agent submitted; running the plan's validation steps");
      }
      await run.events.record({ case: "validationResult", value: result });
    },
    async log(line) {
      const text = collapseRedraws(line);
      for (let at = 0; at < Math.max(text.length, 1); at += MAX_LINE_CHARS) {
        await run.log.write({ stream: LogStream.STDOUT, text: text.slice(at, at + MAX_LINE_CHARS), time: Date.now() });
      }
    },
  };
}

async function putTrajectory(run: LaneRun, trajectory: Trajectory): Promise<void> {
  await run.putArtifact({ name: "trajectory.json", mediaType: "application/json", content: new TextEncoder().encode(JSON.stringify(trajectory, null, 2)) });
}
