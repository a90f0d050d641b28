export interface BackoffOptions {
  /** Delay before the first restart within the intensity window. */
  initialMs: number;
  /** The doubling stops here. */
  maxMs: number;
  /** Fraction (0..1) of the delay removed at random, so children that failed together do not restart in lockstep. */
  jitter: number;
}

/**
 * Delay before restart number `attempt` (0-based) of a child: initialMs doubled per
 * attempt, capped at maxMs, minus up to `jitter` of it. Jitter only ever shortens
 * the delay so maxMs stays a true upper bound.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attempt));
  return Math.round(base * (1 - options.jitter * random()));
}
