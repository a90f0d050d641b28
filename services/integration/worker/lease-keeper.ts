import { Code, ConnectError } from "@connectrpc/connect";
import { errorMessage } from "../../kernel/errors.js";
import type { Logger } from "../../kernel/log.js";
import { durationFromMs, fromTimestamp, sleep } from "../../kernel/time.js";
import type { QueueClient } from "./clients.js";

/** Why a held completion must stop: the lease is gone, someone cancelled it, or the service is stopping. */
export type LeaseEnd = "lost" | "cancel" | "stopping";

export interface HeldLease {
  itemId: string;
  token: string;
  /** When the lease runs out unless renewed (ms since the epoch). */
  expiresAtMs: number;
}

export interface LeaseKeeper {
  /** Aborts when the lease ends for any reason; pass it to everything done under the lease. */
  readonly signal: AbortSignal;
  /** Set once `signal` has aborted. */
  readonly ended: LeaseEnd | undefined;
  /** Stops renewing; waits for a renewal in flight, so none lands after the item is reported. */
  stop(): Promise<void>;
}

export interface LeaseKeeperOptions {
  leaseMs: number;
  /** The service's own signal: aborting it ends the lease as "stopping". */
  signal: AbortSignal;
  log: Logger;
  now?: () => number;
}

/** Renewal answers that mean the lease is no longer ours: another holder, finished, or gone. */
const LOST_CODES = new Set([Code.FailedPrecondition, Code.NotFound]);

/**
 * Renews a claimed item's lease every third of its length while work goes on, so a
 * long check never lets it lapse. A renewal that says the lease is lost, a cancel
 * request, or a lease that ran out while the control plane could not be reached all
 * abort `signal`, which kills a running check or git call at once.
 */
export function keepLease(queues: QueueClient, lease: HeldLease, options: LeaseKeeperOptions): LeaseKeeper {
  const now = options.now ?? Date.now;
  const ending = new AbortController();
  const stopping = new AbortController();
  let ended: LeaseEnd | undefined;
  let expiresAtMs = lease.expiresAtMs;

  const end = (why: LeaseEnd, detail: string) => {
    if (ended) return;
    ended = why;
    options.log.warn({ itemId: lease.itemId, lease: why, detail }, `lease ended (${why}): ${detail}`);
    ending.abort(new LeaseEndedError(why, detail));
  };
  const onStop = () => end("stopping", "the integration service is stopping");
  options.signal.addEventListener("abort", onStop, { once: true });
  if (options.signal.aborted) onStop();

  const renewEveryMs = Math.max(250, Math.floor(options.leaseMs / 3));
  const loop = (async () => {
    while (!stopping.signal.aborted && !ended) {
      await sleep(renewEveryMs, AbortSignal.any([stopping.signal, ending.signal]));
      if (stopping.signal.aborted || ended) return;
      try {
        const renewed = await queues.renewLease(
          { itemId: lease.itemId, leaseToken: lease.token, leaseDuration: durationFromMs(options.leaseMs) },
          { signal: stopping.signal, timeoutMs: renewEveryMs },
        );
        expiresAtMs = fromTimestamp(renewed.leaseExpiresAt) ?? now() + options.leaseMs;
        if (renewed.cancelRequested) end("cancel", "someone asked to cancel this completion");
      } catch (error) {
        if (stopping.signal.aborted) return;
        if (error instanceof ConnectError && LOST_CODES.has(error.code)) {
          end("lost", error.rawMessage);
        } else if (now() >= expiresAtMs) {
          end("lost", `the lease expired while renewals failed (${errorMessage(error)})`);
        } else {
          options.log.warn({ itemId: lease.itemId, err: errorMessage(error) }, "lease renewal failed; retrying before it expires");
        }
      }
    }
  })();

  return {
    signal: ending.signal,
    get ended() {
      return ended;
    },
    async stop() {
      stopping.abort();
      options.signal.removeEventListener("abort", onStop);
      await loop;
    },
  };
}

/** The abort reason of a keeper's signal. */
export class LeaseEndedError extends Error {
  override name = "AbortError";
  constructor(
    readonly why: LeaseEnd,
    detail: string,
  ) {
    super(`lease ended (${why}): ${detail}`);
  }
}
