import { create } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { ItemStatus } from "../../../../gen/pushpals/v1/common_pb.js";
import { QueuePositionSchema, type QueuePosition } from "../../../../gen/pushpals/v1/items_pb.js";
import { durationFromMs } from "../../../../shared/time.js";
import type { Executor } from "../dialect/dialect.js";
import type { QueueItemRow } from "../rows/queue-item-row.js";
import { nearestRank } from "./percentile.js";
import { FINISHED, PENDING } from "./statuses.js";

const RUN_TIME_WINDOW_MS = 60 * 60 * 1000;
const CLAIMERS_WINDOW_MS = 10 * 60 * 1000;
/** The guess for a queue with no finished item in the last hour. */
const DEFAULT_RUN_MS = 30_000;

/**
 * Where each pending row stands: how many pending items of its queue will be claimed
 * first (a higher band, or the same band and enqueued earlier), and when a worker will
 * likely reach it — ceil((ahead + 1) / claimers) rounds of the queue's median run time,
 * with claimers = distinct workers that claimed from the queue in the last 10 minutes.
 */
export async function positions(exec: Executor, rows: QueueItemRow[], now: number): Promise<Map<string, QueuePosition>> {
  const paces = new Map<number, Promise<Pace>>();
  const result = new Map<string, QueuePosition>();
  for (const row of rows) {
    if (row.status !== ItemStatus.PENDING) continue;
    const pace = paces.get(row.queue) ?? queuePace(exec, row.queue, now);
    paces.set(row.queue, pace);
    const [counted] = await exec.rows<{ ahead: number }>(sql`
      SELECT count(*) AS ahead FROM queue_items
       WHERE queue = ${row.queue} AND status = ${PENDING} AND (priority, seq) < (${row.priority}, ${row.seq})`);
    const ahead = Number(counted?.ahead ?? 0);
    const { runMs, claimers } = await pace;
    result.set(row.id, create(QueuePositionSchema, { ahead, eta: durationFromMs(Math.ceil((ahead + 1) / claimers) * runMs) }));
  }
  return result;
}

interface Pace {
  runMs: number;
  claimers: number;
}

async function queuePace(exec: Executor, queue: number, now: number): Promise<Pace> {
  const finished = sql`FROM queue_items
    WHERE queue = ${queue} AND status IN ${FINISHED} AND finished_at >= ${now - RUN_TIME_WINDOW_MS} AND claimed_at IS NOT NULL`;
  const [counted] = await exec.rows<{ n: number }>(sql`SELECT count(*) AS n ${finished}`);
  const runMs = await nearestRank(exec, finished, sql`finished_at - claimed_at`, Number(counted?.n ?? 0), 0.5);
  const [workers] = await exec.rows<{ n: number }>(sql`
    SELECT count(DISTINCT claimed_by) AS n FROM queue_items
     WHERE queue = ${queue} AND claimed_at >= ${now - CLAIMERS_WINDOW_MS}`);
  return { runMs: runMs ?? DEFAULT_RUN_MS, claimers: Math.max(1, Number(workers?.n ?? 0)) };
}
