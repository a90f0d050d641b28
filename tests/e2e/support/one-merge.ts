import { expect } from "vitest";
import { ItemStatus, QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import type { Event } from "../../../gen/pushpals/v1/events_pb.js";
import type { QueueItem } from "../../../gen/pushpals/v1/items_pb.js";
import { cursorProblems, eventsOf, outline, readAuditLog, stepsInOrder } from "./audit-log.js";
import { commitsOnIntegrationBranch, jobTrailers, testOnRemoteBranch } from "./remote-branch.js";
import type { SystemUnderTest } from "./system-under-test.js";

/** The causal chain of one message's work; services run side by side, so events of different items interleave around it. */
export const PIPELINE_STEPS = [
  "message",
  "requestEnqueued",
  "requestClaimed",
  "planCreated",
  "jobEnqueued",
  "jobClaimed",
  "agentStep",
  "validationResult",
  "completionEnqueued",
  "completionClaimed",
  "integrationStep",
  "completionCompleted",
] as const;

export interface OneMerge {
  log: Event[];
  request: QueueItem;
  job: QueueItem;
  completion: QueueItem;
}

/**
 * What every scenario ends with, faults or not: exactly one commit on the remote's
 * integration branch, carrying the trailer of the one job, whose test passes there; one
 * request, one job and one completion, each completed; the session's audit log gap-free
 * with the whole chain in order and each ending recorded once.
 */
export async function expectOneMerge(system: SystemUnderTest, sessionId: string, name: string): Promise<OneMerge> {
  const { clients } = system;
  const items = async (queue: QueueName) => (await clients.queues.listItems({ queue, sessionId })).items;
  const [requests, jobs, completions] = await Promise.all([items(QueueName.REQUESTS), items(QueueName.JOBS), items(QueueName.COMPLETIONS)]);
  const describe = (list: QueueItem[]) => list.map((item) => `${item.id} ${ItemStatus[item.status]} attempts ${item.attempts} ${item.lastError}`).join("; ");
  expect(
    requests.map((r) => r.status),
    describe(requests),
  ).toEqual([ItemStatus.COMPLETED]);
  expect(
    jobs.map((j) => j.status),
    describe(jobs),
  ).toEqual([ItemStatus.COMPLETED]);
  expect(
    completions.map((c) => c.status),
    describe(completions),
  ).toEqual([ItemStatus.COMPLETED]);
  const [request, job, completion] = [requests[0]!, jobs[0]!, completions[0]!];

  const commits = await commitsOnIntegrationBranch(system.remote);
  expect(
    commits.map((c) => c.message),
    "commits on the remote's main_agents beyond main",
  ).toHaveLength(1);
  expect(jobTrailers(commits[0]!.message)).toEqual([job.id]);
  const test = await testOnRemoteBranch(system.remote, system.dir, `check-${name}`);
  expect(test, test.output).toMatchObject({ code: 0 });
  expect(test.output).toContain("ok add(2, 3) = 5");

  const log = await readAuditLog(clients, sessionId);
  expect(cursorProblems(log), outline(log)).toEqual([]);
  stepsInOrder(log, [...PIPELINE_STEPS]);
  stepsInOrder(log, ["jobEnqueued", "requestCompleted"]);
  stepsInOrder(log, ["completionEnqueued", "jobCompleted"]);
  for (const once of ["planCreated", "jobEnqueued", "jobCompleted", "completionEnqueued", "completionCompleted", "requestCompleted"] as const) {
    expect(eventsOf(log, once), `${once} events in:\n${outline(log)}`).toHaveLength(1);
  }
  const merged = eventsOf(log, "completionCompleted")[0]!.payload.value.result;
  expect(merged?.kind.case === "completion" ? merged.kind.value : undefined).toMatchObject({ mergedSha: commits[0]!.sha, pushed: true, alreadyMerged: false });
  return { log, request, job, completion };
}

/** Resolves once the scripted model has received a request whose system prompt contains `text`. */
export async function modelCalled(system: SystemUnderTest, text: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const systemPrompt = (body: unknown) => {
    const messages = (body as { messages?: { role?: string; content?: unknown }[] } | null)?.messages ?? [];
    return messages
      .filter((m) => m.role === "system")
      .map((m) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content)))
      .join("\n");
  };
  while (!system.model.requests().some((request) => systemPrompt(request.body).includes(text))) {
    if (Date.now() > deadline) throw new Error(`the model was not asked "${text}…" within ${timeoutMs} ms; the system's log:\n${await system.logTail()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const PLANNER_PROMPT = "You are the planner of PushPals";
export const AGENT_PROMPT = "You are the PushPals coding agent";
