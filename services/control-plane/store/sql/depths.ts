import { create } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { ItemStatus, Priority } from "../../../../gen/pushpals/v1/common_pb.js";
import { QueueDepthSchema, type QueueDepth } from "../../../../gen/pushpals/v1/system_pb.js";
import type { Executor } from "../dialect/dialect.js";
import { ITEM_QUEUES } from "../item-queues.js";
import { CLAIMED, DEAD_LETTER, PENDING } from "./statuses.js";

/** Per queue: pending items by band, claimed, dead-lettered. Every queue appears, empty or not. */
export async function depths(exec: Executor): Promise<QueueDepth[]> {
  const rows = await exec.rows<{ queue: number; status: ItemStatus; priority: Priority; n: number }>(sql`
    SELECT queue, status, priority, count(*) AS n FROM queue_items
     WHERE status IN (${PENDING}, ${CLAIMED}, ${DEAD_LETTER})
     GROUP BY queue, status, priority`);
  return ITEM_QUEUES.map((queue) => {
    const depth = create(QueueDepthSchema, { queue });
    for (const row of rows.filter((r) => r.queue === queue)) {
      const n = Number(row.n);
      if (row.status === ItemStatus.CLAIMED) depth.claimed += n;
      else if (row.status === ItemStatus.DEAD_LETTER) depth.deadLetter += n;
      else if (row.priority === Priority.INTERACTIVE) depth.pendingInteractive += n;
      else if (row.priority === Priority.BACKGROUND) depth.pendingBackground += n;
      else depth.pendingNormal += n;
    }
    return depth;
  });
}
