/**
 * Hands each of a fixed set of resources to one user at a time; users beyond that
 * wait in order. Hand-written (a queue of resolvers) for the same reason as Mutex:
 * it is all that is needed and no pool package is a dependency.
 */
export class ExclusivePool<T> {
  private readonly idle: T[];
  private readonly waiting: ((resource: T) => void)[] = [];

  constructor(resources: readonly T[]) {
    this.idle = [...resources];
  }

  async use<R>(work: (resource: T) => Promise<R>): Promise<R> {
    const resource = this.idle.pop() ?? (await new Promise<T>((resolve) => this.waiting.push(resolve)));
    try {
      return await work(resource);
    } finally {
      const next = this.waiting.shift();
      if (next) next(resource);
      else this.idle.push(resource);
    }
  }
}
