import type { Approval } from "../../../gen/pushpals/v1/approvals_pb.js";
import type { Event } from "../../../gen/pushpals/v1/events_pb.js";

/** A line of the chat that answers an approval prompt: y, yes, n or no, then an optional comment. */
export interface InlineAnswer {
  approve: boolean;
  comment: string;
}

const ANSWER = /^(y|yes|n|no)(?:\s+(.*))?$/i;

export function parseInlineAnswer(text: string): InlineAnswer | undefined {
  const match = ANSWER.exec(text.trim());
  if (!match) return undefined;
  return { approve: match[1]!.toLowerCase().startsWith("y"), comment: (match[2] ?? "").trim() };
}

/**
 * The session's approval requests still waiting, oldest first, as the chat saw them: a y/n
 * typed while one waits answers the oldest (the one whose prompt was shown first).
 */
export class PendingApprovals {
  private readonly waiting = new Map<string, Approval>();

  seed(approvals: readonly Approval[]): void {
    for (const approval of approvals) this.waiting.set(approval.id, approval);
  }

  observe(event: Event): void {
    const p = event.payload;
    if (p.case === "approvalRequested" && p.value.approval) this.waiting.set(p.value.approval.id, p.value.approval);
    if (p.case === "approvalAnswered") this.waiting.delete(p.value.approvalId);
  }

  oldest(): Approval | undefined {
    return this.waiting.values().next().value;
  }

  forget(id: string): void {
    this.waiting.delete(id);
  }
}
