import { sql } from "drizzle-orm";
import type { Executor } from "../dialect/dialect.js";
import { LATE_COMMIT_MARGIN_MS } from "./finished-window.js";

/**
 * The distinct workers that claimed from one queue within a sliding window, kept in
 * memory between calls like FinishedWindow: each read fetches only the claims made
 * since the previous read (less the late-commit margin) through the (queue,
 * claimed_at) index. A worker counts while its latest claim seen is inside the window.
 */
export class RecentClaimers {
  private readonly latestClaim = new Map<string, number>();
  private readUpTo: number | undefined;

  constructor(
    private readonly queue: number,
    private readonly windowMs: number,
  ) {}

  async count(exec: Executor, now: number): Promise<number> {
    const since = now - this.windowMs;
    if (this.readUpTo === undefined || now < this.readUpTo) this.latestClaim.clear();
    const from = this.readUpTo === undefined || now < this.readUpTo ? since : Math.max(since, this.readUpTo - LATE_COMMIT_MARGIN_MS);
    const rows = await exec.rows<{ claimed_by: string; at: number }>(sql`
      SELECT claimed_by, max(claimed_at) AS at FROM queue_items
       WHERE queue = ${this.queue} AND claimed_at >= ${from}
       GROUP BY claimed_by`);
    for (const row of rows) this.latestClaim.set(row.claimed_by, Math.max(Number(row.at), this.latestClaim.get(row.claimed_by) ?? Number.NEGATIVE_INFINITY));
    this.readUpTo = now;
    for (const [worker, at] of this.latestClaim) if (at < since) this.latestClaim.delete(worker);
    return this.latestClaim.size;
  }
}
