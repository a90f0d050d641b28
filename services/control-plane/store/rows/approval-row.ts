import { create } from "@bufbuild/protobuf";
import { ApprovalSchema, type Approval } from "../../../../gen/pushpals/v1/approvals_pb.js";
import { toTimestamp } from "../../../../shared/time.js";

export interface ApprovalRow {
  id: string;
  session_id: string;
  item_id: string;
  kind: number;
  subject: string;
  rule: string;
  timeout_action: number;
  status: number;
  answered_by: string;
  comment: string;
  idempotency_key: string;
  created_at: number;
  expires_at: number;
  answered_at: number | null;
  timed_out: number;
}

export function toApproval(row: ApprovalRow): Approval {
  return create(ApprovalSchema, {
    id: row.id,
    sessionId: row.session_id,
    itemId: row.item_id,
    kind: row.kind,
    subject: row.subject,
    rule: row.rule,
    timeoutAction: row.timeout_action,
    status: row.status,
    answeredBy: row.answered_by,
    comment: row.comment,
    createdAt: toTimestamp(Number(row.created_at)),
    expiresAt: toTimestamp(Number(row.expires_at)),
    answeredAt: row.answered_at === null ? undefined : toTimestamp(Number(row.answered_at)),
    timedOut: row.timed_out === 1,
  });
}
