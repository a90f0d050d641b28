import { create } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { ItemStatus } from "../../../../gen/pushpals/v1/common_pb.js";
import { QueuePositionSchema, type QueuePosition } from "../../../../gen/pushpals/v1/items_pb.js";
import { durationFromMs } from "../../../../shared/time.js";
import type { Executor } from "../dialect/dialect.js";
import type { QueueItemRow } from "../rows/queue-item-row.js";
import type { QueryWindows } from "../windows/query-windows.js";
import { PENDING } from "./statuses.js";

const RUN_TIME_WINDOW_MS = 60 * 60 * 1000;
const CLAIMERS_WINDOW_MS = 10 * 60 * 1000;
/** The guess for a queue with no finished item in the last hour. */
const DEFAULT_RUN_MS = 30_000;
/** Seqs per item_counts block (the counting triggers of the 0005 migrations, and Postgres 0007, use the same number). */
const BLOCK = 1024;

/**
 * Where each pending row stands: how many pending items of its queue will be claimed
 * first (a higher band, or the same band and enqueued earlier), and when a worker will
 * likely reach it — ceil((ahead + 1) / claimers) rounds of the queue's median run time,
 * with claimers = distinct workers that claimed from the queue in the last 10 minutes.
 *
 * "Ahead" costs the same at 1k or 100k pending: the item_counts blocks before the
 * row's block (one read per queue, whatever the page size), plus the pending seqs of
 * the row's own block (at most BLOCK, one read per block the page touches).
 */
export async function positions(exec: Executor, windows: QueryWindows, rows: QueueItemRow[], now: number): Promise<Map<string, QueuePosition>> {
  const pendingRows = rows.filter((row) => Number(row.status) === ItemStatus.PENDING);
  const result = new Map<string, QueuePosition>();
  if (pendingRows.length === 0) return result;
  const blocksByQueue = new Map<number, Promise<BlockCounts>>();
  const seqsByBlock = new Map<string, Promise<number[]>>();
  const paces = new Map<number, Promise<Pace>>();
  for (const row of pendingRows) {
    const queue = Number(row.queue);
    const priority = Number(row.priority);
    const seq = Number(row.seq);
    const block = Math.floor(seq / BLOCK);
    const counts = blocksByQueue.get(queue) ?? blockCounts(exec, queue);
    blocksByQueue.set(queue, counts);
    const blockKey = `${queue}:${priority}:${block}`;
    const seqs = seqsByBlock.get(blockKey) ?? pendingSeqsOfBlock(exec, queue, priority, block);
    seqsByBlock.set(blockKey, seqs);
    const pace = paces.get(queue) ?? queuePace(exec, windows, queue, now);
    paces.set(queue, pace);

    const ahead = (await counts).before(priority, block) + countBelow(await seqs, seq);
    const { runMs, claimers } = await pace;
    result.set(row.id, create(QueuePositionSchema, { ahead, eta: durationFromMs(Math.ceil((ahead + 1) / claimers) * runMs) }));
  }
  return result;
}

interface BlockCounts {
  /** Pending items of a higher band (lower priority number), or of this band in an earlier block. */
  before(priority: number, block: number): number;
}

async function blockCounts(exec: Executor, queue: number): Promise<BlockCounts> {
  const rows = await exec.rows<{ priority: number; block: number; n: number }>(sql`
    SELECT priority, block, sum(n) AS n FROM item_counts
     WHERE queue = ${queue} AND status = ${PENDING}
     GROUP BY priority, block`);
  const cells = rows.map((row) => ({ priority: Number(row.priority), block: Number(row.block), n: Number(row.n) }));
  return {
    before: (priority, block) => cells.reduce((sum, cell) => (cell.priority < priority || (cell.priority === priority && cell.block < block) ? sum + cell.n : sum), 0),
  };
}

async function pendingSeqsOfBlock(exec: Executor, queue: number, priority: number, block: number): Promise<number[]> {
  const rows = await exec.rows<{ seq: number }>(sql`
    SELECT seq FROM queue_items
     WHERE queue = ${queue} AND status = ${PENDING} AND priority = ${priority} AND seq >= ${block * BLOCK} AND seq < ${(block + 1) * BLOCK}
     ORDER BY seq`);
  return rows.map((row) => Number(row.seq));
}

/** How many of the ascending `seqs` are below `seq`. */
function countBelow(seqs: number[], seq: number): number {
  let low = 0;
  let high = seqs.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (seqs[mid]! < seq) low = mid + 1;
    else high = mid;
  }
  return low;
}

interface Pace {
  runMs: number;
  claimers: number;
}

async function queuePace(exec: Executor, windows: QueryWindows, queue: number, now: number): Promise<Pace> {
  const runMs = await windows.finishedWithin(exec, queue, RUN_TIME_WINDOW_MS, now, ({ runs }) => runs.nearestRank(0.5));
  const claimers = await windows.claimersWithin(exec, queue, CLAIMERS_WINDOW_MS, now);
  return { runMs: runMs ?? DEFAULT_RUN_MS, claimers: Math.max(1, claimers) };
}
