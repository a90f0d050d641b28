import { systemClock, type Clock } from "../../../shared/time.js";
import type { StoreOptions } from "./store.js";

/** StoreOptions with the clock resolved; what every store operation reads. */
export interface Settings {
  readonly defaultMaxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly workerStaleMs: number;
  readonly now: Clock;
  /**
   * When each queue's expired leases were last reaped by a claim (this store instance). A
   * claim reaps its queue at most every REAP_EVERY_MS: expiry is rare, the query is not free.
   */
  readonly reapedAt: Map<number, number>;
}

export const REAP_EVERY_MS = 1000;

export function resolveSettings(options: StoreOptions): Settings {
  return {
    defaultMaxAttempts: options.defaultMaxAttempts,
    backoffBaseMs: options.backoffBaseMs,
    backoffMaxMs: options.backoffMaxMs,
    workerStaleMs: options.workerStaleMs,
    now: options.now ?? systemClock,
    reapedAt: new Map(),
  };
}

/** Delay before retry number `attempts` + 1: base · 2^(attempts-1), capped at the maximum. */
export function backoffMs(settings: Settings, attempts: number): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  return Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** exponent);
}
