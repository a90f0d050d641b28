import { create } from "@bufbuild/protobuf";
import { sql, type SQL } from "drizzle-orm";
import { ItemStatus, QueueName } from "../../../../gen/pushpals/v1/common_pb.js";
import { SloSummarySchema, type SloSummary } from "../../../../gen/pushpals/v1/queues_pb.js";
import { invalidArgument } from "../../../../shared/errors.js";
import { durationFromMs } from "../../../../shared/time.js";
import type { Executor } from "../dialect/dialect.js";
import { isItemQueue } from "../item-queues.js";
import { nearestRank } from "./percentile.js";
import { FINISHED } from "./statuses.js";

/**
 * Over the queue's items that finished within the window: queue wait (first claim −
 * enqueue) and run time (finish − last claim) at p50/p95 by nearest rank; succeeded =
 * completed; failed = failed, dead-lettered or conflicted (cancelled counts as neither).
 */
export async function slo(exec: Executor, input: { queue: QueueName; windowMs: number }, now: number): Promise<SloSummary> {
  const { queue, windowMs } = input;
  if (!isItemQueue(queue)) throw invalidArgument("queue", `must be requests, jobs or completions, got ${QueueName[queue] ?? queue}`);
  if (!(windowMs > 0)) throw invalidArgument("window", `must be positive, got ${windowMs} ms`);

  const since = now - windowMs;
  const byStatus = await exec.rows<{ status: ItemStatus; n: number }>(sql`
    SELECT status, count(*) AS n FROM queue_items
     WHERE queue = ${queue} AND status IN ${FINISHED} AND finished_at >= ${since}
     GROUP BY status`);
  const count = (...statuses: ItemStatus[]) => byStatus.filter((row) => statuses.includes(row.status)).reduce((sum, row) => sum + Number(row.n), 0);
  const succeeded = count(ItemStatus.COMPLETED);
  const failed = count(ItemStatus.FAILED, ItemStatus.DEAD_LETTER, ItemStatus.CONFLICTED);

  const timed = sql`FROM queue_items
    WHERE queue = ${queue} AND status IN ${FINISHED} AND finished_at >= ${since} AND first_claimed_at IS NOT NULL`;
  const [counted] = await exec.rows<{ n: number }>(sql`SELECT count(*) AS n ${timed}`);
  const n = Number(counted?.n ?? 0);
  const wait = sql`first_claimed_at - enqueued_at`;
  const run = sql`finished_at - claimed_at`;
  const ms = async (value: SQL, p: number) => durationFromMs((await nearestRank(exec, timed, value, n, p)) ?? 0);

  return create(SloSummarySchema, {
    queue,
    window: durationFromMs(windowMs),
    waitP50: await ms(wait, 0.5),
    waitP95: await ms(wait, 0.95),
    runP50: await ms(run, 0.5),
    runP95: await ms(run, 0.95),
    succeeded,
    failed,
    successRate: succeeded + failed === 0 ? 1 : succeeded / (succeeded + failed),
  });
}
