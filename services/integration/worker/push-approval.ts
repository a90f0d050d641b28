import { Code, ConnectError } from "@connectrpc/connect";
import { ApprovalKind, ApprovalStatus } from "../../../gen/pushpals/v1/approvals_pb.js";
import type { QueueItem } from "../../../gen/pushpals/v1/items_pb.js";
import { askAndWait, denialReason } from "../../../shared/approvals/ask-and-wait.js";
import type { Clients } from "../../../shared/clients.js";
import type { ApprovalsSection } from "../../../shared/config/sections/approvals.js";
import type { Logger } from "../../../shared/log.js";
import { oneLine } from "../../../shared/text/clip.js";
import type { PushToApprove } from "../integrate.js";

export interface PushApprovalDeps {
  client: Clients["approvals"];
  policy: ApprovalsSection;
}

/**
 * The pull-request gate under [approvals] pull_request, like the push gate: one request per
 * completion, asked before integration opens or updates the pull request (the providers find
 * or open it in one call, so an update asks too). A refusal leaves the merge pushed, the PR unpublished.
 */
export function pullRequestApprovalGate(
  deps: PushApprovalDeps | undefined,
  item: QueueItem,
  options: { signal: AbortSignal; log: Logger },
): ((pr: { head: string; base: string; jobId: string }) => Promise<void>) | undefined {
  if (!deps || deps.policy.pullRequest === "auto") return undefined;
  const { client, policy } = deps;
  return async (pr) => {
    if (policy.pullRequest === "deny") throw new ConnectError("pull request not approved: the approval policy refuses them (approvals.pull_request = deny)", Code.PermissionDenied);
    const answered = await askAndWait(
      client,
      policy,
      {
        sessionId: item.sessionId,
        itemId: item.id,
        kind: ApprovalKind.PULL_REQUEST,
        subject: `Open or update the pull request ${pr.head} → ${pr.base} with ${pr.jobId}'s change?`,
        rule: "approvals.pull_request: every pull request asks",
        idempotencyKey: `pull_request:${item.id}`,
      },
      { signal: options.signal, onWaiting: (approval, existing) => options.log.info({ approvalId: approval.id, existing }, "pull request held: waiting for approval") },
    );
    if (answered.status !== ApprovalStatus.APPROVED) throw new ConnectError(`pull request not approved: ${denialReason(answered)}`, Code.PermissionDenied);
  };
}

/**
 * The integrator's push gate for one completion under [approvals] push: undefined for auto;
 * deny refuses every push; ask waits on one request per completion (keyed by its id, so a
 * retried or restarted attempt asks nothing again). A refusal is PermissionDenied, which
 * integration reports as a final failure with the reason.
 */
export function pushApprovalGate(
  deps: PushApprovalDeps | undefined,
  item: QueueItem,
  options: { signal: AbortSignal; log: Logger },
): ((push: PushToApprove) => Promise<void>) | undefined {
  if (!deps || deps.policy.push === "auto") return undefined;
  const { client, policy } = deps;
  return async (push) => {
    if (policy.push === "deny")
      throw new ConnectError("push not approved: the approval policy refuses pushes (approvals.push = deny); set it to ask or auto", Code.PermissionDenied);
    const answered = await askAndWait(
      client,
      policy,
      {
        sessionId: item.sessionId,
        itemId: item.id,
        kind: ApprovalKind.PUSH,
        subject: `Push ${push.jobId}'s change (${push.tip.slice(0, 12)}) to ${push.remote}/${push.branch}? ${oneLine(push.summary, 200)}`.trim(),
        rule: "approvals.push: every push asks",
        idempotencyKey: `push:${item.id}`,
      },
      {
        signal: options.signal,
        onWaiting: (approval, existing) =>
          options.log.info({ approvalId: approval.id, existing }, existing ? "waiting again for the push's approval" : "merge held unpushed: waiting for approval"),
      },
    );
    if (answered.status !== ApprovalStatus.APPROVED) throw new ConnectError(`push not approved: ${denialReason(answered)}`, Code.PermissionDenied);
  };
}
