import { sql, type SQL } from "drizzle-orm";
import { ItemStatus } from "../../../../gen/pushpals/v1/common_pb.js";

/*
 * Statuses are written into SQL as literals, not parameters: the partial indexes
 * (schema/*.ts: "status = 1", "status = 2") are only used when the query says the
 * same literal.
 */
const literal = (status: ItemStatus): SQL => sql.raw(String(status));

export const PENDING = literal(ItemStatus.PENDING);
export const CLAIMED = literal(ItemStatus.CLAIMED);
export const COMPLETED = literal(ItemStatus.COMPLETED);
export const FAILED = literal(ItemStatus.FAILED);
export const CANCELLED = literal(ItemStatus.CANCELLED);
export const DEAD_LETTER = literal(ItemStatus.DEAD_LETTER);
export const CONFLICTED = literal(ItemStatus.CONFLICTED);

/** Statuses an item never leaves. */
export const FINISHED_STATUSES: readonly ItemStatus[] = [ItemStatus.COMPLETED, ItemStatus.FAILED, ItemStatus.CANCELLED, ItemStatus.DEAD_LETTER, ItemStatus.CONFLICTED];

export const FINISHED = sql.raw(`(${FINISHED_STATUSES.join(", ")})`);

export function isFinished(status: ItemStatus): boolean {
  return FINISHED_STATUSES.includes(status);
}
