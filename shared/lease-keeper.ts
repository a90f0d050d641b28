import { Code } from "@connectrpc/connect";
import type { Clients } from "./clients.js";
import { errorMessage, isConnectCode, leaseLostDetail } from "./errors.js";
import type { Logger } from "./log.js";
import { durationFromMs, fromTimestamp, sleep } from "./time.js";

/** Why work under a lease must stop: someone asked to cancel, the lease is gone, or the service is stopping. */
export interface LeaseEnd {
  kind: "cancelled" | "lost" | "stopping";
  detail: string;
}

export interface LeaseKeeper {
  /** Aborts (with a LeaseEndedError) once the lease ends; pass it to everything done under the lease. */
  readonly signal: AbortSignal;
  /** Why `signal` aborted, once it has. */
  readonly ended: LeaseEnd | undefined;
  /**
   * Renews at once and says how the lease stands. Call it right before an irreversible
   * step (a commit, a push): an unreachable control plane counts as lost here, since the
   * work may already be someone else's.
   */
  confirm(): Promise<LeaseEnd | undefined>;
  /** Stops renewing; waits for a renewal in flight, so none lands after the item is reported. */
  stop(): Promise<void>;
}

export interface LeaseOptions {
  leaseMs: number;
  /** When the lease from the claim runs out (default: now + leaseMs). */
  expiresAtMs?: number;
  /** The holder's own signal: its abort ends the lease as "stopping". */
  signal: AbortSignal;
  logger: Logger;
  /** What the item is, for messages: "request", "job", "completion". */
  what: string;
  now?: () => number;
}

/** The abort reason of a keeper's signal. */
export class LeaseEndedError extends Error {
  override name = "AbortError";
  constructor(readonly end: LeaseEnd) {
    super(`lease ended (${end.kind}): ${end.detail}`);
  }
}

/**
 * Renews a claimed item's lease every third of its length while work goes on, so slow
 * work never lets it lapse, and turns "someone asked to cancel" and "the lease is gone"
 * into an abort. When the control plane cannot be reached, renewals are retried more
 * often until the holder's own clock says the lease ran out — then it is lost too, since
 * by then somebody else may hold the item.
 */
export function keepLease(queues: Clients["queues"], lease: { itemId: string; leaseToken: string }, options: LeaseOptions): LeaseKeeper {
  const now = options.now ?? Date.now;
  const { leaseMs, logger, what } = options;
  const log = logger.child({ itemId: lease.itemId });
  const ending = new AbortController();
  const stopping = new AbortController();
  let ended: LeaseEnd | undefined;
  let expiresAtMs = options.expiresAtMs ?? now() + leaseMs;

  const end = (kind: LeaseEnd["kind"], detail: string) => {
    if (ended) return;
    ended = { kind, detail };
    if (kind !== "stopping") log.warn({ lease: kind, detail }, `lease ended (${kind}) on the ${what}: ${detail}`);
    ending.abort(new LeaseEndedError(ended));
  };
  const onStop = () => end("stopping", `the ${what}'s holder is stopping`);
  if (options.signal.aborted) onStop();
  else options.signal.addEventListener("abort", onStop, { once: true });

  const beatMs = Math.max(250, Math.floor(leaseMs / 3));
  const retryMs = Math.max(100, Math.min(1000, Math.floor(leaseMs / 6)));

  async function renew(): Promise<"held" | "unreachable"> {
    const sentAt = now();
    try {
      const renewed = await queues.renewLease(
        { itemId: lease.itemId, leaseToken: lease.leaseToken, leaseDuration: durationFromMs(leaseMs) },
        { signal: stopping.signal, timeoutMs: beatMs },
      );
      // The server's expiry, but never later than our own clock allows: clocks may disagree.
      expiresAtMs = Math.min(fromTimestamp(renewed.leaseExpiresAt) ?? sentAt + leaseMs, sentAt + leaseMs);
      if (renewed.cancelRequested) end("cancelled", `someone asked to cancel this ${what}`);
      return "held";
    } catch (error) {
      if (stopping.signal.aborted) return "held";
      // Lost: another holder, finished (LeaseLost), or the item is gone altogether (NotFound).
      if (leaseLostDetail(error) !== undefined || isConnectCode(error, Code.NotFound)) {
        end("lost", errorMessage(error));
        return "held";
      }
      if (now() >= expiresAtMs) end("lost", `the lease expired while renewals failed (${errorMessage(error)})`);
      else log.warn({ err: errorMessage(error), expiresInMs: expiresAtMs - now() }, "lease renewal failed; retrying before it expires");
      return "unreachable";
    }
  }

  const loop = (async () => {
    let delay = beatMs;
    while (!stopping.signal.aborted && !ended) {
      await sleep(delay, AbortSignal.any([stopping.signal, ending.signal]));
      if (stopping.signal.aborted || ended) return;
      delay = (await renew()) === "held" ? beatMs : retryMs;
    }
  })();

  return {
    signal: ending.signal,
    get ended() {
      return ended;
    },
    async confirm() {
      if (ended) return ended;
      if ((await renew()) === "unreachable") end("lost", `the lease could not be confirmed: the control plane is unreachable`);
      return ended;
    },
    async stop() {
      stopping.abort();
      options.signal.removeEventListener("abort", onStop);
      await loop;
    },
  };
}
