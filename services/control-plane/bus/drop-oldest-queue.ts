/**
 * A single-reader async queue whose writer never waits: past `capacity` the oldest
 * item is dropped and counted. Hand-written because stream and iterator helpers
 * (node:stream, events.on) apply back-pressure or buffer without bound, and a bus
 * publisher must neither block on nor be slowed by a slow reader.
 */
export class DropOldestQueue<T> {
  #items: (T | undefined)[] = [];
  #head = 0;
  #waiters: ((result: IteratorResult<T, undefined>) => void)[] = [];
  #state: "open" | "ending" | "closed" = "open";
  #dropped = 0;

  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get dropped(): number {
    return this.#dropped;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Hands the item to a waiting reader or buffers it; ignored once ended. */
  push(item: T): void {
    if (this.#state !== "open") return;
    const waiter = this.#waiters.shift();
    if (waiter) return waiter({ value: item, done: false });
    if (this.size >= this.#capacity) {
      this.#items[this.#head++] = undefined;
      this.#dropped++;
    }
    this.#items.push(item);
    this.#compact();
  }

  /** No more items will come; the reader still gets what is buffered, then done. */
  end(): void {
    if (this.#state !== "open") return;
    this.#state = "ending";
    if (this.size === 0) this.#finishWaiters();
  }

  /** Done now: what is buffered is discarded. */
  close(): void {
    this.#state = "closed";
    this.#items = [];
    this.#head = 0;
    this.#finishWaiters();
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.size > 0) {
      const value = this.#items[this.#head] as T;
      this.#items[this.#head++] = undefined;
      this.#compact();
      return Promise.resolve({ value, done: false });
    }
    if (this.#state !== "open") return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #finishWaiters(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve({ value: undefined, done: true });
  }

  /** Keeps shifting O(1) amortised without Array.prototype.shift's copying. */
  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
