import type { Logger } from "../../shared/log.js";
import type { Store } from "./store/store.js";
import { sleep } from "../../shared/time.js";
import type { Commit } from "./commit.js";

/**
 * Applies the timeout action of approval requests nobody answered in time. It runs in the
 * control plane, not in the waiting service, so a request times out (and is audited) even
 * while the service that asked is down.
 */
export async function expireApprovals(store: Store, commit: Commit, options: { intervalMs: number; logger: Logger; signal: AbortSignal }): Promise<void> {
  const { signal, logger } = options;
  while (!signal.aborted) {
    try {
      const expired = await commit(store.expireApprovals());
      if (expired > 0) logger.info({ expired }, "approval requests timed out; their timeout action applied");
    } catch (error) {
      logger.error({ err: error }, "expiring approval requests failed; will retry on the next tick");
    }
    await sleep(options.intervalMs, signal);
  }
}
