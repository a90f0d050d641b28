import { fromBinary } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { ApprovalStatus } from "../../../../../gen/pushpals/v1/approvals_pb.js";
import { ObjectiveOutcome, ObjectiveStatus, type Objective } from "../../../../../gen/pushpals/v1/autonomy_pb.js";
import { ItemStatus, QueueName } from "../../../../../gen/pushpals/v1/common_pb.js";
import { ItemResultSchema } from "../../../../../gen/pushpals/v1/items_pb.js";
import type { Executor } from "../../dialect/dialect.js";
import { toObjective, type ObjectiveRow } from "../../rows/objective-row.js";
import { failedPrecondition, notFound } from "../../../../../shared/errors.js";
import type { WriteTx } from "../../transaction.js";
import { countOutcome, type DefaultMode } from "./autonomy-state.js";
import { requireHolder } from "./dispatch-lease.js";
import { openObjectives, update } from "./objectives.js";
import { foldPrior } from "./priors.js";

interface ItemRow {
  id: string;
  queue: number;
  status: number;
  result: Uint8Array | null;
  last_error: string;
}

type Verdict = { outcome: ObjectiveOutcome; comment: string } | undefined;

const FAILED_STATUSES = new Set<number>([ItemStatus.FAILED, ItemStatus.DEAD_LETTER, ItemStatus.CONFLICTED]);

/**
 * The holder's bookkeeping pass: answered questions move their objectives (yes → approved,
 * no → declined for good), and dispatched objectives whose work has ended get their outcome,
 * which moves the prior of their kind and the run of failures the health evaluator reads.
 */
export async function settleObjectives(tx: WriteTx, input: { holder: string; alpha: number; defaultMode: DefaultMode }): Promise<Objective[]> {
  await requireHolder(tx, input.holder);
  const changed: Objective[] = [];
  for (const row of await openObjectives(tx.exec, [ObjectiveStatus.QUESTIONED])) {
    const [approval] = await tx.exec.rows<{ status: number; comment: string; answered_by: string }>(
      sql`SELECT status, comment, answered_by FROM approvals WHERE id = ${row.approval_id}`,
    );
    if (!approval || approval.status === ApprovalStatus.PENDING) continue;
    if (approval.status === ApprovalStatus.APPROVED) {
      changed.push(
        await update(tx, sql`status = ${ObjectiveStatus.APPROVED}, comment = ${`approved by ${approval.answered_by}${approval.comment ? `: ${approval.comment}` : ""}`}`, row.id),
      );
      continue;
    }
    const comment = `declined by ${approval.answered_by}: ${approval.comment}`;
    changed.push(await update(tx, sql`status = ${ObjectiveStatus.DECLINED}, outcome = ${ObjectiveOutcome.DENIED}, comment = ${comment}, finished_at = ${tx.now}`, row.id));
    await foldPrior(tx, row.kind, ObjectiveOutcome.DENIED, input.alpha);
  }
  for (const row of await openObjectives(tx.exec, [ObjectiveStatus.DISPATCHED])) {
    const verdict = await verdictOf(tx.exec, row);
    if (!verdict) continue;
    changed.push(await update(tx, sql`status = ${ObjectiveStatus.FINISHED}, outcome = ${verdict.outcome}, comment = ${verdict.comment}, finished_at = ${tx.now}`, row.id));
    await foldPrior(tx, row.kind, verdict.outcome, input.alpha);
    if (verdict.outcome === ObjectiveOutcome.MERGED || verdict.outcome === ObjectiveOutcome.FAILED) {
      await countOutcome(tx, verdict.outcome === ObjectiveOutcome.FAILED, input.defaultMode);
    }
  }
  return changed;
}

