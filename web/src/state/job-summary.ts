import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { AgentStep, Event } from "../../../gen/pushpals/v1/events_pb.js";
import type { Planning } from "../../../gen/pushpals/v1/task_pb.js";
import { stageName } from "./chat-rows.js";

export interface StageMark {
  name: string;
  detail: string;
  at: Date | undefined;
}

/** What a session's events say about one job: its stages with times, the agent's steps, tokens used. */
export interface JobSummary {
  id: string;
  state: string;
  stages: StageMark[];
  steps: AgentStep[];
  promptTokens: bigint;
  completionTokens: bigint;
  models: string[];
  enqueuedAt: Date | undefined;
  finishedAt: Date | undefined;
  planning: Planning | undefined;
  branch: string;
  error: string;
}

const FINAL_STATES = new Set(["completed", "failed", "dead lettered", "cancelled"]);

export function jobSummaries(events: readonly Event[]): Map<string, JobSummary> {
  const jobs = new Map<string, JobSummary>();
  const jobOf = (id: string): JobSummary => {
    let job = jobs.get(id);
    if (!job) {
      job = {
        id,
        state: "pending",
        stages: [],
        steps: [],
        promptTokens: 0n,
        completionTokens: 0n,
        models: [],
        enqueuedAt: undefined,
        finishedAt: undefined,
        planning: undefined,
        branch: "",
        error: "",
      };
      jobs.set(id, job);
    }
    return job;
  };
  for (const event of events) {
    if (!event.itemId.startsWith("job_")) continue;
    const p = event.payload;
    const at = dateOf(event.time);
    const job = p.case?.startsWith("job") || p.case === "agentStep" || p.case === "tokenUsage" || p.case === "validationResult" ? jobOf(event.itemId) : undefined;
    if (!job) continue;
    switch (p.case) {
      case "jobEnqueued": {
        job.enqueuedAt = at;
        const task = p.value.item?.payload?.kind;
        if (task?.case === "taskExecuteV2") job.planning = task.value.planning;
        job.stages.push({ name: "enqueued", detail: "", at });
        break;
      }
      case "jobClaimed":
        job.state = "running";
        job.stages.push({ name: "claimed", detail: `by ${p.value.workerId} (attempt ${p.value.attempt})`, at });
        break;
      case "jobProgress":
        job.stages.push({ name: stageName(p.value.stage), detail: p.value.detail, at });
        break;
      case "agentStep":
        job.steps.push(p.value);
        break;
      case "tokenUsage":
        job.promptTokens += p.value.promptTokens;
        job.completionTokens += p.value.completionTokens;
        if (p.value.model && !job.models.includes(p.value.model)) job.models.push(p.value.model);
        break;
      case "jobCompleted":
        job.state = "completed";
        job.finishedAt = at;
        if (p.value.result?.kind.case === "job") job.branch = p.value.result.kind.value.branch;
        job.stages.push({ name: "completed", detail: "", at });
        break;
      case "jobFailed":
        job.error = p.value.error;
        job.stages.push({ name: "failed", detail: p.value.error, at });
        break;
      case "jobRequeued":
        job.state = "pending";
        job.stages.push({ name: "requeued", detail: p.value.reason, at });
        break;
      case "jobDeadLettered":
        job.state = "dead lettered";
        job.finishedAt = at;
        job.error = p.value.lastError;
        break;
      case "jobCancelled":
        job.state = "cancelled";
        job.finishedAt = at;
        job.stages.push({ name: "cancelled", detail: p.value.reason, at });
        break;
      case "jobPaused":
        job.state = "paused";
        break;
      case "jobResumed":
        if (!FINAL_STATES.has(job.state)) job.state = "running";
        break;
    }
  }
  return jobs;
}

export function dateOf(time: Timestamp | undefined): Date | undefined {
  return time ? new Date(Number(time.seconds) * 1000 + Math.floor(time.nanos / 1e6)) : undefined;
}

/** "1 m 05 s" for a span between two stage marks (or until now for a running job). */
export function formatSpan(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, "0")} s`;
}
