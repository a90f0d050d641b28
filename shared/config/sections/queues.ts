import { z } from "zod";

export const queuesSection = z.strictObject({
  defaultMaxAttempts: z.coerce.number().int().min(1).max(100).default(3),
  defaultLeaseSeconds: z.coerce.number().min(1).max(3600).default(60),
  /** Retry backoff: base · 2^(attempt-1) seconds, capped. */
  backoffBaseSeconds: z.coerce.number().min(0).max(3600).default(2),
  backoffMaxSeconds: z.coerce.number().min(0).max(86400).default(300),
  /** The safety-net poll of claimers and lease reaping; wakeups normally come from the bus. */
  pollSeconds: z.coerce.number().min(0.05).max(300).default(5),
  /**
   * The longest one long-poll Claim waits for an item before it answers empty. Claimers ask for
   * this wait and give the call this plus a grace as its deadline; the server never waits longer
   * than this, nor past the caller's deadline, so an idle claim always ends cleanly.
   */
  claimWaitSeconds: z.coerce.number().min(0.1).max(60).default(30),
  /** A worker with no heartbeat for this long is shown stale. */
  workerStaleSeconds: z.coerce.number().min(1).max(3600).default(30),
});

export const queuesEnv = {
  PUSHPALS_CLAIM_WAIT_SECONDS: "queues.claimWaitSeconds",
} as const;
