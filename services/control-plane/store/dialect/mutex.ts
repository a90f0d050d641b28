/**
 * Serialises async critical sections. better-sqlite3 runs one statement at a time
 * synchronously, but a transaction here spans several awaits; without this, a second
 * transaction could begin on the same connection between them.
 *
 * Hand-written (a promise chain) because no mutex package is a dependency and this is
 * all that is needed.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(critical: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await critical();
    } finally {
      release();
    }
  }
}
