import type { CallOptions } from "@connectrpc/connect";
import type { Config } from "./config/schema.js";

/**
 * What a long-poll Claim's caller gives the server beyond the wait before its own deadline: a
 * loaded server (or one that just claimed an item as the wait ended) answers a little late and
 * is not cut off, while a server that never answers is still given up on.
 */
export const CLAIM_GRACE_MS = 10_000;

/** The wait claimers ask for: `queues.claim_wait_seconds`, the same the server allows at most. */
export function configuredClaimWaitMs(config: Pick<Config, "queues">): number {
  return config.queues.claimWaitSeconds * 1000;
}

/** Options of one Claim call waiting `waitMs`: the caller's signal and a deadline past the wait. */
export function claimCallOptions(waitMs: number, signal: AbortSignal): CallOptions {
  return { signal, timeoutMs: waitMs + CLAIM_GRACE_MS };
}

/**
 * How long the server waits for one Claim: what was asked, at most the configured wait, and ending
 * before the caller's deadline (a tenth of it, at most a second, early) so the empty answer
 * reaches the caller in time instead of the call ending deadline_exceeded.
 */
export function serverClaimWaitMs(askedMs: number, configuredMs: number, callerDeadlineMs: number | undefined): number {
  const wait = Math.min(askedMs, configuredMs);
  if (callerDeadlineMs === undefined) return wait;
  return Math.max(0, Math.min(wait, callerDeadlineMs - Math.min(1000, callerDeadlineMs / 10)));
}
