import type { ServiceImpl } from "@connectrpc/connect";
import type { QueueService } from "../../gen/pushpals/v1/queues_pb.js";
import { ItemStatus, JobWaiting, Priority, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { configuredClaimWaitMs, serverClaimWaitMs } from "../../shared/claim-wait.js";
import { notFound } from "../../shared/errors.js";
import { ITEM_ID } from "../../shared/ids.js";
import { parseRequest } from "../../shared/rpc/validate.js";
import { observeClaim, observeFinish } from "../../shared/telemetry/queue-metrics.js";
import { currentTraceParent } from "../../shared/telemetry/trace-context.js";
import { durationMs, toTimestamp } from "../../shared/time.js";
import { claimWithin } from "./claim-waiter.js";
import type { ControlPlaneDeps } from "./deps.js";
import { decodePageToken, keysetPage, pageLimit } from "./page-token.js";
import * as requests from "./requests/queue-requests.js";

export function queueService({ store, bus, commit, config }: ControlPlaneDeps): ServiceImpl<typeof QueueService> {
  const defaultLeaseMs = config.queues.defaultLeaseSeconds * 1000;
  return {
    async enqueue(message) {
      const req = parseRequest(requests.enqueueRequest, message);
      return commit(
        store.enqueue({
          queue: req.queue,
          sessionId: req.sessionId,
          priority: req.priority === Priority.UNSPECIFIED ? Priority.NORMAL : req.priority,
          payload: req.payload,
          idempotencyKey: req.idempotencyKey || undefined,
          maxAttempts: req.maxAttempts || undefined,
          targetWorkerId: req.targetWorkerId || undefined,
          parentId: req.parentId || undefined,
          delayMs: durationMs(req.delay),
          traceParent: currentTraceParent(),
        }),
      );
    },

    async claim(message, ctx) {
      const req = parseRequest(requests.claimRequest, message);
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

    async renewLease(message) {
      const req = parseRequest(requests.renewLeaseRequest, message);
      const renewed = await store.renewLease({
        itemId: req.itemId,
        leaseToken: req.leaseToken,
        leaseMs: durationMs(req.leaseDuration) ?? defaultLeaseMs,
      });
      return { leaseExpiresAt: toTimestamp(renewed.leaseExpiresAt), cancelRequested: renewed.cancelRequested };
    },

    async complete(message) {
      const req = parseRequest(requests.completeRequest, message);
      const item = await commit(store.complete({ itemId: req.itemId, leaseToken: req.leaseToken, result: req.result }));
      observeFinish(item);
      return { item };
    },

    async fail(message) {
      const req = parseRequest(requests.failRequest, message);
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

    async cancel(message) {
      const req = parseRequest(requests.cancelRequest, message);
      const item = await commit(store.cancel({ itemId: req.itemId, reason: req.reason }));
      observeFinish(item);
      return { item };
    },

    async getItem(message) {
      const req = parseRequest(requests.getItemRequest, message);
      const item = await store.getItem(req.itemId);
      if (!item) throw notFound("item", req.itemId);
      // A running job waits on what its worker's last heartbeat said.
      if (item.queue === QueueName.JOBS && item.status === ItemStatus.CLAIMED && item.claimedBy) {
        const worker = await store.getWorker(item.claimedBy);
        item.waiting = worker?.activeJobs.find((job) => job.jobId === item.id)?.waiting ?? JobWaiting.UNSPECIFIED;
      }
      return { item };
    },

    async listItems(message) {
      const req = parseRequest(requests.listItemsRequest, message);
      const limit = pageLimit(req.pageSize);
      const items = await store.listItems({
        queue: req.queue || undefined,
        statuses: req.statuses,
        sessionId: req.sessionId || undefined,
        limit: limit + 1,
        before: decodePageToken(req.pageToken, ITEM_ID),
      });
      const { page, nextPageToken } = keysetPage(items, limit);
      return { items: page, nextPageToken };
    },

    async getSlo(message) {
      const req = parseRequest(requests.getSloRequest, message);
      return { summary: await store.slo({ queue: req.queue, windowMs: durationMs(req.window) ?? 3_600_000 }) };
    },
  };
}
