import type { ServiceImpl } from "@connectrpc/connect";
import { type ApprovalService, ApprovalStatus, type Approval } from "../../gen/pushpals/v1/approvals_pb.js";
import { subjects } from "./bus/subjects.js";
import { wakeups } from "./bus/wakeups.js";
import { notFound } from "../../shared/errors.js";
import { parseRequest } from "../../shared/rpc/validate.js";
import { durationMs } from "../../shared/time.js";
import type { ControlPlaneDeps } from "./deps.js";
import { decodePageToken, keysetPage, pageLimit } from "./page-token.js";
import * as requests from "./requests/approval-requests.js";

const APPROVAL_ID = /^apr_[0-9A-HJKMNP-TV-Z]{26}$/;

/** Approval requests: services ask (RequestApproval) and wait (GetApproval with wait); people list, approve and deny. */
export function approvalService({ store, bus, commit, config, logger }: ControlPlaneDeps): ServiceImpl<typeof ApprovalService> {
  const get = async (id: string): Promise<Approval> => {
    const approval = await store.getApproval(id);
    if (!approval) throw notFound("approval", id);
    return approval;
  };

  return {
    async requestApproval(req) {
      const input = parseRequest(requests.requestApprovalRequest, req);
      const { approval, existing } = await commit(
        store.requestApproval({
          sessionId: input.sessionId,
          itemId: input.itemId,
          kind: input.kind,
          subject: input.subject,
          rule: input.rule,
          idempotencyKey: input.idempotencyKey,
          timeoutMs: durationMs(input.timeout) ?? 0,
          timeoutAction: input.timeoutAction,
        }),
      );
      if (!existing) logger.info({ approvalId: approval.id, sessionId: approval.sessionId, itemId: approval.itemId, rule: approval.rule }, "approval requested");
      return { approval, existing };
    },

    async getApproval(req, ctx) {
      const input = parseRequest(requests.getApprovalRequest, req);
      let approval = await get(input.id);
      const waitMs = durationMs(input.wait) ?? 0;
      if (approval.status !== ApprovalStatus.PENDING || waitMs <= 0) return { approval };
      // Answers are session events: wake on the session's subject, with the slow poll as the safety net.
      const until = AbortSignal.any([ctx.signal, AbortSignal.timeout(waitMs)]);
      const pollMs = config.queues.pollSeconds * 1000;
      for await (const _ of wakeups(bus, subjects.sessionEvents(approval.sessionId), { pollMs, signal: until })) {
        approval = await get(input.id);
        if (approval.status !== ApprovalStatus.PENDING) break;
      }
      return { approval };
    },

    async listApprovals(message) {
      const req = parseRequest(requests.listApprovalsRequest, message);
      const limit = pageLimit(req.pageSize);
      const approvals = await store.listApprovals({
        sessionId: req.sessionId || undefined,
        pendingOnly: req.pendingOnly,
        limit: limit + 1,
        after: decodePageToken(req.pageToken, APPROVAL_ID),
      });
      const { page, nextPageToken } = keysetPage(approvals, limit);
      return { approvals: page, nextPageToken };
    },

    async approve(req) {
      const input = parseRequest(requests.approveRequest, req);
      const approval = await commit(store.answerApproval({ id: input.id, status: ApprovalStatus.APPROVED, answeredBy: input.answeredBy, comment: input.comment }));
      logger.info({ approvalId: approval.id, sessionId: approval.sessionId, answeredBy: approval.answeredBy }, "approval approved");
      return { approval };
    },

    async deny(req) {
      const input = parseRequest(requests.denyRequest, req);
      const approval = await commit(store.answerApproval({ id: input.id, status: ApprovalStatus.DENIED, answeredBy: input.answeredBy, comment: input.comment }));
      logger.info({ approvalId: approval.id, sessionId: approval.sessionId, answeredBy: approval.answeredBy }, "approval denied");
      return { approval };
    },
  };
}
