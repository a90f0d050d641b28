/** Collects durations (ms) and reports nearest-rank percentiles. */
export class Latencies {
  private readonly samples: number[] = [];

  record(ms: number): void {
    this.samples.push(ms);
  }

  /** Adds samples taken elsewhere (another thread's, say). */
  recordAll(samples: ArrayLike<number>): void {
    for (let i = 0; i < samples.length; i++) this.samples.push(samples[i]!);
  }

  /** The samples, to hand to another thread (transferable). */
  toFloat64Array(): Float64Array {
    return Float64Array.from(this.samples);
  }

  get count(): number {
    return this.samples.length;
  }

  percentile(p: number): number {
    if (this.samples.length === 0) return Number.NaN;
    const sorted = [...this.samples].sort((a, b) => a - b);
    return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
  }
}

/** Times one call into `latencies`. */
export async function timed<T>(latencies: Latencies, call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await call();
  } finally {
    latencies.record(performance.now() - started);
  }
}

/** Runs `width` loops that each take the next index until `count` are taken. */
export async function inParallel(count: number, width: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await task(next++);
    }),
  );
}