/** The outcome once the request, its jobs and their completions have all ended; undefined while any runs. */
async function verdictOf(exec: Executor, objective: ObjectiveRow): Promise<Verdict> {
  const [request] = await exec.rows<ItemRow>(sql`SELECT id, queue, status, result, last_error FROM queue_items WHERE id = ${objective.request_id}`);
  if (!request) return { outcome: ObjectiveOutcome.FAILED, comment: `its request ${objective.request_id} is gone` };
  const ended = endOf(request, "the request");
  if (ended !== "completed") return ended === "running" ? undefined : await deniedOr(exec, request.id, ended);
  const jobIds = request.result ? ((fromBinary(ItemResultSchema, request.result).kind.value as { jobIds?: string[] } | undefined)?.jobIds ?? []) : [];
  if (jobIds.length === 0) return await deniedOr(exec, request.id, { outcome: ObjectiveOutcome.FAILED, comment: "the planner dispatched no work" });
  let merged = 0;
  for (const jobId of jobIds) {
    const [job] = await exec.rows<ItemRow>(sql`SELECT id, queue, status, result, last_error FROM queue_items WHERE id = ${jobId}`);
    if (!job) return undefined;
    const jobEnded = endOf(job, `job ${jobId}`);
    if (jobEnded === "running") return undefined;
    if (jobEnded !== "completed") return jobEnded;
    const result = job.result ? fromBinary(ItemResultSchema, job.result) : undefined;
    const completionId = result?.kind.case === "job" ? result.kind.value.completionId : "";
    if (!completionId) return { outcome: ObjectiveOutcome.FAILED, comment: `job ${jobId} changed nothing` };
    const [completion] = await exec.rows<ItemRow>(sql`SELECT id, queue, status, result, last_error FROM queue_items WHERE id = ${completionId}`);
    if (!completion) return undefined;
    const completionEnded = endOf(completion, `completion ${completionId}`);
    if (completionEnded === "running") return undefined;
    if (completionEnded !== "completed") return completionEnded;
    merged += 1;
  }
  return { outcome: ObjectiveOutcome.MERGED, comment: `${merged} change${merged === 1 ? "" : "s"} merged` };
}

function endOf(item: ItemRow, what: string): "running" | "completed" | NonNullable<Verdict> {
  if (item.status === ItemStatus.PENDING || item.status === ItemStatus.CLAIMED) return "running";
  if (item.status === ItemStatus.COMPLETED) return "completed";
  if (item.status === ItemStatus.CANCELLED) return { outcome: ObjectiveOutcome.CANCELLED, comment: `${what} was cancelled` };
  if (FAILED_STATUSES.has(item.status))
    return { outcome: ObjectiveOutcome.FAILED, comment: `${what} ${ItemStatus[item.status]!.toLowerCase()}: ${item.last_error}`.slice(0, 2000) };
  return { outcome: ObjectiveOutcome.FAILED, comment: `${what} ended as ${item.status}` };
}

/** A person saying no to the plan is a denial, not a failure of the work. */
async function deniedOr(exec: Executor, requestId: string, otherwise: NonNullable<Verdict>): Promise<NonNullable<Verdict>> {
  const [denied] = await exec.rows<{ answered_by: string; comment: string }>(
    sql`SELECT answered_by, comment FROM approvals WHERE item_id = ${requestId} AND status = ${ApprovalStatus.DENIED} LIMIT 1`,
  );
  return denied ? { outcome: ObjectiveOutcome.DENIED, comment: `plan denied by ${denied.answered_by}: ${denied.comment}` } : otherwise;
}

/** Items of autonomous work still pending or running, for the kill switch (requests first, so the planner stops before its jobs). */
export async function openAutonomousItems(exec: Executor): Promise<string[]> {
  const rows = await exec.rows<{ id: string }>(sql`
    SELECT q.id FROM queue_items q JOIN autonomy_objectives o ON o.session_id = q.session_id
     WHERE q.status IN (${ItemStatus.PENDING}, ${ItemStatus.CLAIMED}) AND o.status = ${ObjectiveStatus.DISPATCHED}
     ORDER BY CASE q.queue WHEN ${QueueName.REQUESTS} THEN 0 WHEN ${QueueName.JOBS} THEN 1 ELSE 2 END, q.seq`);
  return rows.map((row) => row.id);
}

/** A merged objective's change was reverted: the outcome becomes reverted, the prior folds in a 0, and it counts as a failure. */
export async function markReverted(tx: WriteTx, input: { holder: string; objectiveId: string; revertSha: string; alpha: number; defaultMode: DefaultMode }): Promise<Objective> {
  await requireHolder(tx, input.holder);
  const [row] = await tx.exec.rows<ObjectiveRow>(sql`SELECT * FROM autonomy_objectives WHERE id = ${input.objectiveId} ${tx.dialect.lockRow}`);
  if (!row) throw notFound("objective", input.objectiveId);
  if (row.outcome === ObjectiveOutcome.REVERTED) return toObjective(row);
  if (row.status !== ObjectiveStatus.FINISHED || row.outcome !== ObjectiveOutcome.MERGED)
    throw failedPrecondition(`objective ${row.id} did not end merged; only a merged change can be reverted`);
  const objective = await update(tx, sql`outcome = ${ObjectiveOutcome.REVERTED}, comment = ${`reverted by ${input.revertSha}`}`, row.id);
  await foldPrior(tx, row.kind, ObjectiveOutcome.REVERTED, input.alpha);
  await countOutcome(tx, true, input.defaultMode);
  return objective;
}
