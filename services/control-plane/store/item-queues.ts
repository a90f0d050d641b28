import { QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import type { ItemPayload, ItemResult } from "../../../gen/pushpals/v1/items_pb.js";
import { ID_PREFIXES, type IdKind } from "../../../shared/ids.js";

/** What each queue's items are called, carry and produce. */
interface QueueShape {
  idKind: IdKind & ("request" | "job" | "completion");
  /** Prefix of the queue's event payload cases: requestEnqueued, jobClaimed, ... */
  eventPrefix: "request" | "job" | "completion";
  payloadCase: NonNullable<ItemPayload["kind"]["case"]>;
  resultCase: NonNullable<ItemResult["kind"]["case"]>;
}

export type ItemQueue = QueueName.REQUESTS | QueueName.JOBS | QueueName.COMPLETIONS;

export const QUEUES: Record<ItemQueue, QueueShape> = {
  [QueueName.REQUESTS]: { idKind: "request", eventPrefix: "request", payloadCase: "request", resultCase: "request" },
  [QueueName.JOBS]: { idKind: "job", eventPrefix: "job", payloadCase: "taskExecuteV2", resultCase: "job" },
  [QueueName.COMPLETIONS]: { idKind: "completion", eventPrefix: "completion", payloadCase: "completion", resultCase: "completion" },
};

export const ITEM_QUEUES: readonly ItemQueue[] = [QueueName.REQUESTS, QueueName.JOBS, QueueName.COMPLETIONS];

export function isItemQueue(queue: QueueName): queue is ItemQueue {
  return queue in QUEUES;
}

/** The queue an item id belongs to, from its prefix (req_, job_, cmp_); undefined for anything else. */
export function queueOfItemId(id: string): ItemQueue | undefined {
  const prefix = id.slice(0, id.indexOf("_"));
  return ITEM_QUEUES.find((queue) => ID_PREFIXES[QUEUES[queue].idKind] === prefix);
}
