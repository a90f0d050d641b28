import { create } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { ApprovalStatus, ApprovalTimeoutAction, type Approval } from "../../../../gen/pushpals/v1/approvals_pb.js";
import { ApprovalAnsweredSchema, ApprovalRequestedSchema } from "../../../../gen/pushpals/v1/events_pb.js";
import { failedPrecondition, invalidArgument, notFound } from "../../../../shared/errors.js";
import { newId } from "../../../../shared/ids.js";
import type { Executor } from "../dialect/dialect.js";
import { toApproval, type ApprovalRow } from "../rows/approval-row.js";
import type { AnswerApprovalInput, ListApprovalsInput, RequestApprovalInput } from "../store.js";
import type { WriteTx } from "../transaction.js";
import { positiveLimit, requireSession } from "./sessions.js";

/** Who answers when nobody did in time. */
export const TIMEOUT_ANSWERER = "timeout";

/** A new pending request with its approval_requested event, or the one made earlier with the same key (then nothing is asked again). */
export async function requestApproval(tx: WriteTx, input: RequestApprovalInput): Promise<{ approval: Approval; existing: boolean }> {
  await requireSession(tx.exec, input.sessionId);
  const timeoutAction = input.timeoutAction === ApprovalTimeoutAction.UNSPECIFIED ? ApprovalTimeoutAction.DENY : input.timeoutAction;
  const [row] = await tx.exec.rows<ApprovalRow>(sql`
    INSERT INTO approvals (id, session_id, item_id, kind, subject, rule, timeout_action, status, idempotency_key, created_at, expires_at)
    VALUES (${newId("approval")}, ${input.sessionId}, ${input.itemId}, ${input.kind}, ${input.subject}, ${input.rule}, ${timeoutAction},
            ${ApprovalStatus.PENDING}, ${input.idempotencyKey}, ${tx.now}, ${tx.now + input.timeoutMs})
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING *`);
  if (!row) {
    const [earlier] = await tx.exec.rows<ApprovalRow>(sql`SELECT * FROM approvals WHERE idempotency_key = ${input.idempotencyKey}`);
    if (!earlier) throw new Error(`approval with idempotency key ${input.idempotencyKey} vanished during requestApproval`);
    return { approval: toApproval(earlier), existing: true };
  }
  const approval = toApproval(row);
  tx.emit(row.session_id, { itemId: row.item_id || undefined, payload: { case: "approvalRequested", value: create(ApprovalRequestedSchema, { approval }) } });
  return { approval, existing: false };
}

export async function getApproval(exec: Executor, id: string): Promise<Approval | undefined> {
  const [row] = await exec.rows<ApprovalRow>(sql`SELECT * FROM approvals WHERE id = ${id}`);
  return row ? toApproval(row) : undefined;
}

/**
 * Pending first (oldest first: the longest-waiting question on top), then answered ones
 * (newest answer first). Keyset-paginated on that same order, so answers arriving between
 * pages move a request but never make a page repeat or skip a still-pending one.
 */
export async function listApprovals(exec: Executor, input: ListApprovalsInput): Promise<Approval[]> {
  const group = sql`(CASE WHEN status = ${ApprovalStatus.PENDING} THEN 0 ELSE 1 END)`;
  const within = sql`(CASE WHEN status = ${ApprovalStatus.PENDING} THEN created_at ELSE -answered_at END)`;
  const filters = [sql`1 = 1`];
  if (input.sessionId) filters.push(sql`session_id = ${input.sessionId}`);
  if (input.pendingOnly) filters.push(sql`status = ${ApprovalStatus.PENDING}`);
  if (input.after) {
    const [anchor] = await exec.rows<{ g: number; k: number; id: string }>(sql`SELECT ${group} AS g, ${within} AS k, id FROM approvals WHERE id = ${input.after}`);
    if (!anchor) throw invalidArgument("page_token", `no approval ${input.after}; list again without a page token`);
    filters.push(sql`(${group}, ${within}, id) > (${Number(anchor.g)}, ${Number(anchor.k)}, ${anchor.id})`);
  }
  const rows = await exec.rows<ApprovalRow>(sql`
    SELECT * FROM approvals WHERE ${sql.join(filters, sql` AND `)}
     ORDER BY ${group}, ${within}, id LIMIT ${positiveLimit(input.limit)}`);
  return rows.map(toApproval);
}

/**
 * A person's answer. Answering again the way it was answered changes nothing (a retried
 * call); the other way is refused, since the waiting work may already have acted on it.
 */
export async function answerApproval(tx: WriteTx, input: AnswerApprovalInput): Promise<Approval> {
  const [row] = await tx.exec.rows<ApprovalRow>(sql`SELECT * FROM approvals WHERE id = ${input.id} ${tx.dialect.lockRow}`);
  if (!row) throw notFound("approval", input.id);
  if (row.status !== ApprovalStatus.PENDING) {
    if (row.status === input.status && !row.timed_out) return toApproval(row);
    const how = `${ApprovalStatus[row.status]!.toLowerCase()} by ${row.answered_by}${row.timed_out ? " (no answer in time)" : ""}`;
    throw failedPrecondition(`approval ${row.id} was already ${how}; ask for the work again if it should run`);
  }
  return settle(tx, row, { status: input.status, answeredBy: input.answeredBy, comment: input.comment, timedOut: false });
}

/** Pending requests past their expiry get their timeout action, answered by "timeout" and audited. */
export async function expireApprovals(tx: WriteTx): Promise<number> {
  const due = await tx.exec.rows<ApprovalRow>(sql`
    SELECT * FROM approvals WHERE status = ${ApprovalStatus.PENDING} AND expires_at <= ${tx.now}
     ORDER BY expires_at LIMIT 100 ${tx.dialect.lockSkipLocked}`);
  for (const row of due) {
    const approve = row.timeout_action === ApprovalTimeoutAction.APPROVE;
    const seconds = Math.round((Number(row.expires_at) - Number(row.created_at)) / 1000);
    await settle(tx, row, {
      status: approve ? ApprovalStatus.APPROVED : ApprovalStatus.DENIED,
      answeredBy: TIMEOUT_ANSWERER,
      comment: `nobody answered within ${seconds} s; the configured timeout action (${approve ? "approve" : "deny"}) applied`,
      timedOut: true,
    });
  }
  return due.length;
}

async function settle(tx: WriteTx, row: ApprovalRow, answer: { status: ApprovalStatus; answeredBy: string; comment: string; timedOut: boolean }): Promise<Approval> {
  const [updated] = await tx.exec.rows<ApprovalRow>(sql`
    UPDATE approvals SET status = ${answer.status}, answered_by = ${answer.answeredBy}, comment = ${answer.comment},
           answered_at = ${tx.now}, timed_out = ${answer.timedOut ? 1 : 0}
     WHERE id = ${row.id} RETURNING *`);
  if (!updated) throw new Error(`approval ${row.id} vanished while being answered`);
  tx.emit(row.session_id, {
    itemId: row.item_id || undefined,
    payload: {
      case: "approvalAnswered",
      value: create(ApprovalAnsweredSchema, {
        approvalId: row.id,
        status: answer.status,
        answeredBy: answer.answeredBy,
        comment: answer.comment,
        timedOut: answer.timedOut,
        kind: row.kind,
      }),
    },
  });
  return toApproval(updated);
}
