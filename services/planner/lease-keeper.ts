import { Code, ConnectError } from "@connectrpc/connect";
import type { Clients } from "../kernel/clients.js";
import { errorMessage, isConnectCode } from "../kernel/errors.js";
import type { Logger } from "../kernel/log.js";
import { durationFromMs, sleep } from "../kernel/time.js";

/** Why a held item's work signal fired. */
export type LeaseEnd =
  | { kind: "cancel-requested" }
  | { kind: "lost"; message: string }
  | { kind: "stopping" };

export interface HeldLease {
  /** Aborts when the item must no longer be worked on: cancel, lost lease, or the service stopping. */
  readonly signal: AbortSignal;
  /** Why `signal` fired, once it has. */
  ended(): LeaseEnd | undefined;
  /** Stops renewing; the caller then completes or fails the item. */
  release(): Promise<void>;
}

/**
 * Renews an item's lease every third of its length while work runs, so a slow model never
 * lets it expire, and turns "someone asked to cancel" and "the lease is gone" into an abort.
 * A renewal that fails for a transient reason is retried on the next beat; the lease itself
 * has two more beats of slack.
 */
export function keepLease(
  clients: Clients,
  held: { itemId: string; leaseToken: string; leaseMs: number },
  parent: AbortSignal,
  logger: Logger,
): HeldLease {
  const work = new AbortController();
  const renewing = new AbortController();
  let end: LeaseEnd | undefined;
  const finish = (why: LeaseEnd) => {
    end ??= why;
    work.abort(new ConnectError(describe(why), why.kind === "lost" ? Code.FailedPrecondition : Code.Canceled));
  };
  const onStop = () => finish({ kind: "stopping" });
  if (parent.aborted) onStop();
  else parent.addEventListener("abort", onStop, { once: true });

  const beat = Math.max(250, Math.floor(held.leaseMs / 3));
  const loop = (async () => {
    const stop = AbortSignal.any([work.signal, renewing.signal]);
    while (!stop.aborted) {
      await sleep(beat, stop);
      if (stop.aborted) return;
      try {
        const renewed = await clients.queues.renewLease(
          { itemId: held.itemId, leaseToken: held.leaseToken, leaseDuration: durationFromMs(held.leaseMs) },
          { signal: stop },
        );
        if (renewed.cancelRequested) finish({ kind: "cancel-requested" });
      } catch (error) {
        if (stop.aborted) return;
        if (isConnectCode(error, Code.FailedPrecondition) || isConnectCode(error, Code.NotFound)) {
          finish({ kind: "lost", message: errorMessage(error) });
          return;
        }
        logger.warn({ err: errorMessage(error) }, "lease renewal failed; trying again on the next beat");
      }
    }
  })();

  return {
    signal: work.signal,
    ended: () => end,
    async release() {
      renewing.abort();
      parent.removeEventListener("abort", onStop);
      await loop;
    },
  };
}

function describe(end: LeaseEnd): string {
  switch (end.kind) {
    case "cancel-requested":
      return "the request was cancelled";
    case "lost":
      return `the lease on the request was lost: ${end.message}`;
    case "stopping":
      return "the planner is stopping";
  }
}
