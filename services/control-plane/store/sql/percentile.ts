import { sql, type SQL } from "drizzle-orm";
import type { Executor } from "../dialect/dialect.js";

/**
 * The nearest-rank percentile (p in 0..1] of `value` over `count` rows of `from`
 * (a FROM … WHERE … clause): the value at rank ceil(p·count) in ascending order.
 * The database sorts and skips, so only one number comes back whatever the window.
 */
export async function nearestRank(exec: Executor, from: SQL, value: SQL, count: number, p: number): Promise<number | undefined> {
  if (count === 0) return undefined;
  const rank = Math.max(1, Math.ceil(p * count));
  const [row] = await exec.rows<{ v: number }>(sql`SELECT ${value} AS v ${from} ORDER BY v LIMIT 1 OFFSET ${rank - 1}`);
  return row === undefined ? undefined : Number(row.v);
}
