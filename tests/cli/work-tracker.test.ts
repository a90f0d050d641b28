import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { EventSchema, type Event } from "../../gen/pushpals/v1/events_pb.js";
import { QueueItemSchema } from "../../gen/pushpals/v1/items_pb.js";
import { WorkTracker, type WorkOutcome } from "../../cli/client/chat/work-tracker.js";

const REQ = "req_01JD0000000000000000000001";
const JOB = "job_01JD0000000000000000000002";
const CMP = "cmp_01JD0000000000000000000003";
const REPAIR = "job_01JD0000000000000000000004";
const CMP2 = "cmp_01JD0000000000000000000005";
const OTHER_JOB = "job_01JD0000000000000000000009";

const event = (itemId: string, payload: MessageInitShape<typeof EventSchema>["payload"]) => create(EventSchema, { itemId, payload });
const enqueued = (queue: QueueName, id: string, parentId: string) =>
  event(id, {
    case: queue === QueueName.JOBS ? "jobEnqueued" : "completionEnqueued",
    value: { item: create(QueueItemSchema, { id, queue, parentId }) },
  });
const requestDone = (jobIds: string[]) => event(REQ, { case: "requestCompleted", value: { result: { kind: { case: "request", value: { jobIds } } } } });
const jobDone = (id: string, completionId = "") =>
  event(id, { case: "jobCompleted", value: { result: { kind: { case: "job", value: { sha: completionId ? "a".repeat(40) : "", completionId } } } } });
const merged = (id: string) =>
  event(id, {
    case: "completionCompleted",
    value: { result: { kind: { case: "completion", value: { mergedSha: "f".repeat(40), integrationBranch: "main_agents", prUrl: "https://example.test/pr/1" } } } },
  });

/** Feeds events in order; returns the index of the first outcome and the outcome. */
function run(events: Event[]): { at: number; outcome?: WorkOutcome } {
  const tracker = new WorkTracker(REQ);
  for (const [index, next] of events.entries()) {
    const outcome = tracker.observe(next);
    if (outcome) return { at: index, outcome };
  }
  return { at: -1 };
}

describe("WorkTracker", () => {
  it("request → job → completion → merged ends at the merge, not before", () => {
    const events = [enqueued(QueueName.JOBS, JOB, REQ), requestDone([JOB]), enqueued(QueueName.COMPLETIONS, CMP, JOB), jobDone(JOB, CMP), merged(CMP)];
    const { at, outcome } = run(events);
    expect(at).toBe(events.length - 1);
    expect(outcome).toMatchObject({ status: "merged", merges: [{ completionId: CMP, integrationBranch: "main_agents", prUrl: "https://example.test/pr/1" }] });
  });

  it("waits for the job to finish even when integration merged its completion first", () => {
    const events = [requestDone([JOB]), enqueued(QueueName.COMPLETIONS, CMP, JOB), merged(CMP), jobDone(JOB, CMP)];
    expect(run(events)).toMatchObject({ at: 3, outcome: { status: "merged" } });
  });

  it("learns the jobs from the request's result when their enqueue events are not seen", () => {
    const events = [requestDone([JOB]), jobDone(JOB, CMP), merged(CMP)];
    expect(run(events)).toMatchObject({ at: 2, outcome: { status: "merged" } });
  });

  it("a request completed without jobs was answered without work", () => {
    expect(run([requestDone([])])).toMatchObject({ at: 0, outcome: { status: "answered" } });
  });

  it("a job that finishes without a change ends the work without a merge", () => {
    expect(run([requestDone([JOB]), jobDone(JOB)])).toMatchObject({ at: 1, outcome: { status: "no_change", jobIds: [JOB] } });
  });

  it("a failed job ends the work with its reason", () => {
    const { outcome } = run([requestDone([JOB]), event(JOB, { case: "jobFailed", value: { error: "3 tests failed" } })]);
    expect(outcome).toEqual({ status: "failed", itemId: JOB, reason: `job ${JOB} failed: 3 tests failed` });
  });

  it("a retried job is not the end; its dead-lettering is", () => {
    const events = [
      requestDone([JOB]),
      event(JOB, { case: "jobRequeued", value: { reason: "lease expired", attempt: 1 } }),
      event(JOB, { case: "jobDeadLettered", value: { lastError: "worker vanished", attempts: 3 } }),
    ];
    expect(run(events)).toMatchObject({ at: 2, outcome: { status: "failed", reason: `job ${JOB} gave up after 3 attempts: worker vanished` } });
  });

  it("follows a conflict into its repair job and ends at the repair's merge", () => {
    const events = [
      requestDone([JOB]),
      jobDone(JOB, CMP),
      enqueued(QueueName.JOBS, REPAIR, CMP),
      event(CMP, { case: "completionConflicted", value: { error: "conflict", conflictingFiles: ["a.ts"], repairJobId: REPAIR } }),
      enqueued(QueueName.COMPLETIONS, CMP2, REPAIR),
      jobDone(REPAIR, CMP2),
      merged(CMP2),
    ];
    expect(run(events)).toMatchObject({ at: 6, outcome: { status: "merged", merges: [{ completionId: CMP2 }] } });
  });

  it("after a conflict that names no repair job, waits for the job whose parent is the completion", () => {
    const tracker = new WorkTracker(REQ);
    for (const next of [requestDone([JOB]), jobDone(JOB, CMP), event(CMP, { case: "completionConflicted", value: { error: "conflict" } })]) {
      expect(tracker.observe(next)).toBeUndefined();
    }
    expect(tracker.pending()).toEqual([`the repair job for ${CMP}`]);
    tracker.observe(enqueued(QueueName.JOBS, REPAIR, CMP));
    expect(tracker.pending()).toEqual([`job ${REPAIR}`]);
    expect(tracker.observe(jobDone(REPAIR))).toMatchObject({ status: "no_change" });
  });

  it("ignores other work in the same session", () => {
    const tracker = new WorkTracker(REQ);
    const foreign = event(OTHER_JOB, { case: "jobFailed", value: { error: "not ours" } });
    expect(tracker.observe(foreign)).toBeUndefined();
    expect(tracker.concerns(foreign)).toBe(false);
    expect(tracker.observe(enqueued(QueueName.COMPLETIONS, CMP2, OTHER_JOB))).toBeUndefined();
    expect(tracker.pending()).toEqual([`request ${REQ}`]);
  });

  it("a question about the work needs a person", () => {
    const { outcome } = run([requestDone([JOB]), event(JOB, { case: "question", value: { text: "Delete the old API?", options: ["yes", "no"] } })]);
    expect(outcome).toMatchObject({ status: "needs_answer", question: "Delete the old API?" });
    expect(outcome?.reason).toMatch(/needs an answer.*Delete the old API\?/);
  });
});
