import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import type { CompletionPayload, QueueItem } from "../../../gen/pushpals/v1/items_pb.js";
import type { EnqueueRequestSchema } from "../../../gen/pushpals/v1/queues_pb.js";
import { Lane, RepairContextSchema, TaskExecuteV2Schema } from "../../../gen/pushpals/v1/task_pb.js";
import type { IntegrationOutcome } from "../outcome.js";

export type Conflict = Extract<IntegrationOutcome, { kind: "conflicted" }>;

/** Files named in the instruction itself; RepairContext carries them all. */
const MAX_FILES_IN_INSTRUCTION = 200;

/** One repair job per conflicted completion, however often its report is retried. */
export function repairIdempotencyKey(completionId: string): string {
  return `repair:${completionId}`;
}

/**
 * The `task.execute` v2 job that repairs a conflicted completion: worker lane, starting
 * from the integration branch, the job's plan carried over (scope, criteria,
 * validation), and RepairContext so the next conflict knows which round this was.
 */
export function repairJobRequest(
  item: QueueItem,
  completion: CompletionPayload,
  conflict: Conflict,
  round: number,
  maxRounds: number,
): MessageInitShape<typeof EnqueueRequestSchema> {
  const repair = create(RepairContextSchema, {
    completionId: item.id,
    branch: completion.branch,
    ontoRef: conflict.ontoRef,
    conflictingFiles: conflict.files,
    round,
  });
  const task = create(TaskExecuteV2Schema, {
    lane: Lane.WORKER,
    instruction: repairInstruction(completion, conflict, round, maxRounds),
    planning: completion.planning,
    baseRef: conflict.ontoRef,
    requestId: completion.requestId,
    repair,
  });
  return {
    queue: QueueName.JOBS,
    sessionId: item.sessionId,
    priority: item.priority,
    payload: { kind: { case: "taskExecuteV2", value: task } },
    idempotencyKey: repairIdempotencyKey(item.id),
    parentId: item.id,
  };
}

/** What the repair job's agent is told: which work, where it conflicted, and how to bring it over with read-only git. */
export function repairInstruction(completion: CompletionPayload, conflict: Conflict, round: number, maxRounds: number): string {
  const onto = conflict.ontoRef;
  const range = completion.baseSha ? `${completion.baseSha}..${completion.sha}` : `${onto}...${completion.sha}`;
  const shown = conflict.files.slice(0, MAX_FILES_IN_INSTRUCTION);
  const more = conflict.files.length - shown.length;
  const files = shown.length > 0 ? shown.map((file) => `- ${file}`).join("\n") : "- (no single file: the branches have diverged and cannot fast-forward)";
  const summary = completion.summary.split("\n")[0]?.trim() ?? "";
  return [
    `Repair a change that no longer merges (repair round ${round} of at most ${maxRounds}).`,
    "",
    `Job ${completion.jobId} made a change on branch ${completion.branch}${summary ? `: "${summary}"` : ""}.`,
    `Integrating it into ${onto} (at ${conflict.ontoSha.slice(0, 12)}) stopped with conflicts in:`,
    files + (more > 0 ? `\n- … and ${more} more` : ""),
    "",
    `Rebase the job's branch onto ${onto} and resolve the conflicts in the files above. Your worktree starts at ${onto}.`,
    `\`git log ${range}\` and \`git diff ${range}\` show the job's change. Git is read-only in your sandbox, so do not run`,
    "git rebase or cherry-pick: apply the change by editing the files, keeping both what the job meant and what",
    `${onto} already has. Change nothing unrelated. Finish when the job's acceptance criteria hold on top of ${onto}.`,
  ].join("\n");
}
