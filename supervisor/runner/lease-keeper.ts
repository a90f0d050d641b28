import { Code } from "@connectrpc/connect";
import type { Clients } from "../../services/kernel/clients.js";
import { errorMessage, isConnectCode } from "../../services/kernel/errors.js";
import type { Logger } from "../../services/kernel/log.js";
import { durationFromMs, fromTimestamp, sleep } from "../../services/kernel/time.js";
import type { JobStop } from "./job-stop.js";

export interface LeaseOptions {
  queues: Clients["queues"];
  jobId: string;
  leaseToken: string;
  leaseMs: number;
  /** When the lease from the claim runs out. */
  expiresAt: number;
  stop: JobStop;
  logger: Logger;
}

export interface LeaseKeeper {
  /**
   * Renews at once; throws JobStopped when the lease is lost or a cancel was requested. Called
   * right before the commit, so a runner that lost its job never commits.
   */
  confirm(): Promise<void>;
  /** Ends the renewals (the job is over). */
  release(): void;
}

/**
 * Renews a job's lease every third of its length. A renewal answered FailedPrecondition means the
 * lease is gone (it expired and the job went back to the queue, maybe to another worker): the job
 * stops. One that says cancel_requested stops it as cancelled. When the control plane cannot be
 * reached, the runner keeps trying until its own clock says the lease ran out, then stops too:
 * by then somebody else may hold the job.
 */
export function keepLease(options: LeaseOptions): LeaseKeeper {
  const { queues, jobId, leaseToken, leaseMs, stop, logger } = options;
  const released = new AbortController();
  const signal = AbortSignal.any([released.signal, stop.signal]);
  let expiresAt = options.expiresAt;

  async function renew(): Promise<"held" | "unreachable"> {
    const sentAt = Date.now();
    try {
      const renewed = await queues.renewLease({ itemId: jobId, leaseToken, leaseDuration: durationFromMs(leaseMs) }, { signal: released.signal });
      // The server's expiry, but never later than our own clock allows: clocks may disagree.
      expiresAt = Math.min(fromTimestamp(renewed.leaseExpiresAt) ?? sentAt + leaseMs, sentAt + leaseMs);
      if (renewed.cancelRequested) stop.stop({ kind: "cancelled", detail: "cancel requested (seen on lease renewal)" });
      return "held";
    } catch (error) {
      if (released.signal.aborted) return "held";
      if (isConnectCode(error, Code.FailedPrecondition)) {
        stop.stop({ kind: "lease_lost", detail: errorMessage(error) });
        return "held";
      }
      logger.warn({ err: error, expiresInMs: expiresAt - Date.now() }, "lease renewal failed; retrying until the lease would run out");
      return "unreachable";
    }
  }

  void (async () => {
    while (!signal.aborted) {
      const state = await renew();
      if (signal.aborted) return;
      if (state === "unreachable" && Date.now() >= expiresAt) {
        stop.stop({ kind: "lease_lost", detail: "the control plane could not be reached to renew the lease before it ran out" });
        return;
      }
      await sleep(state === "held" ? leaseMs / 3 : Math.min(1000, leaseMs / 6), signal);
    }
  })();

  return {
    async confirm() {
      stop.throwIfStopped();
      const state = await renew();
      if (state === "unreachable") {
        stop.stop({ kind: "lease_lost", detail: "the lease could not be confirmed before committing (control plane unreachable)" });
      }
      stop.throwIfStopped();
    },
    release: () => released.abort(),
  };
}
