import { create } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { ItemStatus, Priority } from "../../../../gen/pushpals/v1/common_pb.js";
import { QueueDepthSchema, type QueueDepth } from "../../../../gen/pushpals/v1/system_pb.js";
import type { Executor } from "../dialect/dialect.js";
import { ITEM_QUEUES } from "../item-queues.js";

/**
 * Per queue: pending items by band, claimed, dead-lettered. Every queue appears, empty or not.
 * Read from item_counts (kept by triggers), so it sums a few hundred counters, not every pending row.
 */
export async function depths(exec: Executor): Promise<QueueDepth[]> {
  const rows = await exec.rows<{ queue: number; status: ItemStatus; priority: Priority; n: number }>(sql`
    SELECT queue, status, priority, sum(n) AS n FROM item_counts
     GROUP BY queue, status, priority`);
  return ITEM_QUEUES.map((queue) => {
    const depth = create(QueueDepthSchema, { queue });
    for (const row of rows.filter((r) => Number(r.queue) === queue)) {
      const n = Number(row.n);
      const status = Number(row.status);
      const priority = Number(row.priority);
      if (status === ItemStatus.CLAIMED) depth.claimed += n;
      else if (status === ItemStatus.DEAD_LETTER) depth.deadLetter += n;
      else if (priority === Priority.INTERACTIVE) depth.pendingInteractive += n;
      else if (priority === Priority.BACKGROUND) depth.pendingBackground += n;
      else depth.pendingNormal += n;
    }
    return depth;
  });
}
