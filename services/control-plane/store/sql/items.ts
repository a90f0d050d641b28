import { sql } from "drizzle-orm";
import { ItemStatus, QueueName } from "../../../../gen/pushpals/v1/common_pb.js";
import type { QueueItem } from "../../../../gen/pushpals/v1/items_pb.js";
import { invalidArgument } from "../../../../shared/errors.js";
import type { Executor } from "../dialect/dialect.js";
import { toQueueItem, type QueueItemRow } from "../rows/queue-item-row.js";
import type { ListItemsInput } from "../store.js";
import type { QueryWindows } from "../windows/query-windows.js";
import { positions } from "./position.js";
import { positiveLimit } from "./sessions.js";

/** One item; a pending one carries its position. */
export async function getItem(exec: Executor, windows: QueryWindows, itemId: string, now: number): Promise<QueueItem | undefined> {
  const rows = await exec.rows<QueueItemRow>(sql`SELECT * FROM queue_items WHERE id = ${itemId}`);
  return (await withPositions(exec, windows, rows, now))[0];
}

/** Newest first; `before` is the id of the last item of the previous page. */
export async function listItems(exec: Executor, windows: QueryWindows, input: ListItemsInput, now: number): Promise<QueueItem[]> {
  const filters = [sql`1 = 1`];
  if (input.queue !== undefined && input.queue !== QueueName.UNSPECIFIED) filters.push(sql`queue = ${input.queue}`);
  const statuses = (input.statuses ?? []).filter((status) => status !== ItemStatus.UNSPECIFIED);
  if (statuses.length > 0)
    filters.push(
      sql`status IN (${sql.join(
        statuses.map((s) => sql`${s}`),
        sql`, `,
      )})`,
    );
  if (input.sessionId) filters.push(sql`session_id = ${input.sessionId}`);
  if (input.before) {
    const [anchor] = await exec.rows<{ seq: number }>(sql`SELECT seq FROM queue_items WHERE id = ${input.before}`);
    if (!anchor) throw invalidArgument("before", `no queue item ${input.before}; pass the id of the last item of the previous page`);
    filters.push(sql`seq < ${anchor.seq}`);
  }
  const rows = await exec.rows<QueueItemRow>(sql`
    SELECT * FROM queue_items WHERE ${sql.join(filters, sql` AND `)} ORDER BY seq DESC LIMIT ${positiveLimit(input.limit)}`);
  return withPositions(exec, windows, rows, now);
}

async function withPositions(exec: Executor, windows: QueryWindows, rows: QueueItemRow[], now: number): Promise<QueueItem[]> {
  const placed = await positions(exec, windows, rows, now);
  return rows.map((row) => {
    const item = toQueueItem(row);
    item.position = placed.get(row.id);
    return item;
  });
}
