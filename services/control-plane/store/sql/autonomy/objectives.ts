import { create } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { ApprovalKind, ApprovalTimeoutAction } from "../../../../../gen/pushpals/v1/approvals_pb.js";
import { ObjectiveStatus, type Candidate, type Objective } from "../../../../../gen/pushpals/v1/autonomy_pb.js";
import { Priority, QueueName } from "../../../../../gen/pushpals/v1/common_pb.js";
import { ObjectiveUpdatedSchema } from "../../../../../gen/pushpals/v1/events_pb.js";
import { ItemPayloadSchema, RequestPayloadSchema } from "../../../../../gen/pushpals/v1/items_pb.js";
import { failedPrecondition, notFound } from "../../../../../shared/errors.js";
import { newId } from "../../../../../shared/ids.js";
import type { Executor } from "../../dialect/dialect.js";
import { toObjective, type ObjectiveRow } from "../../rows/objective-row.js";
import type { WriteTx } from "../../transaction.js";
import { requestApproval } from "../approvals.js";
import { enqueue } from "../enqueue.js";
import { createSession, positiveLimit } from "../sessions.js";
import { lockState, requireOn, type DefaultMode } from "./autonomy-state.js";
import { requireHolder } from "./dispatch-lease.js";

export interface ProposeInput {
  holder: string;
  candidate: Candidate;
  ask: boolean;
  questionTimeoutMs: number;
  requestText: string;
  defaultMode: DefaultMode;
}

/** Every status change of an objective is an event in its own session. */
export function emitObjective(tx: WriteTx, objective: Objective): void {
  tx.emit(objective.sessionId, { payload: { case: "objectiveUpdated", value: create(ObjectiveUpdatedSchema, { objective }) } });
}

/**
 * The holder acts on a candidate, in one transaction with the lock and switch checks: a
 * session of its own, then either a question (an AUTONOMY_OBJECTIVE approval) or its
 * background request.
 */
export async function proposeObjective(tx: WriteTx, input: ProposeInput): Promise<Objective> {
  await requireHolder(tx, input.holder);
  requireOn(await lockState(tx, input.defaultMode), tx.now);
  const { candidate } = input;
  const key = `${candidate.kind}:${candidate.target}`;
  const [busy] = await tx.exec.rows<{ id: string }>(sql`
    SELECT id FROM autonomy_objectives WHERE key = ${key}
       AND status IN (${ObjectiveStatus.QUESTIONED}, ${ObjectiveStatus.APPROVED}, ${ObjectiveStatus.DISPATCHED}) LIMIT 1`);
  if (busy) throw failedPrecondition(`objective ${busy.id} for ${key} is still open; settle it first`);
  const id = newId("objective");
  const { session } = await createSession(tx, { title: `Autonomy: ${candidate.title}`.slice(0, 200), objectiveId: id });
  const [row] = await tx.exec.rows<ObjectiveRow>(sql`
    INSERT INTO autonomy_objectives (id, key, kind, target, title, evidence, score, status, session_id, created_at)
    VALUES (${id}, ${key}, ${candidate.kind}, ${candidate.target}, ${candidate.title}, ${candidate.evidence}, ${candidate.score},
            ${input.ask ? ObjectiveStatus.QUESTIONED : ObjectiveStatus.DISPATCHED}, ${session.id}, ${tx.now})
    RETURNING *`);
  if (!row) throw new Error(`objective ${id} vanished while being made`);
  if (input.ask) {
    const { approval } = await requestApproval(tx, {
      sessionId: session.id,
      itemId: "",
      kind: ApprovalKind.AUTONOMY_OBJECTIVE,
      subject: `Autonomy found: ${candidate.title}. Work on it? (score ${candidate.score.toFixed(1)})`,
      rule: `autonomy.risk_threshold: ${candidate.kind} risk ${candidate.risk.toFixed(2)}`,
      idempotencyKey: `autonomy:${id}`,
      timeoutMs: input.questionTimeoutMs,
      timeoutAction: ApprovalTimeoutAction.DENY,
    });
    return update(tx, sql`approval_id = ${approval.id}`, id);
  }
  return enqueueRequest(tx, row, input.requestText);
}

/** An objective a person said yes to goes on the queue. */
export async function dispatchObjective(tx: WriteTx, input: { holder: string; objectiveId: string; requestText: string; defaultMode: DefaultMode }): Promise<Objective> {
  await requireHolder(tx, input.holder);
  requireOn(await lockState(tx, input.defaultMode), tx.now);
  const [row] = await tx.exec.rows<ObjectiveRow>(sql`SELECT * FROM autonomy_objectives WHERE id = ${input.objectiveId} ${tx.dialect.lockRow}`);
  if (!row) throw notFound("objective", input.objectiveId);
  if (row.status !== ObjectiveStatus.APPROVED) throw failedPrecondition(`objective ${row.id} is ${ObjectiveStatus[row.status]?.toLowerCase()}, not approved`);
  return enqueueRequest(tx, row, input.requestText);
}

async function enqueueRequest(tx: WriteTx, row: ObjectiveRow, text: string): Promise<Objective> {
  const { item } = await enqueue(tx, {
    queue: QueueName.REQUESTS,
    sessionId: row.session_id,
    priority: Priority.BACKGROUND,
    payload: create(ItemPayloadSchema, { kind: { case: "request", value: create(RequestPayloadSchema, { text, origin: "autonomy", objectiveId: row.id }) } }),
    idempotencyKey: `autonomy:${row.id}`,
  });
  return update(tx, sql`status = ${ObjectiveStatus.DISPATCHED}, request_id = ${item.id}, dispatched_at = ${tx.now}`, row.id);
}

/** Sets columns of one objective and audits the result. */
export async function update(tx: WriteTx, set: ReturnType<typeof sql>, id: string): Promise<Objective> {
  const [updated] = await tx.exec.rows<ObjectiveRow>(sql`UPDATE autonomy_objectives SET ${set} WHERE id = ${id} RETURNING *`);
  if (!updated) throw new Error(`objective ${id} vanished while being updated`);
  const objective = toObjective(updated);
  emitObjective(tx, objective);
  return objective;
}

/** Newest first. */
export async function listObjectives(exec: Executor, limit: number): Promise<Objective[]> {
  const rows = await exec.rows<ObjectiveRow>(sql`SELECT * FROM autonomy_objectives ORDER BY created_at DESC, id DESC LIMIT ${positiveLimit(limit)}`);
  return rows.map(toObjective);
}

export async function openObjectives(exec: Executor, statuses: ObjectiveStatus[]): Promise<ObjectiveRow[]> {
  return exec.rows<ObjectiveRow>(sql`SELECT * FROM autonomy_objectives WHERE status IN (${sql.join(statuses, sql`, `)}) ORDER BY created_at, id`);
}
