import { ApprovalKind, ApprovalStatus, type Approval } from "../../../gen/pushpals/v1/approvals_pb.js";

/** "plan", "push", "pull request", "command". */
export function kindWord(kind: ApprovalKind): string {
  return (ApprovalKind[kind] ?? "unspecified").toLowerCase().replace(/_/g, " ");
}

/** "pending", "approved by ada", "denied by timeout". */
export function statusWords(approval: Approval): string {
  if (approval.status === ApprovalStatus.PENDING) return "pending";
  const verdict = approval.status === ApprovalStatus.APPROVED ? "approved" : "denied";
  return `${verdict} by ${approval.answeredBy}`;
}
