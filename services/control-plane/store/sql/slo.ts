import { create } from "@bufbuild/protobuf";
import { QueueName } from "../../../../gen/pushpals/v1/common_pb.js";
import { SloSummarySchema, type SloSummary } from "../../../../gen/pushpals/v1/queues_pb.js";
import { invalidArgument } from "../../../../shared/errors.js";
import { durationFromMs } from "../../../../shared/time.js";
import type { Executor } from "../dialect/dialect.js";
import { isItemQueue } from "../item-queues.js";
import type { QueryWindows } from "../windows/query-windows.js";

/**
 * Over the queue's items that finished within the window: queue wait (first claim −
 * enqueue) and run time (finish − last claim) at p50/p95 by nearest rank; succeeded =
 * completed; failed = failed, dead-lettered or conflicted (cancelled counts as neither).
 * The window is kept in memory between calls (../windows/finished-window.ts): a call
 * costs the items finished since the previous one, not a sort of the whole window.
 */
export async function slo(exec: Executor, windows: QueryWindows, input: { queue: QueueName; windowMs: number }, now: number): Promise<SloSummary> {
  const { queue, windowMs } = input;
  if (!isItemQueue(queue)) throw invalidArgument("queue", `must be requests, jobs or completions, got ${QueueName[queue] ?? queue}`);
  if (!(windowMs > 0)) throw invalidArgument("window", `must be positive, got ${windowMs} ms`);

  const figures = await windows.finishedWithin(exec, queue, windowMs, now, ({ succeeded, failed, waits, runs }) => ({
    succeeded,
    failed,
    waitP50: waits.nearestRank(0.5) ?? 0,
    waitP95: waits.nearestRank(0.95) ?? 0,
    runP50: runs.nearestRank(0.5) ?? 0,
    runP95: runs.nearestRank(0.95) ?? 0,
  }));
  const { succeeded, failed } = figures;

  return create(SloSummarySchema, {
    queue,
    window: durationFromMs(windowMs),
    waitP50: durationFromMs(figures.waitP50),
    waitP95: durationFromMs(figures.waitP95),
    runP50: durationFromMs(figures.runP50),
    runP95: durationFromMs(figures.runP95),
    succeeded,
    failed,
    successRate: succeeded + failed === 0 ? 1 : succeeded / (succeeded + failed),
  });
}
