import { z } from "zod";

export const queuesSection = z.strictObject({
  defaultMaxAttempts: z.coerce.number().int().min(1).max(100).default(3),
  defaultLeaseSeconds: z.coerce.number().min(1).max(3600).default(60),
  /** Retry backoff: base · 2^(attempt-1) seconds, capped. */
  backoffBaseSeconds: z.coerce.number().min(0).max(3600).default(2),
  backoffMaxSeconds: z.coerce.number().min(0).max(86400).default(300),
  /** The safety-net poll of claimers and lease reaping; wakeups normally come from the bus. */
  pollSeconds: z.coerce.number().min(0.05).max(300).default(5),
  /** A worker with no heartbeat for this long is shown stale. */
  workerStaleSeconds: z.coerce.number().min(1).max(3600).default(30),
});

export const queuesEnv = {} as const;
