import { create } from "@bufbuild/protobuf";
import { LogStream, QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import { AgentStepSchema, AssistantMessageSchema, EventSchema, IntegrationStepSchema, JobProgressSchema, QuestionSchema, type Event } from "../../../gen/pushpals/v1/events_pb.js";
import type { QueueItem } from "../../../gen/pushpals/v1/items_pb.js";
import { FailMode } from "../../../gen/pushpals/v1/queues_pb.js";
import { Lane } from "../../../gen/pushpals/v1/task_pb.js";
import type { Clients } from "../../../shared/clients.js";
import { durationFromMs } from "../../../shared/time.js";
import { JobStage, MergeStrategy, MessageSource } from "../../../gen/pushpals/v1/kinds_pb.js";

/**
 * Plays the planner, the job runner and integration over the public queue RPCs, one
 * stage at a time, so tests decide exactly which events a CLI under test sees.
 */
export interface Claimed {
  item: QueueItem;
  leaseToken: string;
}

const WAIT = durationFromMs(20_000);

export async function claim(clients: Clients, queue: QueueName, workerId: string): Promise<Claimed> {
  const { item, leaseToken } = await clients.queues.claim({ queue, workerId, wait: WAIT, leaseDuration: durationFromMs(60_000) });
  if (!item) throw new Error(`nothing arrived on queue ${QueueName[queue]} within 20 s`);
  return { item, leaseToken };
}

async function append(clients: Clients, sessionId: string, itemId: string, ...payloads: Event["payload"][]): Promise<void> {
  await clients.sessions.appendEvents({ sessionId, events: payloads.map((payload) => create(EventSchema, { itemId, payload })) });
}

/** The planner: claims the next request, says something, and plans `jobs` jobs (0 = answered without work). */
export async function planRequest(clients: Clients, options: { jobs: number; say?: string }): Promise<{ request: QueueItem; jobIds: string[] }> {
  const { item: request, leaseToken } = await claim(clients, QueueName.REQUESTS, "sim-planner");
  const text = request.payload?.kind.case === "request" ? request.payload.kind.value.text : "";
  if (options.say) {
    await append(clients, request.sessionId, request.id, {
      case: "assistantMessage",
      value: create(AssistantMessageSchema, {
        text: options.say,
        source: MessageSource.PLANNER,
        inReplyTo: request.payload?.kind.case === "request" ? request.payload.kind.value.messageSeq : 0n,
      }),
    });
  }
  const jobIds: string[] = [];
  for (let n = 0; n < options.jobs; n += 1) {
    const { item } = await clients.queues.enqueue({
      queue: QueueName.JOBS,
      sessionId: request.sessionId,
      parentId: request.id,
      payload: { kind: { case: "taskExecuteV2", value: { lane: Lane.WORKER, instruction: `do: ${text}`, requestId: request.id } } },
    });
    jobIds.push(item!.id);
  }
  await clients.queues.complete({ itemId: request.id, leaseToken, result: { kind: { case: "request", value: { jobIds } } } });
  return { request, jobIds };
}

export interface JobScript {
  /** Fail the job for good with this error. */
  failWith?: string;
  /** Ask the person a question instead of finishing. */
  ask?: string;
  /** Lines written to the job's log, `lineDelayMs` apart. */
  logLines?: string[];
  lineDelayMs?: number;
  /** Finish without a change (no completion). */
  noChange?: boolean;
}

/** The job runner: claims the next job, reports progress and a step, then fails, asks, or hands a completion to integration. */
export async function runJob(clients: Clients, script: JobScript = {}): Promise<{ job: QueueItem; completionId?: string; leaseToken: string }> {
  const { item: job, leaseToken } = await claim(clients, QueueName.JOBS, "sim-runner");
  await clients.execution.heartbeat({ workerId: "sim-runner", name: "simulated runner", host: "localhost", drivers: ["process"], concurrency: 1, activeJobIds: [job.id] });
  await append(
    clients,
    job.sessionId,
    job.id,
    { case: "jobProgress", value: create(JobProgressSchema, { stage: JobStage.RUN, detail: "reading the code", step: 1, totalSteps: 5 }) },
    { case: "agentStep", value: create(AgentStepSchema, { step: 1, command: "grep -rn TODO src", exitCode: 0, output: "src/a.ts:1: TODO" }) },
  );
  for (const text of script.logLines ?? []) {
    await clients.execution.appendJobLogs({ jobId: job.id, leaseToken, lines: [{ stream: LogStream.STDOUT, text }] });
    if (script.lineDelayMs) await new Promise((resolve) => setTimeout(resolve, script.lineDelayMs));
  }
  if (script.ask) {
    await append(clients, job.sessionId, job.id, { case: "question", value: create(QuestionSchema, { text: script.ask, options: ["yes", "no"] }) });
    return { job, leaseToken };
  }
  if (script.failWith) {
    await clients.queues.fail({ itemId: job.id, leaseToken, error: script.failWith, mode: FailMode.FINAL });
    return { job, leaseToken };
  }
  if (script.noChange) {
    await clients.queues.complete({ itemId: job.id, leaseToken, result: { kind: { case: "job", value: { summary: "nothing needed changing" } } } });
    return { job, leaseToken };
  }
  const branch = `agent/sim-runner/${job.id}`;
  const sha = "c0ffee".padEnd(40, "0");
  const { item: completion } = await clients.queues.enqueue({
    queue: QueueName.COMPLETIONS,
    sessionId: job.sessionId,
    parentId: job.id,
    payload: { kind: { case: "completion", value: { jobId: job.id, branch, sha, baseSha: "b".repeat(40), summary: "did the thing", changedFiles: ["src/a.ts"] } } },
  });
  await clients.queues.complete({
    itemId: job.id,
    leaseToken,
    result: { kind: { case: "job", value: { branch, sha, changedFiles: ["src/a.ts"], summary: "did the thing", completionId: completion!.id } } },
  });
  return { job, completionId: completion!.id, leaseToken };
}

export const MERGED_SHA = "abcdef1234".padEnd(40, "5");
export const PR_URL = "https://github.com/example/repo/pull/7";

/** Integration: claims the next completion and merges it, or reports a conflict and enqueues the repair job. */
export async function integrate(clients: Clients, options: { conflict?: boolean } = {}): Promise<{ completion: QueueItem; repairJobId?: string }> {
  const { item: completion, leaseToken } = await claim(clients, QueueName.COMPLETIONS, "sim-integrator");
  await append(clients, completion.sessionId, completion.id, { case: "integrationStep", value: create(IntegrationStepSchema, { stage: "apply", detail: "cherry-pick" }) });
  if (options.conflict) {
    const { item: repair } = await clients.queues.enqueue({
      queue: QueueName.JOBS,
      sessionId: completion.sessionId,
      parentId: completion.id,
      payload: {
        kind: {
          case: "taskExecuteV2",
          value: { lane: Lane.WORKER, instruction: "resolve the conflict", repair: { completionId: completion.id, conflictingFiles: ["src/a.ts"], round: 1 } },
        },
      },
    });
    await clients.queues.fail({
      itemId: completion.id,
      leaseToken,
      error: "cherry-pick conflicted",
      mode: FailMode.CONFLICTED,
      conflictingFiles: ["src/a.ts"],
      repairJobId: repair!.id,
    });
    return { completion, repairJobId: repair!.id };
  }
  await clients.queues.complete({
    itemId: completion.id,
    leaseToken,
    result: { kind: { case: "completion", value: { mergedSha: MERGED_SHA, integrationBranch: "main_agents", strategy: MergeStrategy.CHERRY_PICK, pushed: true, prUrl: PR_URL } } },
  });
  return { completion };
}
