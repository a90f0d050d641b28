import { sql } from "drizzle-orm";
import { ItemStatus } from "../../../../gen/pushpals/v1/common_pb.js";
import type { Executor } from "../dialect/dialect.js";
import { FINISHED } from "../sql/statuses.js";
import { SortedNumbers } from "./sorted-numbers.js";

/**
 * Rows committed with a finished_at older than the last read by at most this much are
 * still picked up: a transaction's clock reading (tx.now) comes before its commit. On
 * SQLite commits are serial and the gap is one transaction; on Postgres it is the
 * longest transaction that finishes an item, far below this.
 */
export const LATE_COMMIT_MARGIN_MS = 5000;

interface Sample {
  seq: number;
  finishedAt: number;
  status: ItemStatus;
  /** Queue wait (first claim − enqueue) and run time (finish − last claim); undefined when never claimed. */
  waitMs?: number;
  runMs?: number;
}

interface FinishedRow {
  seq: number;
  status: ItemStatus;
  finished_at: number;
  enqueued_at: number;
  first_claimed_at: number | null;
  claimed_at: number | null;
}

export interface FinishedSummary {
  succeeded: number;
  failed: number;
  /** Over the finished items that were ever claimed. */
  waits: SortedNumbers;
  runs: SortedNumbers;
}

/**
 * One queue's items finished within a sliding window, kept in memory between calls so
 * that SLO percentiles and the queue's pace cost the rows that finished since the last
 * call, not a sort of the whole window: each read fetches only rows whose finished_at
 * is past the previous read (less the late-commit margin, deduplicated by seq) through
 * the (queue, finished_at) index, and drops what slid out of the window. Finished is
 * final, so a row once seen never changes. A clock that went backwards (tests inject
 * clocks) reloads the window.
 */
export class FinishedWindow {
  private readonly bySeq = new Map<number, Sample>();
  /** Ascending finishedAt, for eviction from the front. */
  private byTime: Sample[] = [];
  private readonly summary: FinishedSummary = { succeeded: 0, failed: 0, waits: new SortedNumbers(), runs: new SortedNumbers() };
  private readUpTo: number | undefined;

  constructor(
    private readonly queue: number,
    private readonly windowMs: number,
  ) {}

  async read(exec: Executor, now: number): Promise<FinishedSummary> {
    const since = now - this.windowMs;
    if (this.readUpTo === undefined || now < this.readUpTo) await this.reload(exec, since);
    else await this.catchUp(exec, Math.max(since, this.readUpTo - LATE_COMMIT_MARGIN_MS));
    this.readUpTo = now;
    this.evictBefore(since);
    return this.summary;
  }

  private rowsSince(exec: Executor, from: number): Promise<FinishedRow[]> {
    return exec.rows<FinishedRow>(sql`
      SELECT seq, status, finished_at, enqueued_at, first_claimed_at, claimed_at FROM queue_items
       WHERE queue = ${this.queue} AND finished_at >= ${from} AND status IN ${FINISHED}`);
  }

  private async reload(exec: Executor, since: number): Promise<void> {
    const samples = (await this.rowsSince(exec, since)).map(toSample);
    this.bySeq.clear();
    for (const sample of samples) this.bySeq.set(sample.seq, sample);
    this.byTime = samples.sort((a, b) => a.finishedAt - b.finishedAt);
    this.summary.succeeded = samples.filter((s) => countsAs(s.status) === "succeeded").length;
    this.summary.failed = samples.filter((s) => countsAs(s.status) === "failed").length;
    this.summary.waits.load(samples.flatMap((s) => (s.waitMs === undefined ? [] : [s.waitMs])));
    this.summary.runs.load(samples.flatMap((s) => (s.runMs === undefined ? [] : [s.runMs])));
  }

  private async catchUp(exec: Executor, from: number): Promise<void> {
    for (const row of await this.rowsSince(exec, from)) {
      if (this.bySeq.has(row.seq)) continue;
      const sample = toSample(row);
      this.bySeq.set(sample.seq, sample);
      this.byTime.splice(upperBoundByTime(this.byTime, sample.finishedAt), 0, sample);
      this.tally(sample, +1);
    }
  }

  private evictBefore(since: number): void {
    let gone = 0;
    while (gone < this.byTime.length && this.byTime[gone]!.finishedAt < since) {
      const sample = this.byTime[gone++]!;
      this.bySeq.delete(sample.seq);
      this.tally(sample, -1);
    }
    if (gone > 0) this.byTime = this.byTime.slice(gone);
  }

  private tally(sample: Sample, sign: 1 | -1): void {
    const kind = countsAs(sample.status);
    if (kind === "succeeded") this.summary.succeeded += sign;
    if (kind === "failed") this.summary.failed += sign;
    const apply = (values: SortedNumbers, value: number | undefined) => {
      if (value === undefined) return;
      if (sign > 0) values.insert(value);
      else values.remove(value);
    };
    apply(this.summary.waits, sample.waitMs);
    apply(this.summary.runs, sample.runMs);
  }
}

/** succeeded = completed; failed = failed, dead-lettered or conflicted; cancelled counts as neither. */
function countsAs(status: ItemStatus): "succeeded" | "failed" | undefined {
  if (status === ItemStatus.COMPLETED) return "succeeded";
  if (status === ItemStatus.FAILED || status === ItemStatus.DEAD_LETTER || status === ItemStatus.CONFLICTED) return "failed";
  return undefined;
}

function toSample(row: FinishedRow): Sample {
  const finishedAt = Number(row.finished_at);
  // claimed_at and first_claimed_at are set together by the first claim and never cleared.
  const claimed = row.first_claimed_at !== null && row.claimed_at !== null;
  return {
    seq: Number(row.seq),
    finishedAt,
    status: Number(row.status) as ItemStatus,
    waitMs: claimed ? Number(row.first_claimed_at) - Number(row.enqueued_at) : undefined,
    runMs: claimed ? finishedAt - Number(row.claimed_at) : undefined,
  };
}

function upperBoundByTime(samples: Sample[], finishedAt: number): number {
  let low = 0;
  let high = samples.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (samples[mid]!.finishedAt <= finishedAt) low = mid + 1;
    else high = mid;
  }
  return low;
}
