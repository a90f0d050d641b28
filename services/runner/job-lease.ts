import type { Clients } from "../../shared/clients.js";
import { keepLease as keepItemLease, type LeaseEnd } from "../../shared/lease-keeper.js";
import type { Logger } from "../../shared/log.js";
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

export interface JobLease {
  /**
   * Renews at once; throws JobStopped when the lease is lost (or cannot be confirmed) or a cancel
   * was requested. Called right before the commit, so a runner that lost its job never commits.
   */
  confirm(): Promise<void>;
  /** Ends the renewals (the job is over). */
  release(): Promise<void>;
}

/**
 * The job's lease, kept by the kernel's lease keeper, with its endings turned into the job's
 * stop reasons: a lost lease means the job may be someone else's (stop, commit nothing); a
 * cancel seen on renewal stops it as cancelled. The keeper ends quietly when the job stops.
 */
export function keepJobLease(options: LeaseOptions): JobLease {
  const { stop } = options;
  const keeper = keepItemLease(
    options.queues,
    { itemId: options.jobId, leaseToken: options.leaseToken },
    { leaseMs: options.leaseMs, expiresAtMs: options.expiresAt, signal: stop.signal, logger: options.logger, what: "job" },
  );
  const forward = (end: LeaseEnd | undefined) => {
    if (end?.kind === "cancelled") stop.stop({ kind: "cancelled", detail: "cancel requested (seen on lease renewal)" });
    else if (end?.kind === "lost") stop.stop({ kind: "lease_lost", detail: end.detail });
  };
  keeper.signal.addEventListener("abort", () => forward(keeper.ended), { once: true });
  return {
    async confirm() {
      stop.throwIfStopped();
      forward(await keeper.confirm());
      stop.throwIfStopped();
    },
    release: () => keeper.stop(),
  };
}
