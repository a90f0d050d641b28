import type { ServiceImpl } from "@connectrpc/connect";
import type { QueueService } from "../../gen/pushpals/v1/queues_pb.js";
import { Priority } from "../../gen/pushpals/v1/common_pb.js";
import { configuredClaimWaitMs, serverClaimWaitMs } from "../kernel/claim-wait.js";
import { notFound } from "../kernel/errors.js";
import { ITEM_ID } from "../kernel/ids.js";
import { parseRequest } from "../kernel/rpc/validate.js";
import { observeClaim, observeFinish } from "../kernel/telemetry/queue-metrics.js";
import { currentTraceParent } from "../kernel/telemetry/trace-context.js";
import { durationMs, toTimestamp } from "../kernel/time.js";
import { claimWithin } from "./claim-waiter.js";
import type { ControlPlaneDeps } from "./deps.js";
import { decodePageToken, encodePageToken, pageLimit } from "./page-token.js";
import * as requests from "./requests/queue-requests.js";

export function queueService({ store, bus, commit, config }: ControlPlaneDeps): ServiceImpl<typeof QueueService> {
  const defaultLeaseMs = config.queues.defaultLeaseSeconds * 1000;
  return {
    async enqueue(req) {
      parseRequest(requests.enqueueRequest, req);
      return commit(
        store.enqueue({
          queue: req.queue,
          sessionId: req.sessionId,
          priority: req.priority === Priority.UNSPECIFIED ? Priority.NORMAL : req.priority,
          payload: req.payload!,
          idempotencyKey: req.idempotencyKey || undefined,
          maxAttempts: req.maxAttempts || undefined,
          targetWorkerId: req.targetWorkerId || undefined,
          parentId: req.parentId || undefined,
          delayMs: durationMs(req.delay),
          traceParent: currentTraceParent(),
        }),
      );
    },

    async claim(req, ctx) {
      parseRequest(requests.claimRequest, req);
      const claimed = await claimWithin(store, bus, commit, {
        queue: req.queue,
        workerId: req.workerId,
        leaseMs: durationMs(req.leaseDuration) ?? defaultLeaseMs,
        waitMs: serverClaimWaitMs(durationMs(req.wait) ?? 0, configuredClaimWaitMs(config), ctx.timeoutMs()),
        pollMs: config.queues.pollSeconds * 1000,
        signal: ctx.signal,
      });
      if (!claimed) return {};
      observeClaim(claimed.item);
      return { item: claimed.item, leaseToken: claimed.leaseToken, leaseExpiresAt: toTimestamp(claimed.leaseExpiresAt) };
    },

    async renewLease(req) {
      parseRequest(requests.renewLeaseRequest, req);
      const renewed = await store.renewLease({
        itemId: req.itemId,
        leaseToken: req.leaseToken,
        leaseMs: durationMs(req.leaseDuration) ?? defaultLeaseMs,
      });
      return { leaseExpiresAt: toTimestamp(renewed.leaseExpiresAt), cancelRequested: renewed.cancelRequested };
    },

    async complete(req) {
      parseRequest(requests.completeRequest, req);
      const item = await commit(store.complete({ itemId: req.itemId, leaseToken: req.leaseToken, result: req.result }));
      observeFinish(item);
      return { item };
    },

    async fail(req) {
      parseRequest(requests.failRequest, req);
      const item = await commit(
        store.fail({
          itemId: req.itemId,
          leaseToken: req.leaseToken,
          error: req.error,
          mode: req.mode,
          conflictingFiles: req.conflictingFiles,
          repairJobId: req.repairJobId || undefined,
        }),
      );
      observeFinish(item);
      return { item };
    },

    async cancel(req) {
      parseRequest(requests.cancelRequest, req);
      const item = await commit(store.cancel({ itemId: req.itemId, reason: req.reason }));
      observeFinish(item);
      return { item };
    },

    async getItem(req) {
      parseRequest(requests.getItemRequest, req);
      const item = await store.getItem(req.itemId);
      if (!item) throw notFound("item", req.itemId);
      return { item };
    },

    async listItems(req) {
      parseRequest(requests.listItemsRequest, req);
      const limit = pageLimit(req.pageSize);
      const items = await store.listItems({
        queue: req.queue || undefined,
        statuses: req.statuses,
        sessionId: req.sessionId || undefined,
        limit: limit + 1,
        before: decodePageToken(req.pageToken, ITEM_ID),
      });
      const page = items.slice(0, limit);
      return { items: page, nextPageToken: items.length > limit ? encodePageToken(page.at(-1)?.id) : "" };
    },

    async getSlo(req) {
      parseRequest(requests.getSloRequest, req);
      return { summary: await store.slo({ queue: req.queue, windowMs: durationMs(req.window) ?? 3_600_000 }) };
    },
  };
}
