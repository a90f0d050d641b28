import type { Logger } from "../../shared/log.js";
import type { Store } from "./store/store.js";
import { sleep } from "../../shared/time.js";
import type { Commit } from "./commit.js";

/**
 * Puts items whose lease expired back on their queue (or dead-letters them). Claims
 * also reap their own queue first; this loop covers queues nobody is claiming from,
 * so positions, ETAs and dead letters stay true.
 */
export async function reapLeases(store: Store, commit: Commit, options: { intervalMs: number; logger: Logger; signal: AbortSignal }): Promise<void> {
  const { signal, logger } = options;
  while (!signal.aborted) {
    try {
      const reaped = await commit(store.reapExpiredLeases());
      if (reaped > 0) logger.info({ reaped }, "expired leases requeued");
    } catch (error) {
      logger.error({ err: error }, "lease reaping failed; will retry on the next tick");
    }
    await sleep(options.intervalMs, signal);
  }
}
