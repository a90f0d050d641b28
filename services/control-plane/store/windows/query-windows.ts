import type { Executor } from "../dialect/dialect.js";
import { Mutex } from "../dialect/mutex.js";
import { FinishedWindow, type FinishedSummary } from "./finished-window.js";
import { RecentClaimers } from "./recent-claimers.js";

/** GetSlo may ask for any window; the ones asked for most recently keep their state. */
const MAX_WINDOWS = 16;

/**
 * The sliding windows one store instance keeps for its read paths (SLO summaries and
 * queue positions' pace), by queue and window length. Reads of one window are
 * serialised, so two concurrent callers never merge the same new rows twice.
 */
export class QueryWindows {
  private readonly finished = new Map<string, { window: FinishedWindow; mutex: Mutex }>();
  private readonly claimers = new Map<string, { window: RecentClaimers; mutex: Mutex }>();

  /** `pick` runs inside the window's critical section: the summary is live state, not a copy. */
  finishedWithin<T>(exec: Executor, queue: number, windowMs: number, now: number, pick: (summary: FinishedSummary) => T): Promise<T> {
    const entry = lookup(this.finished, `${queue}:${windowMs}`, () => new FinishedWindow(queue, windowMs));
    return entry.mutex.run(async () => pick(await entry.window.read(exec, now)));
  }

  claimersWithin(exec: Executor, queue: number, windowMs: number, now: number): Promise<number> {
    const entry = lookup(this.claimers, `${queue}:${windowMs}`, () => new RecentClaimers(queue, windowMs));
    return entry.mutex.run(() => entry.window.count(exec, now));
  }
}

function lookup<W>(entries: Map<string, { window: W; mutex: Mutex }>, key: string, open: () => W): { window: W; mutex: Mutex } {
  let entry = entries.get(key);
  if (entry) {
    // Re-inserted: the Map's order is then least recently used first.
    entries.delete(key);
  } else {
    entry = { window: open(), mutex: new Mutex() };
    if (entries.size >= MAX_WINDOWS) entries.delete(entries.keys().next().value!);
  }
  entries.set(key, entry);
  return entry;
}
