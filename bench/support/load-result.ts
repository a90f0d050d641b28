import type { Latencies } from "./latency.js";

/** What one load run measured. */
export interface LoadResult {
  jobs: number;
  seconds: number;
  jobsPerSecond: number;
  /** Claim latency in ms (undefined where the system does not expose the claim alone). */
  claimP50?: number;
  claimP99?: number;
}

export function loadResult(jobs: number, startedAt: number, claims?: Latencies): LoadResult {
  const seconds = (performance.now() - startedAt) / 1000;
  return {
    jobs,
    seconds,
    jobsPerSecond: jobs / seconds,
    claimP50: claims && claims.count > 0 ? claims.percentile(0.5) : undefined,
    claimP99: claims && claims.count > 0 ? claims.percentile(0.99) : undefined,
  };
}
