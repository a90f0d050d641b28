/**
 * Pulls from an async iterator with a deadline, keeping the pending pull across
 * calls so no value is lost when the deadline wins the race.
 */
export class TimedReader<T> {
  private pending: Promise<IteratorResult<T>> | undefined;

  constructor(private readonly iterator: AsyncIterator<T>) {}

  async next(timeoutMs: number): Promise<IteratorResult<T> | "timeout"> {
    this.pending ??= this.iterator.next();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), Math.max(0, timeoutMs));
    });
    try {
      const result = await Promise.race([this.pending, timeout]);
      if (result !== "timeout") this.pending = undefined;
      return result;
    } finally {
      clearTimeout(timer);
    }
  }
}
