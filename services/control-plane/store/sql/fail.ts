import { create } from "@bufbuild/protobuf";
import { ItemConflictedSchema, ItemFailedSchema } from "../../../../gen/pushpals/v1/events_pb.js";
import { QueueName } from "../../../../gen/pushpals/v1/common_pb.js";
import type { QueueItem } from "../../../../gen/pushpals/v1/items_pb.js";
import { FailMode } from "../../../../gen/pushpals/v1/queues_pb.js";
import { invalidArgument, notFound } from "../../../../shared/errors.js";
import { itemEvent } from "../item-events.js";
import { queueOfItemId } from "../item-queues.js";
import type { FailInput } from "../store.js";
import type { WriteTx } from "../transaction.js";
import { finishItem } from "./finish-item.js";
import { lockItem, requireLease } from "./held-item.js";
import { retryOrEnd } from "./retry.js";
import { CONFLICTED, FAILED } from "./statuses.js";

/**
 * Ends a held item's attempt with an error. RETRY (and UNSPECIFIED): pending again after
 * backoff, or dead-letter with no attempts left. FINAL: failed for good. CONFLICTED
 * (completions only): conflicted, naming the files and the repair job.
 */
export async function fail(tx: WriteTx, input: FailInput): Promise<QueueItem> {
  const queue = queueOfItemId(input.itemId);
  if (queue === undefined) throw notFound("queue item", input.itemId);
  if (!(input.mode in FailMode)) throw invalidArgument("mode", `unknown fail mode ${input.mode}`);
  if (input.mode === FailMode.CONFLICTED && queue !== QueueName.COMPLETIONS) {
    throw invalidArgument("mode", `FAIL_MODE_CONFLICTED applies to completions only; fail ${input.itemId} with FAIL_MODE_RETRY or FAIL_MODE_FINAL`);
  }
  const row = await lockItem(tx, input.itemId);
  requireLease(row, input.leaseToken, "fail");
  const about = { itemId: row.id };

  switch (input.mode) {
    case FailMode.UNSPECIFIED:
    case FailMode.RETRY:
      return retryOrEnd(tx, row, { reason: "attempt failed", error: input.error, endedAt: tx.now });
    case FailMode.FINAL: {
      const item = await finishItem(tx, row, FAILED, input.error);
      tx.emit(row.session_id, {
        ...about,
        payload: itemEvent(queue, "failed", create(ItemFailedSchema, { error: input.error, attempt: row.attempts })),
      });
      return item;
    }
    case FailMode.CONFLICTED: {
      const item = await finishItem(tx, row, CONFLICTED, input.error);
      const value = create(ItemConflictedSchema, {
        error: input.error,
        conflictingFiles: input.conflictingFiles ?? [],
        repairJobId: input.repairJobId ?? "",
      });
      tx.emit(row.session_id, { ...about, payload: { case: "completionConflicted", value } });
      return item;
    }
  }
}
