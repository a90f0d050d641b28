import { ApprovalKind, ApprovalStatus } from "../../gen/pushpals/v1/approvals_pb.js";
import type { QueueItem } from "../../gen/pushpals/v1/items_pb.js";
import { Lane, Risk, type Plan } from "../../gen/pushpals/v1/task_pb.js";
import { askAndWait, denialReason } from "../../shared/approvals/ask-and-wait.js";
import { planApprovalRule } from "../../shared/approvals/plan-rule.js";
import type { Clients } from "../../shared/clients.js";
import type { ApprovalsSection } from "../../shared/config/sections/approvals.js";
import type { Logger } from "../../shared/log.js";
import { oneLine } from "../../shared/text/clip.js";

/** What the approval policy says about a plan's job: go ahead, or stop with the reason the person is told. */
export type PlanVerdict = { go: true } | { go: false; reason: string };

/**
 * Holds a plan's job until the [approvals.plan] policy lets it through: auto goes at once,
 * deny stops it, ask creates one approval request per request item (keyed by its id, so a
 * planner that restarts mid-wait finds the same request instead of asking again) and waits
 * for a person or the timeout action. The request's lease is kept throughout.
 */
export async function approvePlan(
  clients: Clients,
  policy: ApprovalsSection,
  request: { item: QueueItem; text: string },
  plan: Plan,
  options: { signal: AbortSignal; logger: Logger },
): Promise<PlanVerdict> {
  const matched = planApprovalRule(plan, policy.plan);
  if (!matched) return { go: true };
  if (matched.action === "deny") return { go: false, reason: `the approval policy refuses this plan (${matched.rule}); change [approvals.plan] or ask for something narrower` };
  const answered = await askAndWait(
    clients.approvals,
    policy,
    {
      sessionId: request.item.sessionId,
      itemId: request.item.id,
      kind: ApprovalKind.PLAN,
      subject: planQuestion(request.text, plan),
      rule: matched.rule,
      idempotencyKey: `plan:${request.item.id}`,
    },
    {
      signal: options.signal,
      onWaiting: (approval, existing) =>
        options.logger.info({ approvalId: approval.id, rule: matched.rule, existing }, existing ? "waiting again for the plan's approval" : "plan held: waiting for approval"),
    },
  );
  return answered.status === ApprovalStatus.APPROVED ? { go: true } : { go: false, reason: denialReason(answered) };
}

function planQuestion(text: string, plan: Plan): string {
  const planning = plan.planning;
  const risk = Risk[planning?.risk ?? Risk.UNSPECIFIED]!.toLowerCase();
  const lane = plan.lane === Lane.DETERMINISTIC ? "a script" : "an agent";
  const writes = planning?.scope?.writeGlobs.join(", ") || "anywhere";
  return `Run the plan for "${oneLine(text, 120)}"? ${oneLine(plan.assistantMessage, 300)} (${lane}, risk ${risk}, writes ${writes})`;
}
