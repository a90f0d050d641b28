import { ApprovalStatus, ApprovalTimeoutAction, type Approval, type ApprovalKind } from "../../gen/pushpals/v1/approvals_pb.js";
import type { Clients } from "../clients.js";
import type { ApprovalsSection } from "../config/sections/approvals.js";
import { durationFromMs } from "../time.js";

/** One GetApproval long-poll; callers keep their item's lease renewed meanwhile. */
const WAIT_MS = 30_000;

export interface ApprovalAsk {
  sessionId: string;
  itemId: string;
  kind: ApprovalKind;
  subject: string;
  rule: string;
  /** One request per key: a service that restarts mid-wait finds the same request and asks nothing again. */
  idempotencyKey: string;
}

/**
 * Asks (or finds the earlier request with the same key) and waits until a person or the
 * timeout action answers, or `signal` aborts. `onWaiting` hears whether it was asked anew.
 */
export async function askAndWait(
  approvals: Clients["approvals"],
  policy: Pick<ApprovalsSection, "timeoutSeconds" | "timeoutAction">,
  ask: ApprovalAsk,
  options: { signal: AbortSignal; onWaiting?: (approval: Approval, existing: boolean) => void },
): Promise<Approval> {
  const { approval, existing } = await approvals.requestApproval(
    {
      ...ask,
      timeout: durationFromMs(policy.timeoutSeconds * 1000),
      timeoutAction: policy.timeoutAction === "approve" ? ApprovalTimeoutAction.APPROVE : ApprovalTimeoutAction.DENY,
    },
    { signal: options.signal },
  );
  if (!approval) throw new Error(`RequestApproval (${ask.idempotencyKey}) answered without an approval`);
  options.onWaiting?.(approval, existing);
  let current = approval;
  while (current.status === ApprovalStatus.PENDING) {
    options.signal.throwIfAborted();
    const { approval: read } = await approvals.getApproval({ id: current.id, wait: durationFromMs(WAIT_MS) }, { signal: options.signal });
    if (!read) throw new Error(`GetApproval ${current.id} answered without an approval`);
    current = read;
  }
  return current;
}

/** Why a denied request stopped the work, for the person and the queue: who, and their comment. */
export function denialReason(approval: Approval): string {
  if (approval.timedOut) return "nobody answered in time (timeout action: deny)";
  return `denied by ${approval.answeredBy}${approval.comment ? `: ${approval.comment}` : ""}`;
}
