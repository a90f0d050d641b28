import { z } from "zod";
import { ApprovalKindSchema, ApprovalTimeoutActionSchema } from "../../../gen/pushpals/v1/approvals_pb.js";
import { enumValue } from "../../../shared/rpc/validate.js";
import { duration, id, optionalItemId, pageSize, pageToken, requiredText, text } from "./fields.js";

const DAY_MS = 24 * 3600 * 1000;
const approvalId = id("approval");
const answeredBy = requiredText("name of who answers", 100);

export const requestApprovalRequest = z.object({
  sessionId: id("session"),
  itemId: optionalItemId,
  kind: enumValue(ApprovalKindSchema),
  subject: requiredText("question", 8 * 1024),
  rule: requiredText("rule that matched", 1000),
  idempotencyKey: requiredText("idempotency key", 200),
  timeout: duration({ minMs: 1000, maxMs: 30 * DAY_MS, required: true }),
  timeoutAction: enumValue(ApprovalTimeoutActionSchema, { allowUnspecified: true }),
});
export const getApprovalRequest = z.object({ id: approvalId, wait: duration({ minMs: 0, maxMs: 10 * 60_000 }) });
export const listApprovalsRequest = z.object({
  sessionId: z.string().refine((v) => v === "" || /^ses_/.test(v), "must be empty or a session id (ses_…)"),
  pendingOnly: z.boolean(),
  pageSize,
  pageToken,
});
export const approveRequest = z.object({ id: approvalId, answeredBy, comment: text("comment", 4000) });
export const denyRequest = z.object({ id: approvalId, answeredBy, comment: requiredText("reason for the denial (the waiting work ends with it)", 4000) });
