import { create } from "@bufbuild/protobuf";
import { EventSchema, JobProgressSchema, type Event } from "../../gen/pushpals/v1/events_pb.js";
import { JobStage as JobStageEnum } from "../../gen/pushpals/v1/kinds_pb.js";
import type { Clients } from "../../shared/clients.js";
import type { Logger } from "../../shared/log.js";
import type { JobLog } from "./job-log.js";

/** A job's stages, in order, as job_progress events name them ("setup" only when the job has an environment). */
export const JOB_STAGES = ["workspace", "setup", "sandbox", "run", "validation", "scope", "commit", "completion"] as const;
export type JobStage = (typeof JOB_STAGES)[number];
/** Each stage's wire enum: the one place the name becomes the enum. */
const STAGE_ENUM: Readonly<Record<JobStage, JobStageEnum>> = {
  workspace: JobStageEnum.WORKSPACE,
  setup: JobStageEnum.SETUP,
  sandbox: JobStageEnum.SANDBOX,
  run: JobStageEnum.RUN,
  validation: JobStageEnum.VALIDATION,
  scope: JobStageEnum.SCOPE,
  commit: JobStageEnum.COMMIT,
  completion: JobStageEnum.COMPLETION,
};

/** The event kinds the runner records itself (queue transitions and log lines have their own RPCs). */
export type JobEventPayload = Extract<Event["payload"], { case: "jobProgress" | "agentStep" | "tokenUsage" | "validationResult" | "error" | "artifactAdded" }>;

export interface JobEvents {
  /** A stage starts: a job_progress event and a system line in the log. */
  stage(stage: JobStage, detail: string): Promise<void>;
  record(payload: JobEventPayload): Promise<void>;
}

/**
 * Records a job's own events in its session's log. The job's buffered log lines are sent first,
 * so a stage change never appears before the output that came before it. A failure to record is
 * logged, not thrown: losing a progress event must not fail work that succeeded.
 */
export function jobEvents(options: { sessions: Clients["sessions"]; sessionId: string; jobId: string; log: JobLog; logger: Logger }): JobEvents {
  const { sessions, sessionId, jobId, log, logger } = options;
  const record = async (payload: JobEventPayload) => {
    await log.flush();
    try {
      await sessions.appendEvents({ sessionId, events: [create(EventSchema, { itemId: jobId, payload })] });
    } catch (error) {
      logger.warn({ err: error, event: payload.case }, "could not record a job event; the job goes on");
    }
  };
  return {
    async stage(stage, detail) {
      const step = JOB_STAGES.indexOf(stage) + 1;
      logger.info({ stage, detail }, `job stage ${step}/${JOB_STAGES.length}: ${stage}`);
      await log.system(`[${stage}] ${detail}`);
      await record({ case: "jobProgress", value: create(JobProgressSchema, { stage: STAGE_ENUM[stage], detail, step, totalSteps: JOB_STAGES.length }) });
    },
    record,
  };
}
